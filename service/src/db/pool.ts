import pg from 'pg';
import { DEFAULT_POOL_SIZE, type PostgresDatabaseConfig } from '../config.js';

/** A `pg` pool for the configured server; `onClientError` hears about connections the server dropped. */
export function createPool(
  config: PostgresDatabaseConfig,
  onClientError: (error: Error) => void = () => {},
  size: number = DEFAULT_POOL_SIZE,
): pg.Pool {
  const pool = new pg.Pool({ ...postgresPoolConfig(config), max: size });
  // A client dies when the server restarts or fails over; an unhandled 'error' event would crash the
  // process. The pool only listens on idle clients, so listen on every client too: one checked out at
  // that moment fails its query (a 503 for that request) and is discarded.
  pool.on('error', onClientError);
  pool.on('connect', (client) => client.on('error', onClientError));
  return pool;
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
    max: DEFAULT_POOL_SIZE,
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
