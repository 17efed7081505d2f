/**
 * MIGRATE_ON_START=false (src/plugins/database.ts): a deployment whose release command migrates starts its tasks
 * with the switch off, and start-up then applies nothing: it waits for the database and marks the app ready.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import database from '../src/plugins/database.js';
import errors from '../src/plugins/errors.js';
import lifecycle from '../src/plugins/lifecycle.js';
import metrics from '../src/plugins/metrics.js';
import { freshPostgresDatabase, withClient } from './helpers/postgres.js';

describe('database plugin with migrateOnStart: false (PostgreSQL 18)', () => {
  it('applies no migration, yet becomes ready once the database answers', async (t) => {
    const config = await freshPostgresDatabase(t);
    const logs: { msg: string; migrationsApplied?: unknown }[] = [];
    const app = Fastify({
      logger: { level: 'info', stream: { write: (line: string) => logs.push(JSON.parse(line)) } },
    });
    await app.register(errors);
    await app.register(metrics);
    await app.register(lifecycle);
    await app.register(database, { database: config, poolSize: 2, migrateOnStart: false });
    await app.ready();
    t.after(() => app.close());

    await app.database.migrated;

    assert.equal(app.lifecycle.phase, 'ready');
    assert.deepEqual(logs.find((l) => l.msg === 'database ready')?.migrationsApplied, []);
    const tables = await withClient(config, (client) =>
      client.query<{ name: string }>(
        "select table_name as name from information_schema.tables where table_schema = 'public' order by 1",
      ),
    );
    // Only the bookkeeping table: the schema is the release command's to create.
    assert.deepEqual(
      tables.rows.map((r) => r.name),
      ['berth_migrations'],
    );
  });
});
