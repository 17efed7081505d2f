import { availableParallelism } from 'node:os';
import pg from 'pg';
import type { PostgresDatabaseConfig } from '../config.js';

/**
 * Connections per process. Each request runs one statement, so a connection is busy for well under a
 * millisecond of the service's time; more connections than a few per core only add lock and context-switch
 * contention in PostgreSQL. Measured with bench/service.ts (bench/README.md).
 */
export const POOL_SIZE = Math.max(4, 2 * availableParallelism());

/** A `pg` pool for the configured server; `onClientError` hears about connections the server dropped. */
export function createPool(
  config: PostgresDatabaseConfig,
  onClientError: (error: Error) => void = () => {},
): pg.Pool {
  const pool = new pg.Pool(postgresPoolConfig(config));
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
    max: POOL_SIZE,
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
