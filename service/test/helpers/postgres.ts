import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import pg from 'pg';
import type { PostgresDatabaseConfig } from '../../src/config.js';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../../src/db/embedded.js';
import { postgresPoolConfig } from '../../src/db/pool.js';

/** Anything with node:test's `after` (a TestContext or SuiteContext). */
export interface Cleanup {
  after(fn: () => Promise<void> | void): void;
}

/** Durability off: a throwaway test cluster trades crash safety for speed. */
const TEST_SETTINGS = { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' };

/** Clusters started per directory: the directory's cleanup stops them all before removing it. */
const clustersIn = new Map<string, EmbeddedPostgres[]>();

/**
 * A directory the cluster can use even as root (then PostgreSQL runs as the `postgres` user, which must
 * be able to enter it; mkdtemp makes it 0700). Removed after the clusters started in it are stopped.
 */
export async function clusterDirectory(cleanup: Cleanup): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-test-pg-'));
  await chmod(dir, 0o755);
  clustersIn.set(dir, []);
  cleanup.after(async () => {
    for (const cluster of clustersIn.get(dir) ?? []) await cluster.stop();
    clustersIn.delete(dir);
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

/**
 * A cluster of the test's own, e.g. to stop and start it under a running app: pass the `dataDir` and
 * `port` of an earlier one to start it again where clients expect it.
 */
export async function throwawayCluster(
  cleanup: Cleanup,
  options: { port?: number; dataDir?: string } = {},
): Promise<EmbeddedPostgres & { dataDir: string }> {
  const dataDir = options.dataDir ?? (await clusterDirectory(cleanup));
  const cluster = await startEmbeddedPostgres(dataDir, { settings: TEST_SETTINGS, port: options.port });
  clustersIn.get(dataDir)?.push(cluster);
  return { ...cluster, dataDir };
}

let shared: Promise<PostgresDatabaseConfig> | undefined;
// Registered while the test file is loading, so it belongs to the file's root and runs after all its tests;
// `after` called later, from inside a hook or test, would run when that hook or test ends.
// It therefore runs before the file's own root-level hooks: databases on a stopped cluster need no drop.
const processCleanup: (() => Promise<void> | void)[] = [];
let sharedClusterStopped = false;
after(async () => {
  sharedClusterStopped = true;
  for (const fn of processCleanup.reverse()) await fn();
});

/**
 * The server test databases are created on: DATABASE_URL when set (a role with CREATEDB), else one embedded
 * cluster per test process, started on first use and stopped when the file's tests end.
 */
function adminDatabase(): Promise<PostgresDatabaseConfig> {
  shared ??= (async () => {
    const url = process.env.DATABASE_URL;
    if (url) return urlConfig(url);
    const cluster = await throwawayCluster({ after: (fn) => processCleanup.push(fn) });
    return cluster.database;
  })();
  return shared;
}

function urlConfig(url: string): PostgresDatabaseConfig {
  return {
    kind: 'postgres',
    connectionString: url,
    host: undefined,
    port: undefined,
    user: undefined,
    password: undefined,
    database: undefined,
    tls: { mode: 'disable' },
  };
}

/** Creates a database of its own for this test (so runs never collide) and drops it afterwards. */
export async function freshPostgresDatabase(t: Cleanup): Promise<PostgresDatabaseConfig> {
  const admin = await adminDatabase();
  const name = `berth_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withClient(admin, (client) => client.query(`create database ${name}`));
  t.after(async () => {
    if (admin.connectionString === undefined && sharedClusterStopped) return;
    await withClient(admin, (client) => client.query(`drop database if exists ${name} with (force)`));
  });
  return onDatabase(admin, name);
}

/**
 * The same server, another database. A connection string names its database itself (pg lets it win over
 * `database`), so the name goes into its path.
 */
export function onDatabase(config: PostgresDatabaseConfig, name: string): PostgresDatabaseConfig {
  if (config.connectionString === undefined) return { ...config, database: name };
  const url = new URL(config.connectionString);
  url.pathname = `/${name}`;
  return urlConfig(url.toString());
}

export async function withClient<T>(
  config: PostgresDatabaseConfig,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client(postgresPoolConfig(config));
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
