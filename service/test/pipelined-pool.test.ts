import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PipelinedPool } from '../src/db/pipelined-pool.js';
import { postgresPoolConfig } from '../src/db/pool.js';
import { freshPostgresDatabase, withClient } from './helpers/postgres.js';

const where = process.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : 'embedded PostgreSQL';

async function pidOf(statements: PipelinedPool): Promise<number> {
  const { rows } = await statements.query<{ pid: number }>({ text: 'select pg_backend_pid() as pid' });
  return rows[0]!.pid;
}

describe(`pipelined connections on ${where}`, () => {
  test('a failing statement fails alone: the ones pipelined behind it on its connection succeed', async (t) => {
    const statements = new PipelinedPool(postgresPoolConfig(await freshPostgresDatabase(t)), 1);
    t.after(() => statements.end());
    const [failed, after] = await Promise.allSettled([
      statements.query({ text: 'select 1 / 0 as never' }),
      statements.query<{ answer: number }>({ text: 'select 42 as answer' }),
    ]);
    // 22012: division_by_zero (PostgreSQL docs, "PostgreSQL Error Codes").
    assert.equal(failed.status === 'rejected' && (failed.reason as { code?: string }).code, '22012');
    assert.deepEqual(after.status === 'fulfilled' && after.value.rows, [{ answer: 42 }]);
  });

  test('a statement goes to the connection with the fewest in flight, not behind a slow one', async (t) => {
    const statements = new PipelinedPool(postgresPoolConfig(await freshPostgresDatabase(t)), 2);
    t.after(() => statements.end());
    // Both connections open, so the timing below measures no connection set-up.
    await Promise.all([pidOf(statements), pidOf(statements)]);
    const slow = statements.query<{ pid: number }>({ text: 'select pg_backend_pid() as pid, pg_sleep(2)' });
    const started = performance.now();
    const quickPid = await pidOf(statements);
    const quickMs = performance.now() - started;
    const slowPid = (await slow).rows[0]!.pid;
    assert.notEqual(quickPid, slowPid);
    assert.ok(quickMs < 1500, `the quick statement waited ${Math.round(quickMs)} ms, behind the slow one`);
  });

  test('statements with one key share one connection, even behind a slow one; different keys spread', async (t) => {
    const statements = new PipelinedPool(postgresPoolConfig(await freshPostgresDatabase(t)), 4);
    t.after(() => statements.end());
    const pidFor = async (key: string) =>
      (await statements.query<{ pid: number }>({ text: 'select pg_backend_pid() as pid' }, key)).rows[0]!.pid;
    // A slow statement first: a least-busy choice would send the ones after it elsewhere, a key does not.
    const slow = statements.query<{ pid: number }>(
      { text: 'select pg_backend_pid() as pid, pg_sleep(0.2)' },
      '6f1c2d3e-0000-4000-8000-000000000001',
    );
    const same = await Promise.all(
      Array.from({ length: 8 }, () => pidFor('6f1c2d3e-0000-4000-8000-000000000001')),
    );
    assert.deepEqual(new Set([...same, (await slow).rows[0]!.pid]).size, 1);
    const spread = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        pidFor(`6f1c2d3e-0000-4000-8000-0000000001${String(i).padStart(2, '0')}`),
      ),
    );
    assert.ok(new Set(spread).size >= 3, `16 keys used ${new Set(spread).size} of 4 connections`);
  });

  test('a key whose statements are done goes to a free connection, not back behind a slow statement', async (t) => {
    const statements = new PipelinedPool(postgresPoolConfig(await freshPostgresDatabase(t)), 2);
    t.after(() => statements.end());
    await Promise.all([pidOf(statements), pidOf(statements)]);
    const keys = Array.from({ length: 8 }, (_, i) => `6f1c2d3e-0000-4000-8000-00000000020${i}`);
    const pidFor = async (key: string) =>
      (await statements.query<{ pid: number }>({ text: 'select pg_backend_pid() as pid' }, key)).rows[0]!.pid;
    // With both connections free, every key runs on the first one.
    const before = [];
    for (const key of keys) before.push(await pidFor(key));
    const slow = statements.query<{ pid: number }>({ text: 'select pg_backend_pid() as pid, pg_sleep(2)' });
    const started = performance.now();
    const during = [];
    for (const key of keys) during.push(await pidFor(key));
    const waitedMs = performance.now() - started;
    const slowPid = (await slow).rows[0]!.pid;
    assert.deepEqual(new Set(before), new Set([slowPid]), 'the keys ran where the slow statement then ran');
    assert.equal(during.includes(slowPid), false, 'a key went back to the busy connection');
    assert.ok(
      waitedMs < 1500,
      `8 statements took ${Math.round(waitedMs)} ms: some waited behind the slow one`,
    );
  });

  test('after the server drops a connection, the next statements get a new one', async (t) => {
    const database = await freshPostgresDatabase(t);
    const lost: Error[] = [];
    const statements = new PipelinedPool(postgresPoolConfig(database), 1, (error) => lost.push(error));
    t.after(() => statements.end());
    const first = await pidOf(statements);
    await withClient(database, (client) => client.query('select pg_terminate_backend($1)', [first]));
    let next: number | undefined;
    const deadline = Date.now() + 5_000;
    while (next === undefined && Date.now() < deadline) {
      // The statements sent before the client has noticed the drop fail (503s in the app).
      next = await pidOf(statements).catch(() => undefined);
    }
    assert.ok(next !== undefined && next !== first, `still on backend ${first} (or none) after 5 s`);
    assert.ok(lost.length >= 1, 'onClientError never heard of the dropped connection');
  });

  test('end() closes the connections and refuses statements from then on', async (t) => {
    const database = await freshPostgresDatabase(t);
    const statements = new PipelinedPool(postgresPoolConfig(database), 2);
    const pid = await pidOf(statements);
    await statements.end();
    await assert.rejects(pidOf(statements), /not queryable/);
    const { rows } = await withClient(database, (client) =>
      client.query('select count(*)::int as n from pg_stat_activity where pid = $1', [pid]),
    );
    assert.deepEqual(rows, [{ n: 0 }]);
  });
});
