import { randomUUID } from 'node:crypto';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Cart, CartLine, Order } from '../schemas/cart.js';
import { MAX_LINES_PER_CART, MAX_QUANTITY } from '../schemas/limits.js';
import type { CartRepository } from './cart-repository.js';
import { cartCheckedOut, cartEmpty, cartFull, cartNotFound, quantityLimit, unknownSku } from './errors.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Every change runs in one transaction that first locks the cart row (SELECT … FOR UPDATE), so a change
 * and a checkout of the same cart cannot interleave and the line-count bound holds. Quantities are
 * computed in SQL (upsert), never read-modified-written here, so no increment is lost.
 */
export class KyselyCartRepository implements CartRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async create(): Promise<Cart> {
    const id = randomUUID();
    await this.db.insertInto('carts').values({ id, status: 'open' }).execute();
    return { id, status: 'open', lines: [], totalCents: 0 };
  }

  find(cartId: string): Promise<Cart | undefined> {
    return readCart(this.db, cartId);
  }

  addItem(cartId: string, sku: string, quantity: number): Promise<Cart> {
    return this.db.transaction().execute(async (trx) => {
      await lockOpenCart(trx, cartId);
      await requireProduct(trx, sku);
      const line = await trx
        .insertInto('cart_lines')
        .values({ cart_id: cartId, sku, quantity })
        .onConflict((oc) =>
          oc
            .columns(['cart_id', 'sku'])
            .doUpdateSet({ quantity: sql`cart_lines.quantity + excluded.quantity` })
            .where(sql<number>`cart_lines.quantity + excluded.quantity`, '<=', MAX_QUANTITY),
        )
        .returning('quantity')
        .executeTakeFirst();
      // No row back: the conflict update's guard refused, the line stays as it was.
      if (line === undefined) throw quantityLimit(sku, MAX_QUANTITY);
      await requireLineCountWithinBound(trx, cartId);
      return (await readCart(trx, cartId))!;
    });
  }

  setQuantity(cartId: string, sku: string, quantity: number): Promise<Cart> {
    if (quantity === 0) return this.removeItem(cartId, sku);
    return this.db.transaction().execute(async (trx) => {
      await lockOpenCart(trx, cartId);
      await requireProduct(trx, sku);
      await trx
        .insertInto('cart_lines')
        .values({ cart_id: cartId, sku, quantity })
        .onConflict((oc) => oc.columns(['cart_id', 'sku']).doUpdateSet({ quantity }))
        .execute();
      await requireLineCountWithinBound(trx, cartId);
      return (await readCart(trx, cartId))!;
    });
  }

  removeItem(cartId: string, sku: string): Promise<Cart> {
    return this.db.transaction().execute(async (trx) => {
      await lockOpenCart(trx, cartId);
      await trx.deleteFrom('cart_lines').where('cart_id', '=', cartId).where('sku', '=', sku).execute();
      return (await readCart(trx, cartId))!;
    });
  }

  delete(cartId: string): Promise<void> {
    return this.db.transaction().execute(async (trx) => {
      await lockOpenCart(trx, cartId);
      await trx.deleteFrom('carts').where('id', '=', cartId).execute();
    });
  }

  checkout(cartId: string): Promise<Order> {
    return this.db.transaction().execute(async (trx) => {
      await lockOpenCart(trx, cartId);
      const lines = await readLines(trx, cartId);
      if (lines.length === 0) throw cartEmpty(cartId);
      // Conditional on status, so even without the row lock only one checkout can win.
      const updated = await trx
        .updateTable('carts')
        .set({ status: 'checked_out' })
        .where('id', '=', cartId)
        .where('status', '=', 'open')
        .returning('id')
        .executeTakeFirst();
      if (updated === undefined) throw cartCheckedOut(cartId);
      const order: Order = { orderId: randomUUID(), lines, totalCents: sumLines(lines) };
      await trx
        .insertInto('orders')
        .values({ id: order.orderId, cart_id: cartId, total_cents: order.totalCents })
        .execute();
      await trx
        .insertInto('order_lines')
        .values(
          lines.map((l) => ({
            order_id: order.orderId,
            sku: l.sku,
            name: l.name,
            quantity: l.quantity,
            unit_price_cents: l.unitPriceCents,
          })),
        )
        .execute();
      return order;
    });
  }
}

async function lockOpenCart(trx: Transaction<Database>, cartId: string): Promise<void> {
  const cart = await trx
    .selectFrom('carts')
    .select('status')
    .where('id', '=', cartId)
    .forUpdate()
    .executeTakeFirst();
  if (cart === undefined) throw cartNotFound(cartId);
  if (cart.status !== 'open') throw cartCheckedOut(cartId);
}

async function requireProduct(db: Db, sku: string): Promise<void> {
  const product = await db.selectFrom('products').select('sku').where('sku', '=', sku).executeTakeFirst();
  if (product === undefined) throw unknownSku(sku);
}

async function requireLineCountWithinBound(trx: Transaction<Database>, cartId: string): Promise<void> {
  const { lines } = await trx
    .selectFrom('cart_lines')
    .select(sql<number>`count(*)::int`.as('lines'))
    .where('cart_id', '=', cartId)
    .executeTakeFirstOrThrow();
  // Throwing rolls the transaction back, so the line that broke the bound is never stored.
  if (lines > MAX_LINES_PER_CART) throw cartFull(MAX_LINES_PER_CART);
}

async function readCart(db: Db, cartId: string): Promise<Cart | undefined> {
  const cart = await db
    .selectFrom('carts')
    .select(['id', 'status'])
    .where('id', '=', cartId)
    .executeTakeFirst();
  if (cart === undefined) return undefined;
  const lines = await readLines(db, cartId);
  return { id: cart.id, status: cart.status, lines, totalCents: sumLines(lines) };
}

async function readLines(db: Db, cartId: string): Promise<CartLine[]> {
  const rows = await db
    .selectFrom('cart_lines')
    .innerJoin('products', 'products.sku', 'cart_lines.sku')
    .select(['cart_lines.sku', 'products.name', 'cart_lines.quantity', 'products.price_cents'])
    .where('cart_lines.cart_id', '=', cartId)
    .orderBy('cart_lines.position')
    .execute();
  return rows.map((r) => ({
    sku: r.sku,
    name: r.name,
    quantity: r.quantity,
    unitPriceCents: r.price_cents,
    lineTotalCents: r.quantity * r.price_cents,
  }));
}

function sumLines(lines: readonly CartLine[]): number {
  return lines.reduce((total, line) => total + line.lineTotalCents, 0);
}
