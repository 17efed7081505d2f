import type { FastifyInstance } from 'fastify';
import { type AppOptions, buildApp } from '../../src/app.js';
import type { PostgresDatabaseConfig } from '../../src/config.js';
import { type Cleanup, freshPostgresDatabase } from './postgres.js';

export type { Cleanup } from './postgres.js';

/**
 * Builds the app on a fresh PostgreSQL database (or the given one), waits for its migrations unless told
 * not to, and closes it when the test ends.
 */
export async function build(
  t: Cleanup,
  options: { database?: PostgresDatabaseConfig; waitForMigrations?: boolean } & AppOptions = {},
): Promise<FastifyInstance> {
  const database = options.database ?? (await freshPostgresDatabase(t));
  const app = await buildApp({ logLevel: 'silent', keepAliveTimeoutSeconds: 65, database }, options);
  t.after(() => app.close());
  if (options.waitForMigrations ?? true) await app.database.migrated;
  return app;
}
