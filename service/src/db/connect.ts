import { mkdirSync } from 'node:fs';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import type { DatabaseConfig, PostgresDatabaseConfig } from '../config.js';
import type { Database } from './schema.js';

/** Start-up tuning for embedded PGlite, e.g. `loadDataDir` to start from a snapshot instead of running initdb. */
export type PgliteTuning = Pick<
  PGliteOptions,
  'loadDataDir' | 'pgliteWasmModule' | 'initdbWasmModule' | 'fsBundle'
>;

/** Opens the configured database: a `pg` pool for PostgreSQL, else embedded PGlite. */
export async function connectDatabase(
  config: DatabaseConfig,
  pgliteTuning: PgliteTuning = {},
  onClientError: (error: Error) => void = () => {},
): Promise<Kysely<Database>> {
  if (config.kind === 'postgres') {
    const pool = new pg.Pool(postgresPoolConfig(config));
    // A client dies when the server restarts or fails over; an unhandled 'error' event would crash the
    // process. The pool only listens on idle clients, so listen on every client too: one checked out at
    // that moment fails its query (a 5xx for that request) and is discarded, and /readyz reports meanwhile.
    pool.on('error', onClientError);
    pool.on('connect', (client) => client.on('error', onClientError));
    return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  }
  // PGlite is single-process: one replica per DATA_DIR. The dialect queues callers on its one connection.
  if (config.dataDir !== null) mkdirSync(config.dataDir, { recursive: true });
  const pglite = await PGlite.create({ ...pgliteTuning, dataDir: config.dataDir ?? undefined });
  return new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
}

export function postgresPoolConfig(config: PostgresDatabaseConfig): pg.PoolConfig {
  return {
    connectionString: config.connectionString,
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    database: config.database,
    ssl: sslOptions(config),
    max: 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'berth-service',
  };
}

function sslOptions(config: PostgresDatabaseConfig): pg.PoolConfig['ssl'] {
  switch (config.tls.mode) {
    case 'disable':
      return false;
    case 'require':
      // libpq semantics: encrypt, but do not verify the certificate.
      return { rejectUnauthorized: false };
    case 'verify-full':
      // Node verifies the chain against `ca` only, and the host name (checkServerIdentity) by default.
      return { rejectUnauthorized: true, ca: config.tls.ca };
  }
}
