import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root: replicas run the service from source with the root's tsx, as `berth up` does. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** `node --import tsx service/src/server.ts`, run from the repository root. */
export const SERVICE_COMMAND: readonly string[] = [
  process.execPath,
  '--import',
  'tsx',
  'service/src/server.ts',
];

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
  readonly command?: readonly string[];
  readonly log: (line: string) => void;
}

/** One service process: the local analogue of an ECS task. */
export class Replica {
  readonly id: number;
  readonly port: number;
  readonly version: string;
  readonly startedAt = Date.now();
  readonly exited: Promise<ReplicaExit>;
  private readonly child: ChildProcess;
  private exitInfo: ReplicaExit | undefined;

  constructor(spec: ReplicaSpec) {
    this.id = spec.id;
    this.port = spec.port;
    this.version = spec.version;
    const [cmd, ...args] = spec.command ?? SERVICE_COMMAND;
    // Inherited PG* variables would silently point a replica at another database.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));
    this.child = spawn(cmd!, args, {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...inherited,
        PORT: String(spec.port),
        HOST: '127.0.0.1',
        DATABASE_URL: spec.databaseUrl,
        SHUTDOWN_DRAIN_SECONDS: String(spec.drainSeconds),
        LOG_LEVEL: process.env.BERTH_REPLICA_LOG_LEVEL ?? 'warn',
        BERTH_VERSION: spec.version,
        ...spec.env,
      },
    });
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
    if (this.running) this.child.kill(sig);
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
