import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import type { DatabaseConfig } from '../src/config.js';
import { connectDatabase } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import type { Database } from '../src/db/schema.js';
import { ServiceError } from '../src/repositories/errors.js';
import { KyselyCartRepository } from '../src/repositories/kysely-cart-repository.js';
import { KyselyProductRepository } from '../src/repositories/kysely-product-repository.js';
import { MAX_LINES_PER_CART, MAX_QUANTITY } from '../src/schemas/limits.js';
import { migratedPgliteTemplate } from './helpers/pglite-template.js';
import { freshPostgresDatabase, skipWithoutPostgres } from './helpers/postgres.js';

interface Backend {
  name: string;
  skip: false | string;
  /** A migrated database no other suite uses. */
  open(cleanup: { after(fn: () => Promise<void>): void }): Promise<Kysely<Database>>;
}

const backends: Backend[] = [
  {
    name: 'PGlite',
    skip: false,
    async open() {
      const db = await connectDatabase(
        { kind: 'pglite', dataDir: null },
        { loadDataDir: await migratedPgliteTemplate() },
      );
      await migrateToLatest(db);
      return db;
    },
  },
  {
    name: 'PostgreSQL',
    skip: skipWithoutPostgres,
    async open(cleanup) {
      const db = await connectDatabase(await freshPostgresDatabase(cleanup));
      await migrateToLatest(db);
      return db;
    },
  },
];

async function rejectsWith(work: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(work, (error: unknown) => error instanceof ServiceError && error.code === code);
}

function quantityOf(cart: { lines: { sku: string; quantity: number }[] }, sku: string): number | undefined {
  return cart.lines.find((line) => line.sku === sku)?.quantity;
}

for (const backend of backends) {
  describe(`cart storage on ${backend.name}`, { skip: backend.skip }, () => {
    let db: Kysely<Database>;
    let carts: KyselyCartRepository;
    const cleanups: (() => Promise<void>)[] = [];

    before(async () => {
      db = await backend.open({ after: (fn) => cleanups.push(fn) });
      carts = new KyselyCartRepository(db);
    });
    after(async () => {
      await db?.destroy();
      for (const fn of cleanups.reverse()) await fn();
    });

    test('the migration seeds the catalogue in storefront order', async () => {
      const products = await new KyselyProductRepository(db).list();
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
      assert.deepEqual(await migrateToLatest(db), []);
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
      await db.insertInto('products').values(extra).execute();
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
      const stored = await db
        .selectFrom('order_lines')
        .selectAll()
        .where('order_id', '=', order.orderId)
        .execute();
      assert.equal(stored.length, 2);
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
      const lines = await db.selectFrom('cart_lines').select('sku').where('cart_id', '=', id).execute();
      assert.deepEqual(lines, []);
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

    test('parallel checkouts of one cart create exactly one order', async () => {
      const { id } = await carts.create();
      await carts.addItem(id, 'BERTH-CAP', 1);
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => carts.checkout(id)));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const orders = await db.selectFrom('orders').select('id').where('cart_id', '=', id).execute();
      assert.equal(orders.length, 1);
    });
  });
}

describe('migrations on PostgreSQL', { skip: skipWithoutPostgres }, () => {
  test('several replicas migrating at once apply each migration exactly once', async (t) => {
    // GIVEN an empty database and four replicas, each with its own pool
    const config: DatabaseConfig = await freshPostgresDatabase(t);
    const replicas = await Promise.all(Array.from({ length: 4 }, () => connectDatabase(config)));
    try {
      // WHEN they all migrate together
      const applied = await Promise.all(replicas.map((db) => migrateToLatest(db)));
      // THEN one applied the migrations, the others found nothing to do, and the seed ran once
      assert.deepEqual(applied.flat(), ['0001-initial']);
      const products = await replicas[0]!.selectFrom('products').select('sku').execute();
      assert.equal(products.length, 4);
    } finally {
      // Before the database is dropped (t.after), which would cut these connections.
      for (const db of replicas) await db.destroy();
    }
  });
});

describe('PostgreSQL connection loss', { skip: skipWithoutPostgres }, () => {
  test('a connection cut while checked out (e.g. mid-transaction) does not crash the process', async (t) => {
    // GIVEN a pool client checked out between two statements, as inside a cart transaction
    const config: DatabaseConfig = await freshPostgresDatabase(t);
    const lost: Error[] = [];
    const db = await connectDatabase(config, {}, (error) => lost.push(error));
    await migrateToLatest(db);
    const killer = await connectDatabase(config);
    try {
      const busy = db.connection().execute(async (conn) => {
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(conn);
        // WHEN the server ends that backend (what a restart or failover does)
        await sql`select pg_terminate_backend(${rows[0]!.pid})`.execute(killer);
        await new Promise((resolve) => setTimeout(resolve, 200));
        // THEN the next statement on it fails (that request's 5xx) ...
        return sql`select 1`.execute(conn);
      });
      await assert.rejects(busy);
      // ... the loss is reported instead of an unhandled 'error' event, which would crash this process
      assert.ok(lost.length >= 1, 'the lost connection is reported to the handler');
      // AND the pool serves the next query on a fresh connection
      const products = await db.selectFrom('products').select('sku').execute();
      assert.equal(products.length, 4);
    } finally {
      await killer.destroy();
      await db.destroy();
    }
  });
});

describe('PGlite persistence', () => {
  test('carts survive closing and reopening DATA_DIR', async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'berth-pglite-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const config: DatabaseConfig = { kind: 'pglite', dataDir };
    const template = { loadDataDir: await migratedPgliteTemplate() };

    const first = await connectDatabase(config, template);
    await migrateToLatest(first);
    const { id } = await new KyselyCartRepository(first).create();
    await new KyselyCartRepository(first).addItem(id, 'BERTH-MUG', 3);
    await first.destroy();

    const second = await connectDatabase(config);
    t.after(() => second.destroy());
    const cart = await new KyselyCartRepository(second).find(id);
    assert.equal(quantityOf(cart!, 'BERTH-MUG'), 3);
  });
});
