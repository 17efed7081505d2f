import { type ChildProcess, spawn } from 'node:child_process';
import { REPO_ROOT } from '../repo-root.js';
import { serviceCommand } from '../service-process.js';
import { containerCommand, signalContainer } from './podman.js';

export interface ReplicaExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ReplicaSpec {
  readonly id: number;
  readonly port: number;
  readonly version: string;
  readonly databaseUrl: string;
  readonly drainSeconds: number;
  /** Extra or overriding environment (e.g. a new release's settings). */
  readonly env?: Readonly<Record<string, string>>;
  /** Runs the service from this command instead of serviceCommand() (tests run the TypeScript sources). */
  readonly command?: readonly string[];
  /** Runs this image with podman instead of a process (`berth up --containers`). */
  readonly containerImage?: string;
  readonly log: (line: string) => void;
}

/** One service process or container: the local analogue of an ECS task. */
export class Replica {
  readonly id: number;
  readonly port: number;
  readonly version: string;
  readonly startedAt = Date.now();
  readonly exited: Promise<ReplicaExit>;
  private readonly child: ChildProcess;
  /** Set for a container replica: signals go to the container, not to the `podman run` client. */
  private readonly containerName: string | undefined;
  private exitInfo: ReplicaExit | undefined;

  constructor(spec: ReplicaSpec) {
    this.id = spec.id;
    this.port = spec.port;
    this.version = spec.version;
    const serviceEnv: Record<string, string> = {
      PORT: String(spec.port),
      HOST: '127.0.0.1',
      DATABASE_URL: spec.databaseUrl,
      SHUTDOWN_DRAIN_SECONDS: String(spec.drainSeconds),
      LOG_LEVEL: process.env.BERTH_REPLICA_LOG_LEVEL ?? 'warn',
      BERTH_VERSION: spec.version,
      ...spec.env,
    };
    let command: readonly string[];
    let env: NodeJS.ProcessEnv;
    if (spec.containerImage) {
      this.containerName = `berth-replica-${process.pid}-${spec.id}`;
      // A container sees only what it is given, as an ECS task sees only its task definition's environment.
      command = containerCommand(spec.containerImage, this.containerName, serviceEnv);
      env = process.env;
    } else {
      command = spec.command ?? serviceCommand();
      // Inherited PG* variables would silently point a replica at another database.
      const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));
      env = { ...inherited, ...serviceEnv };
    }
    const [cmd, ...args] = command;
    this.child = spawn(cmd!, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env });
    const prefix = `replica ${spec.id} (:${spec.port}, ${spec.version})`;
    const relay = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line.trim()) spec.log(`${prefix}: ${line.trim()}`);
    };
    this.child.stdout?.on('data', relay);
    this.child.stderr?.on('data', relay);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  get exit(): ReplicaExit | undefined {
    return this.exitInfo;
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.running) return;
    if (this.containerName) void signalContainer(this.containerName, sig);
    else this.child.kill(sig);
  }

  /** SIGTERM, then SIGKILL after `stopTimeoutSeconds` — what the ECS agent does on `docker stop`. */
  async stop(stopTimeoutSeconds: number): Promise<ReplicaExit> {
    if (!this.running) return this.exitInfo!;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), stopTimeoutSeconds * 1000);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }
}
