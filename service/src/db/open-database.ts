import type pg from 'pg';
import type { DatabaseConfig } from '../config.js';
import { type EmbeddedPostgres, startEmbeddedPostgres } from './embedded.js';
import { createPool } from './pool.js';

export interface OpenDatabase {
  readonly pool: pg.Pool;
  /** Ends the pool, then stops the embedded cluster when this process started it. */
  close(): Promise<void>;
}

/**
 * A pool on the configured server, or on the embedded cluster in DATA_DIR when none is configured (as the
 * web service does), for the processes that are not the web service: the worker and the release command.
 */
export async function openDatabase(
  config: DatabaseConfig,
  options: { poolSize: number; log: (message: string) => void },
): Promise<OpenDatabase> {
  let embedded: EmbeddedPostgres | undefined;
  let database = config;
  if (config.kind === 'embedded') {
    try {
      embedded = await startEmbeddedPostgres(config.dataDir, { log: options.log });
    } catch (error) {
      throw new Error(
        `cannot start the embedded PostgreSQL in ${config.dataDir}: ${(error as Error).message}; ` +
          'set DATABASE_URL to use another PostgreSQL server, or DATA_DIR to use another directory',
      );
    }
    database = embedded.database;
  }
  if (database.kind !== 'postgres') throw new Error('unreachable: the embedded cluster gives a server');
  const pool = createPool(
    database,
    (error) => options.log(`database connection lost: ${error.message}`),
    options.poolSize,
  );
  return {
    pool,
    async close() {
      await pool.end();
      await embedded?.stop();
    },
  };
}
