// How the cart repository uses its connections, on real PostgreSQL (the embedded cluster, or DATABASE_URL):
// checkout is one transaction that commits or rolls back and never hands an open transaction back to the pool;
// a connection a failure may have broken is discarded; errors that are not refusals reach the caller as they
// are; the statements are named (prepared once per connection). Each case watches the database from a
// connection of its own (the observer), never through the repository under test.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import type { PostgresDatabaseConfig } from '../src/config.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createPool } from '../src/db/pool.js';
import { ServiceError } from '../src/repositories/errors.js';
import { PgCartRepository } from '../src/repositories/pg-cart-repository.js';
import { PgProductRepository } from '../src/repositories/pg-product-repository.js';
import { freshPostgresDatabase } from './helpers/postgres.js';

const where = process.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : 'embedded PostgreSQL';

async function rejectsWith(work: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(work, (error: unknown) => error instanceof ServiceError && error.code === code);
}

describe(`cart repository connections and transactions on ${where}`, () => {
  let database: PostgresDatabaseConfig;
  // ONE connection, so "the same connection afterwards" is observable through its backend pid.
  let pool: pg.Pool;
  let carts: PgCartRepository;
  let observer: pg.Pool;
  const cleanups: (() => Promise<void> | void)[] = [];

  before(async () => {
    database = await freshPostgresDatabase({ after: (fn) => cleanups.push(fn) });
    pool = createPool(database, () => {}, 1);
    observer = createPool(database, () => {}, 2);
    await migrateToLatest(observer);
    carts = new PgCartRepository(pool);
  });
  after(async () => {
    await pool?.end();
    await observer?.end();
    for (const fn of cleanups.reverse()) await fn();
  });

  const backendPid = async (): Promise<number> =>
    (await pool.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;

  /** Connections of this database that sit idle inside a transaction (what a missed commit/rollback leaves). */
  async function idleInTransaction(): Promise<number> {
    const { rows } = await observer.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity
       where datname = current_database() and state like 'idle in transaction%'`,
    );
    return rows[0]!.n;
  }

  /** Whether another connection can lock the cart row right now (nowait: fails at once if someone holds it). */
  async function cartRowIsFree(cartId: string): Promise<boolean> {
    const client = await observer.connect();
    try {
      await client.query('begin');
      await client.query('select id from carts where id = $1 for update nowait', [cartId]);
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === '55P03') return false; // lock_not_available
      throw error;
    } finally {
      await client.query('rollback');
      client.release();
    }
  }

  test('a checkout commits: another connection sees the order (2 × 2400 + 1800 = 6600) and the cart checked out', async () => {
    const { id } = await carts.create();
    await carts.addItem(id, 'BERTH-TEE', 2);
    await carts.addItem(id, 'BERTH-CAP', 1);
    const pid = await backendPid();
    const order = await carts.checkout(id);
    assert.equal(order.totalCents, 6600);
    const orders = await observer.query('select id, total_cents from orders where cart_id = $1', [id]);
    assert.deepEqual(orders.rows, [{ id: order.orderId, total_cents: 6600 }]);
    const status = await observer.query('select status from carts where id = $1', [id]);
    assert.deepEqual(status.rows, [{ status: 'checked_out' }]);
    assert.equal(
      await idleInTransaction(),
      0,
      'the connection went back to the pool outside any transaction',
    );
    assert.equal(await backendPid(), pid, 'a connection that did its work is kept, not discarded');
  });

  test('a refused checkout (empty, checked out, unknown cart) rolls back, frees the cart row and keeps the connection', async () => {
    const pid = await backendPid();
    const { id: empty } = await carts.create();
    await rejectsWith(carts.checkout(empty), 'cart_empty');
    assert.equal(await idleInTransaction(), 0, 'no transaction is left open after cart_empty');
    assert.equal(await cartRowIsFree(empty), true, 'the row lock taken by the refused checkout is released');
    const { id: sold } = await carts.create();
    await carts.addItem(sold, 'BERTH-MUG', 1);
    await carts.checkout(sold);
    await rejectsWith(carts.checkout(sold), 'cart_checked_out');
    assert.equal(await idleInTransaction(), 0, 'no transaction is left open after cart_checked_out');
    assert.equal(await cartRowIsFree(sold), true);
    await rejectsWith(carts.checkout('00000000-0000-4000-8000-00000000beef'), 'cart_not_found');
    assert.equal(await idleInTransaction(), 0, 'no transaction is left open after cart_not_found');
    assert.equal(await backendPid(), pid, 'a refusal leaves the connection usable, so it is kept');
  });

  test('a checkout failing after it marked the cart stores nothing: the cart stays open, no order, the connection is discarded', async () => {
    // GIVEN the database refuses the order's BERTH-STICKERS line (a trigger of this test's own database),
    // i.e. checkout fails after it has already marked the cart checked out and inserted the order
    await observer.query(`
      create function refuse_stickers() returns trigger language plpgsql as $$
      begin raise exception 'planted failure: no stickers'; end $$;
      create trigger refuse_stickers before insert on order_lines
        for each row when (new.sku = 'BERTH-STICKERS') execute function refuse_stickers();`);
    try {
      const { id } = await carts.create();
      await carts.addItem(id, 'BERTH-MUG', 3);
      await carts.addItem(id, 'BERTH-STICKERS', 2);
      const pid = await backendPid();
      // WHEN it checks out THEN the database's error reaches the caller as it is (not a refusal) ...
      await assert.rejects(
        carts.checkout(id),
        (error: unknown) => !(error instanceof ServiceError) && (error as { code?: string }).code === 'P0001',
      );
      // ... and nothing of the checkout is stored: one transaction, rolled back
      const status = await observer.query('select status from carts where id = $1', [id]);
      assert.deepEqual(status.rows, [{ status: 'open' }]);
      const orders = await observer.query('select id from orders where cart_id = $1', [id]);
      assert.deepEqual(orders.rows, []);
      assert.equal(await idleInTransaction(), 0);
      assert.equal(await cartRowIsFree(id), true);
      // AND a connection an unexpected error went through is not trusted again
      assert.notEqual(await backendPid(), pid);
      // AND the cart can still be bought once the cause is gone
      await carts.removeItem(id, 'BERTH-STICKERS');
      assert.equal((await carts.checkout(id)).totalCents, 3600);
    } finally {
      await observer.query('drop trigger if exists refuse_stickers on order_lines');
    }
  });

  test('database errors that are not the line bound reach the caller as they are, not as cart_full', async () => {
    // A cart id PostgreSQL cannot read as a UUID: invalid_text_representation (22P02). The routes validate ids
    // first; what matters here is that an error of the database (an outage too) is never reported as a refusal.
    for (const change of [
      () => carts.addItem('not-a-uuid', 'BERTH-MUG', 1),
      () => carts.setQuantity('not-a-uuid', 'BERTH-MUG', 2),
    ]) {
      await assert.rejects(
        change(),
        (error: unknown) => !(error instanceof ServiceError) && (error as { code?: string }).code === '22P02',
      );
    }
  });

  test('every statement is a named prepared statement on the connection that ran it', async () => {
    // Prepared once per connection, then only bound: the point of naming them (pg_prepared_statements lists
    // the protocol-level statements of the current session).
    const { id } = await carts.create();
    await carts.find(id);
    await carts.addItem(id, 'BERTH-MUG', 1);
    await carts.setQuantity(id, 'BERTH-CAP', 2);
    await carts.removeItem(id, 'BERTH-MUG');
    await carts.delete(id);
    await new PgProductRepository(pool).list();
    const { rows } = await pool.query<{ name: string }>(
      'select name from pg_prepared_statements order by name',
    );
    assert.deepEqual(
      rows.map((row) => row.name),
      ['add-item', 'create-cart', 'delete-cart', 'list-products', 'read-cart', 'remove-item', 'set-quantity'],
    );
  });
});
