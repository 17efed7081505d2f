import { type Kysely, Migrator } from 'kysely';
import { MIGRATIONS } from './migrations/index.js';

/**
 * Brings the schema up to date. Safe when several replicas start together: Kysely's PostgresAdapter
 * (kysely 0.28, dialect/postgres/postgres-adapter.js) takes a session-level `pg_advisory_lock` on a
 * fixed key before reading the migration table, runs the pending migrations in one transaction, then
 * `pg_advisory_unlock`s — so the others wait and then find nothing left to do. The PGlite dialect uses
 * the same adapter.
 */
export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${describe(error)}`, { cause: error });
  }
  return (results ?? []).map((r) => r.migrationName);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
