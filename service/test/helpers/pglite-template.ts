import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import { migrateToLatest } from '../../src/db/migrate.js';

let template: Promise<Blob> | undefined;

/**
 * A migrated PGlite data directory, made once per test process. Opening from it (`loadDataDir`) skips
 * initdb, the slow part of opening PGlite, so every test can still have a fresh database of its own.
 */
export function migratedPgliteTemplate(): Promise<Blob> {
  template ??= (async () => {
    const pglite = await PGlite.create();
    const db = new Kysely<unknown>({ dialect: new PGliteDialect(pglite) });
    await migrateToLatest(db);
    const dump = await pglite.dumpDataDir('none');
    await db.destroy();
    return dump;
  })();
  return template;
}
