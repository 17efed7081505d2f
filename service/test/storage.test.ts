import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { DEFAULT_POOL_SIZE } from '../src/config.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { MIGRATIONS } from '../src/db/migrations.js';
import { PipelinedPool } from '../src/db/pipelined-pool.js';
import { createPool, postgresPoolConfig } from '../src/db/pool.js';
import { ServiceError } from '../src/repositories/errors.js';
import { PgCartRepository } from '../src/repositories/pg-cart-repository.js';
import { PgProductRepository } from '../src/repositories/pg-product-repository.js';
import { MAX_LINES_PER_CART, MAX_QUANTITY } from '../src/schemas/limits.js';
import { freshPostgresDatabase } from './helpers/postgres.js';

// PostgreSQL: the embedded cluster the helper starts, or DATABASE_URL when set (CI can point it at RDS's
// engine version). The pool has several connections, so the parallel tests below really run in parallel.
const where = process.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : 'embedded PostgreSQL';

async function rejectsWith(work: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(work, (error: unknown) => error instanceof ServiceError && error.code === code);
}

function quantityOf(cart: { lines: { sku: string; quantity: number }[] }, sku: string): number | undefined {
  return cart.lines.find((line) => line.sku === sku)?.quantity;
}

// The app sends reads and one-statement changes over pipelined connections (PipelinedPool), a set for each;
// the repository must keep every invariant whether they go there or over the pool.
for (const statementsOver of ['pipelined connections', 'a pool'] as const) {
  describe(`cart storage on ${where}, reads and changes over ${statementsOver}`, () => {
    let pool: pg.Pool;
    let statements: PipelinedPool | undefined;
    let changes: PipelinedPool | undefined;
    let carts: PgCartRepository;
    const cleanups: (() => Promise<void> | void)[] = [];

    before(async () => {
      const database = await freshPostgresDatabase({ after: (fn) => cleanups.push(fn) });
      pool = createPool(database);
      await migrateToLatest(pool);
      if (statementsOver === 'pipelined connections') {
        statements = new PipelinedPool(postgresPoolConfig(database), DEFAULT_POOL_SIZE);
        changes = new PipelinedPool(postgresPoolConfig(database), DEFAULT_POOL_SIZE);
      }
      carts = new PgCartRepository(pool, statements, changes);
    });
    after(async () => {
      await statements?.end();
      await changes?.end();
      await pool?.end();
      for (const fn of cleanups.reverse()) await fn();
    });

    test(`the pool really is a pool (${DEFAULT_POOL_SIZE} connections), so the parallel tests are parallel`, () => {
      assert.ok(DEFAULT_POOL_SIZE > 1);
    });

    test('the migration seeds the catalogue in storefront order', async () => {
      const products = await new PgProductRepository(statements ?? pool).list();
      assert.deepEqual(
        products.map((p) => [p.sku, p.name, p.priceCents, p.imageUrl]),
        [
          ['BERTH-MUG', 'Berth mug', 1200, '/images/mug.svg'],
          ['BERTH-TEE', 'Berth T-shirt', 2400, '/images/tee.svg'],
          ['BERTH-CAP', 'Berth cap', 1800, '/images/cap.svg'],
          ['BERTH-STICKERS', 'Sticker pack', 500, '/images/stickers.svg'],
        ],
      );
    });

    test('migrating again changes nothing', async () => {
      assert.deepEqual(await migrateToLatest(pool), []);
    });

    test('adds accumulate on one line, set replaces, 0 and remove delete, totals follow', async () => {
      const { id } = await carts.create();
      await carts.addItem(id, 'BERTH-MUG', 2);
      let cart = await carts.addItem(id, 'BERTH-MUG', 3);
      assert.equal(quantityOf(cart, 'BERTH-MUG'), 5);
      cart = await carts.setQuantity(id, 'BERTH-STICKERS', 4);
      assert.deepEqual(cart.lines[1], {
        sku: 'BERTH-STICKERS',
        name: 'Sticker pack',
        quantity: 4,
        unitPriceCents: 500,
        lineTotalCents: 2000,
      });
      assert.equal(cart.totalCents, 5 * 1200 + 4 * 500);
      cart = await carts.setQuantity(id, 'BERTH-MUG', 0);
      assert.deepEqual(
        cart.lines.map((l) => l.sku),
        ['BERTH-STICKERS'],
      );
      cart = await carts.removeItem(id, 'BERTH-STICKERS');
      assert.deepEqual(cart.lines, []);
      assert.equal(cart.totalCents, 0);
      cart = await carts.removeItem(id, 'BERTH-STICKERS');
      assert.deepEqual(cart.lines, [], 'removing an absent line leaves the cart as it is');
    });

    test('refuses unknown carts and SKUs', async () => {
      const missing = '00000000-0000-4000-8000-000000000000';
      assert.equal(await carts.find(missing), undefined);
      await rejectsWith(carts.addItem(missing, 'BERTH-MUG', 1), 'cart_not_found');
      await rejectsWith(carts.delete(missing), 'cart_not_found');
      const { id } = await carts.create();
      await rejectsWith(carts.addItem(id, 'NO-SUCH-SKU', 1), 'unknown_sku');
      await rejectsWith(carts.setQuantity(id, 'NO-SUCH-SKU', 1), 'unknown_sku');
    });

    test(`a line stops at ${MAX_QUANTITY} and a refused add changes nothing`, async () => {
      const { id } = await carts.create();
      await carts.addItem(id, 'BERTH-CAP', MAX_QUANTITY - 1);
      await rejectsWith(carts.addItem(id, 'BERTH-CAP', 2), 'quantity_limit');
      assert.equal(quantityOf((await carts.find(id))!, 'BERTH-CAP'), MAX_QUANTITY - 1);
      await carts.addItem(id, 'BERTH-CAP', 1);
      assert.equal(quantityOf((await carts.find(id))!, 'BERTH-CAP'), MAX_QUANTITY);
    });

    test(`a cart holds at most ${MAX_LINES_PER_CART} lines`, async () => {
      // GIVEN more products than a cart may hold lines
      const extra = Array.from({ length: MAX_LINES_PER_CART + 1 }, (_, i) => ({
        sku: `LINE-TEST-${String(i).padStart(2, '0')}`,
        name: `Line test ${i}`,
        price_cents: 100,
        image_url: '/images/mug.svg',
        position: 100 + i,
      }));
      for (const p of extra) {
        await pool.query(
          'insert into products (sku, name, price_cents, image_url, position) values ($1, $2, $3, $4, $5)',
          [p.sku, p.name, p.price_cents, p.image_url, p.position],
        );
      }
      const { id } = await carts.create();
      for (const product of extra.slice(0, MAX_LINES_PER_CART)) await carts.addItem(id, product.sku, 1);
      // WHEN one more line is added THEN it is refused and the cart is unchanged
      await rejectsWith(carts.addItem(id, extra.at(-1)!.sku, 1), 'cart_full');
      await rejectsWith(carts.setQuantity(id, extra.at(-1)!.sku, 1), 'cart_full');
      assert.equal((await carts.find(id))!.lines.length, MAX_LINES_PER_CART);
    });

    test('checkout turns the lines into an order once; the cart then refuses changes', async () => {
      const { id } = await carts.create();
      await rejectsWith(carts.checkout(id), 'cart_empty');
      await carts.addItem(id, 'BERTH-TEE', 2);
      await carts.addItem(id, 'BERTH-MUG', 1);
      const order = await carts.checkout(id);
      assert.equal(order.totalCents, 2 * 2400 + 1200);
      assert.deepEqual(
        order.lines.map((l) => [l.sku, l.quantity]),
        [
          ['BERTH-TEE', 2],
          ['BERTH-MUG', 1],
        ],
      );
      const { rows: stored } = await pool.query(
        'select sku, name, quantity, unit_price_cents from order_lines where order_id = $1 order by sku',
        [order.orderId],
      );
      assert.deepEqual(stored, [
        { sku: 'BERTH-MUG', name: 'Berth mug', quantity: 1, unit_price_cents: 1200 },
        { sku: 'BERTH-TEE', name: 'Berth T-shirt', quantity: 2, unit_price_cents: 2400 },
      ]);
      assert.equal((await carts.find(id))!.status, 'checked_out');
      await rejectsWith(carts.checkout(id), 'cart_checked_out');
      await rejectsWith(carts.addItem(id, 'BERTH-MUG', 1), 'cart_checked_out');
      await rejectsWith(carts.setQuantity(id, 'BERTH-MUG', 0), 'cart_checked_out');
      await rejectsWith(carts.removeItem(id, 'BERTH-MUG'), 'cart_checked_out');
      await rejectsWith(carts.delete(id), 'cart_checked_out');
    });

    test('deleting a cart deletes its lines', async () => {
      const { id } = await carts.create();
      await carts.addItem(id, 'BERTH-MUG', 1);
      await carts.delete(id);
      assert.equal(await carts.find(id), undefined);
      const { rows } = await pool.query('select sku from cart_lines where cart_id = $1', [id]);
      assert.deepEqual(rows, []);
    });

    test('50 parallel adds of 1 to one line end at exactly 50', async () => {
      const { id } = await carts.create();
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, () => carts.addItem(id, 'BERTH-MUG', 1)),
      );
      assert.equal(results.filter((r) => r.status === 'rejected').length, 0);
      assert.equal(quantityOf((await carts.find(id))!, 'BERTH-MUG'), 50);
    });

    test(`200 parallel adds of 1: exactly ${MAX_QUANTITY} succeed, the rest get quantity_limit`, async () => {
      const { id } = await carts.create();
      const results = await Promise.allSettled(
        Array.from({ length: 200 }, () => carts.addItem(id, 'BERTH-TEE', 1)),
      );
      const refused = results.filter((r) => r.status === 'rejected');
      assert.equal(results.length - refused.length, MAX_QUANTITY);
      for (const r of refused) assert.equal((r.reason as ServiceError).code, 'quantity_limit');
      assert.equal(quantityOf((await carts.find(id))!, 'BERTH-TEE'), MAX_QUANTITY);
    });

    test('adds racing a checkout: the order holds exactly the adds that succeeded, the rest are refused', async () => {
      const { id } = await carts.create();
      await carts.addItem(id, 'BERTH-MUG', 1);
      const adds = Array.from({ length: 40 }, () => carts.addItem(id, 'BERTH-MUG', 1));
      const checkout = carts.checkout(id);
      const results = await Promise.allSettled(adds);
      const order = await checkout;
      const refused = results.filter((r) => r.status === 'rejected');
      for (const r of refused) assert.equal((r.reason as ServiceError).code, 'cart_checked_out');
      assert.deepEqual(
        order.lines.map((l) => [l.sku, l.quantity]),
        [['BERTH-MUG', 1 + results.length - refused.length]],
      );
    });

    test(`parallel adds of new lines stop at exactly ${MAX_LINES_PER_CART} lines`, async () => {
      const skus = Array.from(
        { length: MAX_LINES_PER_CART + 10 },
        (_, i) => `RACE-${String(i).padStart(2, '0')}`,
      );
      await pool.query(
        `insert into products (sku, name, price_cents, image_url, position)
         select sku, sku, 100, '/images/mug.svg', 200 + n from unnest($1::text[]) with ordinality as s(sku, n)`,
        [skus],
      );
      const { id } = await carts.create();
      const results = await Promise.allSettled(skus.map((sku) => carts.addItem(id, sku, 1)));
      const refused = results.filter((r) => r.status === 'rejected');
      assert.equal(refused.length, 10);
      for (const r of refused) assert.equal((r.reason as ServiceError).code, 'cart_full');
      assert.equal((await carts.find(id))!.lines.length, MAX_LINES_PER_CART);
      const { rows } = await pool.query('select line_count from carts where id = $1', [id]);
      assert.deepEqual(rows, [{ line_count: MAX_LINES_PER_CART }]);
    });

    test('parallel checkouts of one cart create exactly one order', async () => {
      const { id } = await carts.create();
      await carts.addItem(id, 'BERTH-CAP', 1);
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => carts.checkout(id)));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const { rows: orders } = await pool.query('select id from orders where cart_id = $1', [id]);
      assert.equal(orders.length, 1);
    });
  });
}

