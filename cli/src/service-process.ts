import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { CliError } from './errors.js';
import { REPO_ROOT } from './repo-root.js';

/** The cart's compiled server, built by `npm run build -w service`; local parity's replicas run it. */
export const SERVICE_ENTRY = 'service/dist/server.js';

/**
 * How local parity (`berth up --replicas`) starts one cart replica: `node service/dist/server.js` from the
 * repository root, configured only through environment variables, exactly as the container image runs it.
 */
export function serviceCommand(root: string = REPO_ROOT): string[] {
  if (!existsSync(path.join(root, SERVICE_ENTRY))) {
    throw new CliError(`the service is not built (${SERVICE_ENTRY} is missing): run \`npm run build\``);
  }
  return [process.execPath, SERVICE_ENTRY];
}

/** How many of a process's last output lines an error shows. */
export const LAST_LINES = 15;

export interface ServiceProcessOptions {
  /** Prefixes every relayed line (`web | listening on 8080`) and names the process in errors. */
  readonly name: string;
  readonly command: readonly string[];
  readonly cwd: string;
  /** The whole environment of the process: nothing is added to it here. */
  readonly env: NodeJS.ProcessEnv;
  /** Receives each output line, prefixed. */
  readonly log: (line: string) => void;
  /**
   * Delivers a signal; by default to the process itself. A `podman run` client passes one that signals the
   * container: SIGKILL to the client would leave the container running.
   */
  readonly signal?: (signal: NodeJS.Signals) => void;
}

export interface ServiceExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** One process `berth up` runs (a dev command, a `podman run`, a release command) and its recent output. */
export class ServiceProcess {
  readonly name: string;
  readonly exited: Promise<ServiceExit>;
  private readonly child: ChildProcess;
  private readonly recent: string[] = [];
  private exitInfo: ServiceExit | undefined;
  private readonly deliver: (signal: NodeJS.Signals) => void;

  constructor(options: ServiceProcessOptions) {
    this.name = options.name;
    const [command, ...args] = options.command;
    this.child = spawn(command!, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: Ctrl-C in the terminal reaches berth up alone, which then stops each service
      // once, in order. Sharing the terminal's group, a service would get SIGINT and then berth up's SIGTERM,
      // and many servers (the cart among them) take a second signal as "exit now, skip the drain".
      detached: true,
    });
    this.deliver = options.signal ?? ((signal) => this.signalGroup(signal));
    const relay = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        this.recent.push(line);
        if (this.recent.length > LAST_LINES) this.recent.shift();
        options.log(`${options.name} | ${line}`);
      }
    };
    this.child.stdout?.on('data', relay);
    this.child.stderr?.on('data', relay);
    this.exited = new Promise((resolve) => {
      // 'error' (a command that does not exist) comes without 'exit': report it as one, code 127 like a shell.
      this.child.once('error', (error) => {
        this.recent.push(`${command}: ${error.message}`);
        this.exitInfo ??= { code: 127, signal: null };
        resolve(this.exitInfo);
      });
      this.child.once('exit', (code, signal) => {
        this.exitInfo ??= { code, signal };
        resolve(this.exitInfo);
      });
    });
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  get exit(): ServiceExit | undefined {
    return this.exitInfo;
  }

  /** The last output lines, oldest first: what an error shows when the process exits too early. */
  lastLines(): string[] {
    return [...this.recent];
  }

  /** The whole group, as a terminal would: a dev command is often a wrapper (npm, sh) around the server. */
  private signalGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.child.pid!, signal);
    } catch {
      // Already gone.
    }
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.deliver(signal);
  }

  /** SIGTERM, then SIGKILL after `timeoutSeconds`, as `docker stop` and the ECS agent do. */
  async stop(timeoutSeconds: number): Promise<ServiceExit> {
    if (!this.running) return this.exitInfo!;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), timeoutSeconds * 1000);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }
}

/** `code 1` or `signal SIGKILL`: how a process ended, for one-line messages. */
export function describeExit(exit: ServiceExit): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
}

/** The message for a process that ended when it should not have, with its last lines to show why. */
export function exitedError(process: ServiceProcess, when: string): CliError {
  const lines = process.lastLines();
  const tail = lines.length > 0 ? `; its last lines:\n  ${lines.join('\n  ')}` : ' with no output';
  return new CliError(`${process.name} exited (${describeExit(process.exit!)}) ${when}${tail}`);
}

/**
 * Polls `url` until it answers 2xx or 3xx, as a load balancer health check would; fails early when the
 * process exits first (a port in use, a broken start), with its last lines.
 */
export async function waitForHealthy(
  url: string,
  process: ServiceProcess,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!process.running) throw exitedError(process, `before ${url} answered`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000), redirect: 'manual' });
      await response.body?.cancel();
      if (response.status >= 200 && response.status < 400) return;
    } catch {
      // Not listening yet.
    }
    // Short: the cart is ready in tens of milliseconds on a warm data directory.
    await delay(50);
  }
  throw new CliError(
    `${process.name} did not answer ${url} within ${timeoutMs / 1000} s: check that it listens on PORT`,
  );
}
