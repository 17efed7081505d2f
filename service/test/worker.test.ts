import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import type { PostgresDatabaseConfig } from '../src/config.js';
import { ConfigError } from '../src/config.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createPool } from '../src/db/pool.js';
import { ServiceError } from '../src/repositories/errors.js';
import { PgCartRepository } from '../src/repositories/pg-cart-repository.js';
import { expireAbandonedCarts } from '../src/worker/expire-carts.js';
import { parseWorkerConfig } from '../src/worker/worker-config.js';
import { freshPostgresDatabase } from './helpers/postgres.js';

const SERVICE_DIR = fileURLToPath(new URL('../', import.meta.url));
const HOUR_MS = 3_600_000;

describe('worker settings', () => {
  test('default to 72 hours and 300 seconds', () => {
    assert.deepEqual(parseWorkerConfig({}), { cartExpiryHours: 72, intervalSeconds: 300 });
  });
  test('are read from CART_EXPIRY_HOURS and WORKER_INTERVAL_SECONDS', () => {
    assert.deepEqual(parseWorkerConfig({ CART_EXPIRY_HOURS: '5', WORKER_INTERVAL_SECONDS: '7' }), {
      cartExpiryHours: 5,
      intervalSeconds: 7,
    });
  });
  test('a bad value is one line naming the variable', () => {
    assert.throws(
      () => parseWorkerConfig({ CART_EXPIRY_HOURS: '0' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message === 'CART_EXPIRY_HOURS must be an integer from 1 to 8760, got "0"',
    );
    assert.throws(
      () => parseWorkerConfig({ WORKER_INTERVAL_SECONDS: '1.5' }),
      /^ConfigError: WORKER_INTERVAL_SECONDS must be an integer from 1 to 86400, got "1.5"$/,
    );
  });
});

describe('abandoned-cart expiry on PostgreSQL', () => {
  let pool: pg.Pool;
  let carts: PgCartRepository;
  const cleanups: (() => Promise<void> | void)[] = [];

  before(async () => {
    pool = createPool(await freshPostgresDatabase({ after: (fn) => cleanups.push(fn) }));
    await migrateToLatest(pool);
    carts = new PgCartRepository(pool);
  });
  after(async () => {
    await pool?.end();
    for (const fn of cleanups.reverse()) await fn();
  });

  async function touchedAt(cartId: string): Promise<Date | undefined> {
    const { rows } = await pool.query<{ touched_at: Date }>('select touched_at from carts where id = $1', [
      cartId,
    ]);
    return rows[0]?.touched_at;
  }
  async function setTouchedAt(cartId: string, at: string): Promise<void> {
    await pool.query('update carts set touched_at = $2 where id = $1', [cartId, at]);
  }
  const exists = async (cartId: string) => (await touchedAt(cartId)) !== undefined;

  test('every change to a cart moves its touched_at; an explicit value is kept', async () => {
    const cart = (await carts.create()).id;
    const old = '2020-01-01T00:00:00.000Z';
    for (const change of [
      () => carts.addItem(cart, 'BERTH-MUG', 1), // new line
      () => carts.addItem(cart, 'BERTH-MUG', 1), // existing line: line_count stays, touched_at moves
      () => carts.setQuantity(cart, 'BERTH-MUG', 5),
      () => carts.removeItem(cart, 'BERTH-MUG'),
    ]) {
      await setTouchedAt(cart, old);
      assert.equal((await touchedAt(cart))?.toISOString(), old, 'an explicit value is stored as given');
      await change();
      const after = await touchedAt(cart);
      assert.ok(
        after !== undefined && Date.now() - after.getTime() < 60_000,
        `touched: ${after?.toISOString()}`,
      );
    }
  });

  test('touched_at is written at most once a minute: a change to a cart touched 30 s ago leaves it', async () => {
    const cart = (await carts.create()).id;
    await carts.addItem(cart, 'BERTH-MUG', 1);
    const recent = new Date(Date.now() - 30_000).toISOString();
    const stale = new Date(Date.now() - 61_000).toISOString();
    // GIVEN a cart touched 30 s ago, WHEN an existing line changes, THEN touched_at stays
    await setTouchedAt(cart, recent);
    await carts.addItem(cart, 'BERTH-MUG', 1);
    await carts.setQuantity(cart, 'BERTH-MUG', 4);
    assert.equal((await touchedAt(cart))?.toISOString(), recent);
    // WHEN a line is added or removed, THEN it moves (the statement writes the cart row for line_count anyway)
    await carts.addItem(cart, 'BERTH-CAP', 1);
    assert.notEqual((await touchedAt(cart))?.toISOString(), recent, 'a new line');
    await setTouchedAt(cart, recent);
    await carts.removeItem(cart, 'BERTH-CAP');
    assert.notEqual((await touchedAt(cart))?.toISOString(), recent, 'a removed line');
    // GIVEN a cart touched 61 s ago, WHEN an existing line changes, THEN touched_at moves
    await setTouchedAt(cart, stale);
    await carts.addItem(cart, 'BERTH-MUG', 1);
    const moved = await touchedAt(cart);
    assert.ok(
      moved !== undefined && Date.now() - moved.getTime() < 30_000,
      `touched: ${moved?.toISOString()}`,
    );
    assert.equal((await carts.find(cart))?.lines[0]?.quantity, 5, 'every change was stored');
  });

  test('boundaries: older than 72 h is deleted, exactly 72 h and younger are kept, checked-out carts stay', async () => {
    const now = new Date('2026-06-04T12:00:00.000Z');
    const cases = {
      '72h and 1 ms ago': ['2026-06-01T11:59:59.999Z', false],
      'a week ago': ['2026-05-28T12:00:00.000Z', false],
      'exactly 72 h ago': ['2026-06-01T12:00:00.000Z', true],
      '71h59m59s ago': ['2026-06-01T12:00:01.000Z', true],
      'an hour ago': ['2026-06-04T11:00:00.000Z', true],
    } as const;
    const ids = new Map<string, string>();
    for (const [name, [at]] of Object.entries(cases)) {
      const id = (await carts.create()).id;
      await carts.addItem(id, 'BERTH-TEE', 2);
      await setTouchedAt(id, at);
      ids.set(name, id);
    }
    const checkedOut = (await carts.create()).id;
    await carts.addItem(checkedOut, 'BERTH-CAP', 1);
    await carts.checkout(checkedOut);
    await setTouchedAt(checkedOut, '2026-01-01T00:00:00.000Z');

    const result = await expireAbandonedCarts(pool, { olderThanHours: 72, now });

    for (const [name, [, kept]] of Object.entries(cases)) {
      assert.equal(await exists(ids.get(name)!), kept, name);
    }
    assert.equal(await exists(checkedOut), true, 'a checked-out cart is an order: never expired');
    assert.deepEqual(result, { deleted: 2, interrupted: false });
    // The lines went with the carts (on delete cascade), the checked-out cart's order is untouched.
    const { rows } = await pool.query('select count(*)::int as n from cart_lines where cart_id = any($1)', [
      [ids.get('72h and 1 ms ago'), ids.get('a week ago')],
    ]);
    assert.deepEqual(rows, [{ n: 0 }]);
    // The API answers cart_not_found for an expired cart, which the storefront handles by starting a new one.
    await assert.rejects(
      carts.addItem(ids.get('a week ago')!, 'BERTH-MUG', 1),
      (error: unknown) => error instanceof ServiceError && error.code === 'cart_not_found',
    );
  });

  test('the pass works in batches until no abandoned cart is left, and stops between batches when told', async () => {
    // Earlier than every other test's carts, so they are all younger than the pinned clock's cut-off.
    const now = new Date('2019-03-01T00:00:00.000Z');
    const stale: string[] = [];
    for (let i = 0; i < 7; i++) {
      const id = (await carts.create()).id;
      await setTouchedAt(id, '2019-02-01T00:00:00.000Z');
      stale.push(id);
    }
    const stop = new AbortController();
    stop.abort();
    assert.deepEqual(
      await expireAbandonedCarts(pool, { olderThanHours: 1, now, batchSize: 3, signal: stop.signal }),
      {
        deleted: 0,
        interrupted: true,
      },
    );
    assert.deepEqual(await expireAbandonedCarts(pool, { olderThanHours: 1, now, batchSize: 3 }), {
      deleted: 7,
      interrupted: false,
    });
    for (const id of stale) assert.equal(await exists(id), false);
  });

  test('a cart being changed while the pass runs is not deleted', async () => {
    // GIVEN a stale cart that a request is changing right now (its transaction holds the cart row)
    const cart = (await carts.create()).id;
    await carts.addItem(cart, 'BERTH-MUG', 1);
    await setTouchedAt(cart, '2020-01-01T00:00:00.000Z');
    const request = await pool.connect();
    try {
      await request.query('begin');
      // The API's own statement, inside a transaction the test keeps open (a client runs queries as a pool does).
      await new PgCartRepository(request as unknown as pg.Pool).setQuantity(cart, 'BERTH-MUG', 2);
      // WHEN a pass runs meanwhile
      await expireAbandonedCarts(pool, { olderThanHours: 72 });
      // THEN it passes over the cart without waiting, and the change commits
      assert.equal(await exists(cart), true);
      await request.query('commit');
    } finally {
      request.release();
    }
    // AND once committed the cart counts as touched now, so the next pass keeps it too
    await expireAbandonedCarts(pool, { olderThanHours: 72 });
    const found = await carts.find(cart);
    assert.equal(found?.lines[0]?.quantity, 2);
  });

  test('racing requests and passes: a change that succeeded is never lost to expiry', async () => {
    // GIVEN many stale carts
    const stale: string[] = [];
    for (let i = 0; i < 40; i++) {
      const id = (await carts.create()).id;
      await setTouchedAt(id, '2020-01-01T00:00:00.000Z');
      stale.push(id);
    }
    // WHEN each is changed while expiry passes run concurrently
    const changes = stale.map((id) =>
      carts.addItem(id, 'BERTH-STICKERS', 1).then(
        () => 'added' as const,
        (error: unknown) => {
          if (error instanceof ServiceError && error.code === 'cart_not_found') return 'gone' as const;
          throw error;
        },
      ),
    );
    const passes = [1, 2, 3].map(() => expireAbandonedCarts(pool, { olderThanHours: 72, batchSize: 5 }));
    const outcomes = await Promise.all(changes);
    await Promise.all(passes);
    await expireAbandonedCarts(pool, { olderThanHours: 72 });
    // THEN every cart whose change succeeded still exists with its line; every other one is gone
    for (const [i, id] of stale.entries()) {
      const found = await carts.find(id);
      if (outcomes[i] === 'added') assert.equal(found?.lines[0]?.quantity, 1, `cart ${i} kept its change`);
      else assert.equal(found, undefined, `cart ${i} answered not found, so it must be gone`);
    }
  });
});

interface Spawned {
  child: ChildProcessWithoutNullStreams;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnScript(script: string, env: Record<string, string>): Spawned {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: SERVICE_DIR,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return { child, output: () => output, exited };
}

/** The database as the processes read it: DATABASE_URL when the tests run on one (its string names the database). */
function postgresEnv(database: PostgresDatabaseConfig): Record<string, string> {
  if (database.connectionString !== undefined) return { DATABASE_URL: database.connectionString };
  return {
    PGHOST: database.host ?? '',
    PGPORT: String(database.port ?? ''),
    PGUSER: database.user ?? '',
    PGPASSWORD: database.password ?? '',
    PGDATABASE: database.database ?? '',
  };
}

async function waitForLine(
  process: Spawned,
  pattern: RegExp,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const line = process
      .output()
      .split('\n')
      .find((text) => pattern.test(text));
    if (line !== undefined) return JSON.parse(line) as Record<string, unknown>;
    if (process.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no line matching ${pattern}:\n${process.output()}`);
}

async function migratedDatabase(t: TestContext): Promise<PostgresDatabaseConfig> {
  const database = await freshPostgresDatabase(t);
  const pool = createPool(database);
  await migrateToLatest(pool);
  await pool.end();
  return database;
}

function jsonLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('the real processes (src/worker.ts, src/migrate-command.ts)', () => {
  test('release command: applies the migrations, exit 0; again: nothing to do, exit 0', async (t) => {
    const database = await freshPostgresDatabase(t);
    const first = spawnScript('src/migrate-command.ts', postgresEnv(database));
    assert.deepEqual(await first.exited, { code: 0, signal: null });
    const [line] = jsonLines(first.output()).filter((entry) => entry.level === 30);
    assert.equal(line?.msg, 'release: applied 4 migrations');
    assert.deepEqual(line?.migrationsApplied, [
      '0001-initial',
      '0002-cart-line-count',
      '0003-cart-touched-at',
      '0004-cart-touched-by-changes',
    ]);

    const second = spawnScript('src/migrate-command.ts', postgresEnv(database));
    assert.deepEqual(await second.exited, { code: 0, signal: null });
    assert.match(second.output(), /"msg":"release: the schema is up to date"/);
  });

  test('release command: a migration that fails exits 1 with one error line saying why', async (t) => {
    // GIVEN a database where 0003 cannot apply: a column of that name is already there
    const database = await freshPostgresDatabase(t);
    const pool = createPool(database);
    await migrateToLatest(pool);
    await pool.query("delete from berth_migrations where name = '0003-cart-touched-at'");
    await pool.end();
    // WHEN the release command runs
    const release = spawnScript('src/migrate-command.ts', postgresEnv(database));
    // THEN it exits 1 and its one error line names the migration and PostgreSQL's reason
    assert.deepEqual(await release.exited, { code: 1, signal: null });
    const errors = jsonLines(release.output()).filter((entry) => entry.level === 50);
    assert.equal(errors.length, 1);
    assert.match(
      String(errors[0]?.msg),
      /^release failed: database migration 0003-cart-touched-at failed: column "touched_at" of relation "carts" already exists$/,
    );
  });

  test('release command: a bad setting exits 1 naming it', async () => {
    const release = spawnScript('src/migrate-command.ts', { PGHOST: 'db.internal', PGPORT: 'five' });
    assert.deepEqual(await release.exited, { code: 1, signal: null });
    assert.match(
      release.output(),
      /"msg":"invalid configuration: PGPORT must be an integer from 1 to 65535, got \\"five\\""/,
    );
  });

  test('worker: expires carts on its interval; SIGTERM while waiting exits 0 at once, not after the interval', async (t) => {
    // GIVEN a migrated database with one abandoned and one fresh cart
    const database = await freshPostgresDatabase(t);
    const pool = createPool(database);
    t.after(() => pool.end());
    await migrateToLatest(pool);
    const carts = new PgCartRepository(pool);
    const abandoned = (await carts.create()).id;
    const fresh = (await carts.create()).id;
    await pool.query('update carts set touched_at = $2 where id = $1', [
      abandoned,
      new Date(Date.now() - 5 * HOUR_MS).toISOString(),
    ]);
    // WHEN the worker runs with a 4 h expiry and a long interval
    const worker = spawnScript('src/worker.ts', {
      ...postgresEnv(database),
      CART_EXPIRY_HOURS: '4',
      WORKER_INTERVAL_SECONDS: '3600',
    });
    const pass = await waitForLine(worker, /"msg":"expiry pass finished"/, 60_000);
    // THEN the first pass deleted exactly the abandoned cart
    assert.equal(pass.deleted, 1);
    assert.equal(await carts.find(abandoned), undefined);
    assert.notEqual(await carts.find(fresh), undefined);
    // AND SIGTERM during the hour-long wait stops it cleanly within a few seconds
    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    assert.deepEqual(await worker.exited, { code: 0, signal: null });
    const stopMs = Date.now() - signalledAt;
    assert.ok(stopMs < 5_000, `stopped in ${stopMs} ms`);
    const lines = jsonLines(worker.output());
    assert.deepEqual(
      lines.map((line) => line.msg),
      ['worker started', 'expiry pass finished', 'stopping after the batch in progress', 'stopped cleanly'],
    );
    for (const line of lines) {
      assert.equal(typeof line.time, 'number');
      assert.equal(line.name, 'berth-worker');
    }
  });

  test('worker with TRACING=console: each pass is a trace of its own, and its log line carries that trace id', async (t) => {
    const database = await migratedDatabase(t);
    const worker = spawnScript('src/worker.ts', {
      ...postgresEnv(database),
      TRACING: 'console',
      WORKER_INTERVAL_SECONDS: '3600',
    });
    const pass = await waitForLine(worker, /"msg":"expiry pass finished"/, 60_000);
    assert.match(String(pass.trace_id), /^[0-9a-f]{32}$/, worker.output());
    worker.child.kill('SIGTERM');
    assert.deepEqual(await worker.exited, { code: 0, signal: null });
    // The console exporter prints each span as an object literal; shutdown sends what is still buffered.
    const span = worker
      .output()
      .split(/\n(?=\{\n)/)
      .find((printed) => printed.includes("name: 'expiry pass'"));
    assert.ok(span, `a span named expiry pass:\n${worker.output()}`);
    assert.ok(span.includes(`traceId: '${pass.trace_id}'`), span);
    assert.match(worker.output(), /'service.name': 'berth-worker'/);
  });

  test('worker with TRACING_SAMPLE_RATIO=0: nothing is recorded, yet the pass log line carries a trace id', async (t) => {
    const database = await migratedDatabase(t);
    const worker = spawnScript('src/worker.ts', {
      ...postgresEnv(database),
      TRACING: 'console',
      TRACING_SAMPLE_RATIO: '0',
      WORKER_INTERVAL_SECONDS: '3600',
    });
    const pass = await waitForLine(worker, /"msg":"expiry pass finished"/, 60_000);
    assert.match(String(pass.trace_id), /^[0-9a-f]{32}$/, worker.output());
    assert.match(String(pass.span_id), /^[0-9a-f]{16}$/, worker.output());
    worker.child.kill('SIGTERM');
    assert.deepEqual(await worker.exited, { code: 0, signal: null });
    assert.doesNotMatch(worker.output(), /traceId: '/, 'no span was recorded');
  });

  test('worker: SIGTERM as it starts still ends with a clean exit 0 well inside 30 s', async (t) => {
    const database = await migratedDatabase(t);
    const worker = spawnScript('src/worker.ts', { ...postgresEnv(database), WORKER_INTERVAL_SECONDS: '1' });
    await waitForLine(worker, /"msg":"worker started"/, 60_000);
    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    assert.deepEqual(await worker.exited, { code: 0, signal: null });
    const stopMs = Date.now() - signalledAt;
    assert.ok(stopMs < 5_000, `stopped in ${stopMs} ms`);
    assert.match(worker.output(), /"msg":"stopped cleanly"/);
  });
});