describe(`migrations on ${where}`, () => {
  test('several replicas migrating at once apply each migration exactly once', async (t) => {
    // GIVEN an empty database and four replicas, each with its own pool
    const config = await freshPostgresDatabase(t);
    const replicas = Array.from({ length: 4 }, () => createPool(config));
    try {
      // WHEN they all migrate together
      const applied = await Promise.all(replicas.map((pool) => migrateToLatest(pool)));
      // THEN one applied the migrations, the others found nothing to do, and the seed ran once
      assert.deepEqual(applied.flat(), [
        '0001-initial',
        '0002-cart-line-count',
        '0003-cart-touched-at',
        '0004-cart-touched-by-changes',
      ]);
      const { rows } = await replicas[0]!.query('select sku from products');
      assert.equal(rows.length, 4);
    } finally {
      // Before the database is dropped (t.after), which would cut these connections.
      for (const pool of replicas) await pool.end();
    }
  });
});

describe(`upgrading a database an earlier release created, on ${where}`, () => {
  test('the tables are adopted and every cart gets the line count of the lines it holds', async (t) => {
    // GIVEN the schema the Kysely migrator of earlier releases created (same tables, no line count), with data
    const config = await freshPostgresDatabase(t);
    const pool = createPool(config);
    t.after(() => pool.end());
    await pool.query(MIGRATIONS[0]!.sql);
    await pool.query('create table kysely_migration (name varchar(255) primary key, timestamp varchar(255))');
    const cart = '11111111-1111-4111-8111-111111111111';
    await pool.query('insert into carts (id) values ($1)', [cart]);
    await pool.query(
      "insert into cart_lines (cart_id, sku, quantity) values ($1, 'BERTH-MUG', 2), ($1, 'BERTH-CAP', 1)",
      [cart],
    );
    // WHEN this release migrates
    assert.deepEqual(await migrateToLatest(pool), [
      '0001-initial',
      '0002-cart-line-count',
      '0003-cart-touched-at',
      '0004-cart-touched-by-changes',
    ]);
    // THEN the data is intact and the line bound counts the lines that were already there
    const { rows } = await pool.query('select line_count from carts where id = $1', [cart]);
    assert.deepEqual(rows, [{ line_count: 2 }]);
    const carts = new PgCartRepository(pool);
    const updated = await carts.addItem(cart, 'BERTH-TEE', 1);
    assert.deepEqual(
      updated.lines.map((line) => [line.sku, line.quantity]),
      [
        ['BERTH-MUG', 2],
        ['BERTH-CAP', 1],
        ['BERTH-TEE', 1],
      ],
    );
    assert.deepEqual((await pool.query('select line_count from carts where id = $1', [cart])).rows, [
      { line_count: 3 },
    ]);
  });
});

describe(`connection loss on ${where}`, () => {
  test('a connection cut while checked out (e.g. mid-transaction) does not crash the process', async (t) => {
    // GIVEN a pool client checked out between two statements, as inside a checkout transaction
    const config = await freshPostgresDatabase(t);
    const lost: Error[] = [];
    const pool = createPool(config, (error) => lost.push(error));
    await migrateToLatest(pool);
    const killer = createPool(config);
    try {
      const client = await pool.connect();
      const busy = (async () => {
        const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
        // WHEN the server ends that backend (what a restart or failover does)
        await killer.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
        await new Promise((resolve) => setTimeout(resolve, 200));
        // THEN the next statement on it fails (that request's 5xx) ...
        return client.query('select 1');
      })();
      await assert.rejects(busy);
      client.release(true);
      // ... the loss is reported instead of an unhandled 'error' event, which would crash this process
      assert.ok(lost.length >= 1, 'the lost connection is reported to the handler');
      // AND the pool serves the next query on a fresh connection
      const { rows } = await pool.query('select sku from products');
      assert.equal(rows.length, 4);
    } finally {
      await killer.end();
      await pool.end();
    }
  });
});
