import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { CliError } from './errors.js';
import { REPO_ROOT } from './repo-root.js';

/** The compiled service, built by `npm run build -w service` (the root `prepare` runs it on install). */
export const SERVICE_ENTRY = 'service/dist/server.js';

/**
 * The one place that knows how to start the service as a process: `node service/dist/server.js`, run from
 * the repository root and configured only through environment variables (PORT, HOST, DATA_DIR,
 * DATABASE_URL, SHUTDOWN_DRAIN_SECONDS…), exactly as the container image runs it.
 */
export function serviceCommand(root: string = REPO_ROOT): string[] {
  if (!existsSync(path.join(root, SERVICE_ENTRY))) {
    throw new CliError(`the service is not built (${SERVICE_ENTRY} is missing): run \`npm run build\``);
  }
  return [process.execPath, SERVICE_ENTRY];
}

export interface ReplicaOptions {
  readonly port: number;
  readonly dataDir: string;
  /** Listen address; loopback unless the user asks for another. */
  readonly host?: string;
  /** Command that runs the service; serviceCommand() by default (tests pass a stub or the TS sources). */
  readonly command?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly stdio?: 'inherit' | 'ignore';
}

/** Starts one service process on the embedded database, for `berth up`. */
export function startService(options: ReplicaOptions): ChildProcess {
  const [cmd, ...args] = options.command ?? serviceCommand();
  return spawn(cmd!, args, {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...options.env,
      PORT: String(options.port),
      ...(options.host ? { HOST: options.host } : {}),
      DATA_DIR: options.dataDir,
    },
    stdio: options.stdio ?? 'inherit',
  });
}

/** Polls /readyz until 200; fails early if the process exits (a port in use, a broken migration). */
export async function waitForReady(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = child.exitCode !== null;
  child.once('exit', () => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited)
      throw new CliError(
        `the service exited (code ${child.exitCode}) before it was ready: see its output above`,
      );
    try {
      const response = await fetch(new URL('/readyz', url), { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    // Short: the service is ready in tens of milliseconds on a warm data directory.
    await delay(10);
  }
  throw new CliError(`the service did not answer ${url}readyz within ${timeoutMs / 1000}s`);
}
