import { type Kysely, sql } from 'kysely';
import { MAX_QUANTITY } from '../../schemas/limits.js';

/** The storefront relies on exactly these products (sku, name, price, image), listed in this order. */
const CATALOGUE = [
  { sku: 'BERTH-MUG', name: 'Berth mug', price_cents: 1200, image_url: '/images/mug.svg' },
  { sku: 'BERTH-TEE', name: 'Berth T-shirt', price_cents: 2400, image_url: '/images/tee.svg' },
  { sku: 'BERTH-CAP', name: 'Berth cap', price_cents: 1800, image_url: '/images/cap.svg' },
  { sku: 'BERTH-STICKERS', name: 'Sticker pack', price_cents: 500, image_url: '/images/stickers.svg' },
];

// Migrations take Kysely<unknown>: they must not depend on today's table types, which later migrations change.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('products')
    .addColumn('sku', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('price_cents', 'integer', (c) => c.notNull().check(sql`price_cents > 0`))
    .addColumn('image_url', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('carts')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('open').check(sql`status in ('open', 'checked_out')`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('cart_lines')
    .addColumn('cart_id', 'uuid', (c) => c.notNull().references('carts.id').onDelete('cascade'))
    .addColumn('sku', 'text', (c) => c.notNull().references('products.sku'))
    // The database enforces the bound too, so no code path can store an out-of-range quantity.
    .addColumn('quantity', 'integer', (c) =>
      c.notNull().check(sql`quantity between 1 and ${sql.lit(MAX_QUANTITY)}`),
    )
    .addColumn('position', 'integer', (c) => c.notNull().generatedAlwaysAsIdentity())
    .addPrimaryKeyConstraint('cart_lines_pkey', ['cart_id', 'sku'])
    .execute();

  await db.schema
    .createTable('orders')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('cart_id', 'uuid', (c) => c.notNull().unique().references('carts.id'))
    .addColumn('total_cents', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // Order lines copy name and price so an order stays as it was sold when the catalogue changes.
  await db.schema
    .createTable('order_lines')
    .addColumn('order_id', 'uuid', (c) => c.notNull().references('orders.id').onDelete('cascade'))
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addColumn('unit_price_cents', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('order_lines_pkey', ['order_id', 'sku'])
    .execute();

  await (db as Kysely<{ products: (typeof CATALOGUE)[number] & { position: number } }>)
    .insertInto('products')
    .values(CATALOGUE.map((product, index) => ({ ...product, position: index + 1 })))
    .onConflict((oc) => oc.column('sku').doNothing())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['order_lines', 'orders', 'cart_lines', 'carts', 'products']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
