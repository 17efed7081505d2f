import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { KeyedQueryable, Queryable } from '../db/pipelined-pool.js';
import type { Cart, CartLine, Order } from '../schemas/cart.js';
import { MAX_LINES_PER_CART, MAX_QUANTITY } from '../schemas/limits.js';
import type { CartRepository } from './cart-repository.js';
import {
  cartCheckedOut,
  cartEmpty,
  cartFull,
  cartNotFound,
  quantityLimit,
  ServiceError,
  unknownSku,
} from './errors.js';

/** One row per line (or one row of nulls for an empty cart), with the cart's status on each. */
interface CartRow {
  status: Cart['status'];
  sku: string | null;
  name: string | null;
  quantity: number | null;
  price_cents: number | null;
}

interface ChangeRow extends CartRow {
  known_sku: boolean;
  changed: boolean;
}

// Named statements: each connection parses and plans them once, then only binds values.
const READ_CART: Omit<pg.QueryConfig, 'values'> = {
  name: 'read-cart',
  text: `
    select c.status, l.sku, p.name, l.quantity, p.price_cents
    from carts c
    left join cart_lines l on l.cart_id = c.id
    left join products p on p.sku = l.sku
    where c.id = $1::uuid
    order by l.position`,
};

/**
 * How stale carts.touched_at may be before a change writes it again. The worker expires carts after hours
 * (CART_EXPIRY_HOURS, at least 1), so a minute is invisible to it; writing the cart row on every change
 * instead (a new row version, index entries: touched_at is indexed) cost the database a third of its CPU per
 * added item (bench/README.md).
 */
const TOUCH_RESOLUTION = "interval '1 minute'";

/**
 * Adds to or sets a line in one statement. `cart` locks the cart row (FOR UPDATE returns its newest
 * version, so a cart checked out meanwhile is seen as such); ON CONFLICT works on the newest line, so the
 * per-line bound holds without a lost update; a new line bumps carts.line_count, whose check constraint
 * keeps the line bound (the statement fails, nothing is stored). `touched` also moves the cart's touched_at
 * (for the expiry worker) when the change added a line, or stored something while touched_at is older than
 * TOUCH_RESOLUTION; its conditions are checked again on the newest row version, as the lock's are. The lines returned are the
 * statement's snapshot with this change applied: exact unless another change to the same cart committed
 * while this one waited for the lock.
 */
function upsertLine(name: string, onConflict: string): Omit<pg.QueryConfig, 'values'> {
  return {
    name,
    text: `
      with cart as (
        select id, status from carts where id = $1::uuid for update
      ), product as (
        select sku from products where sku = $2::text
      ), upsert as (
        insert into cart_lines (cart_id, sku, quantity)
        select cart.id, product.sku, $3::int from cart, product where cart.status = 'open'
        on conflict (cart_id, sku) do update set ${onConflict}
        returning sku, quantity, position, xmax = 0 as inserted
      ), touched as (
        update carts set line_count = carts.line_count + upsert.inserted::int, touched_at = now()
        from upsert
        where carts.id = $1::uuid and (upsert.inserted or carts.touched_at < now() - ${TOUCH_RESOLUTION})
        returning carts.line_count
      ), lines as (
        select l.sku, l.quantity, l.position from cart_lines l
        where l.cart_id = $1::uuid and not exists (select 1 from upsert u where u.sku = l.sku)
        union all
        select sku, quantity, position from upsert
      )
      select cart.status, exists (select 1 from product) as known_sku, exists (select 1 from upsert) as changed,
        lines.sku, p.name, lines.quantity, p.price_cents
      from cart
      left join lines on true
      left join products p on p.sku = lines.sku
      order by lines.position`,
  };
}

const ADD_ITEM = upsertLine(
  'add-item',
  `quantity = cart_lines.quantity + excluded.quantity
   where cart_lines.quantity + excluded.quantity <= ${MAX_QUANTITY}`,
);

const SET_QUANTITY = upsertLine('set-quantity', 'quantity = excluded.quantity');

const REMOVE_ITEM: Omit<pg.QueryConfig, 'values'> = {
  name: 'remove-item',
  text: `
    with cart as (
      select id, status from carts where id = $1::uuid for update
    ), removed as (
      delete from cart_lines l using cart
      where l.cart_id = cart.id and cart.status = 'open' and l.sku = $2::text
      returning l.sku
    ), counted as (
      update carts set line_count = carts.line_count - 1, touched_at = now()
      from removed where carts.id = $1::uuid
      returning carts.line_count
    ), lines as (
      select l.sku, l.quantity, l.position from cart_lines l
      where l.cart_id = $1::uuid and not exists (select 1 from removed r where r.sku = l.sku)
    )
    select cart.status, lines.sku, p.name, lines.quantity, p.price_cents
    from cart
    left join lines on true
    left join products p on p.sku = lines.sku
    order by lines.position`,
};

const DELETE_CART: Omit<pg.QueryConfig, 'values'> = {
  name: 'delete-cart',
  text: `
    with cart as (
      select id, status from carts where id = $1::uuid for update
    ), deleted as (
      delete from carts c using cart where c.id = cart.id and cart.status = 'open' returning c.id
    )
    select cart.status from cart`,
};

const CREATE_CART: Omit<pg.QueryConfig, 'values'> = {
  name: 'create-cart',
  text: 'insert into carts (id) values ($1::uuid)',
};

/**
 * Carts on PostgreSQL through `pg`. Every change but checkout is one statement that locks the cart row
 * first, so a change and a checkout of the same cart never interleave. Statements that never wait for a lock
 * (reading a cart, creating one) go to `statements`; the one-statement changes, which may wait for a cart's
 * row lock, to `changes`. The app makes both pipelined connections, each set its own, so a change waiting for
 * a lock holds back only the changes behind it on its connection, never a read (and over a pool, where every
 * change held a connection of its own, changes waiting for one busy cart held back all others just the same).
 * Checkout, several statements in one transaction, takes a connection of `pool`.
 */
export class PgCartRepository implements CartRepository {
  constructor(
    private readonly pool: pg.Pool,
    private readonly statements: Queryable = pool,
    private readonly changes: KeyedQueryable = anyConnectionOf(pool),
  ) {}

  async create(): Promise<Cart> {
    const id = randomUUID();
    await this.statements.query({ ...CREATE_CART, values: [id] });
    return { id, status: 'open', lines: [], totalCents: 0 };
  }

  async find(cartId: string): Promise<Cart | undefined> {
    const { rows } = await this.statements.query<CartRow>({ ...READ_CART, values: [cartId] });
    return rows.length === 0 ? undefined : toCart(cartId, rows);
  }

  addItem(cartId: string, sku: string, quantity: number): Promise<Cart> {
    return this.changeLine(ADD_ITEM, cartId, sku, quantity);
  }

  setQuantity(cartId: string, sku: string, quantity: number): Promise<Cart> {
    if (quantity === 0) return this.removeItem(cartId, sku);
    return this.changeLine(SET_QUANTITY, cartId, sku, quantity);
  }

  async removeItem(cartId: string, sku: string): Promise<Cart> {
    const { rows } = await this.changes.query<CartRow>({ ...REMOVE_ITEM, values: [cartId, sku] }, cartId);
    requireOpen(cartId, rows[0]);
    return toCart(cartId, rows);
  }

  async delete(cartId: string): Promise<void> {
    const { rows } = await this.changes.query<{ status: Cart['status'] }>(
      { ...DELETE_CART, values: [cartId] },
      cartId,
    );
    requireOpen(cartId, rows[0]);
  }

  /** Several statements in one transaction: the order must hold exactly the lines the locked cart holds. */
  async checkout(cartId: string): Promise<Order> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('begin');
      try {
        const order = await checkoutIn(client, cartId);
        await client.query('commit');
        return order;
      } catch (error) {
        await client.query('rollback');
        throw error;
      }
    } catch (error) {
      // A refusal rolled back cleanly; anything else may have left the connection unusable.
      broken = !(error instanceof ServiceError);
      throw error;
    } finally {
      client.release(broken);
    }
  }

  private async changeLine(
    statement: Omit<pg.QueryConfig, 'values'>,
    cartId: string,
    sku: string,
    quantity: number,
  ): Promise<Cart> {
    let rows: ChangeRow[];
    try {
      ({ rows } = await this.changes.query<ChangeRow>(
        { ...statement, values: [cartId, sku, quantity] },
        cartId,
      ));
    } catch (error) {
      if ((error as { constraint?: string }).constraint === 'carts_line_count_check') {
        throw cartFull(MAX_LINES_PER_CART);
      }
      throw error;
    }
    const first = requireOpen(cartId, rows[0]);
    if (!first.known_sku) throw unknownSku(sku);
    if (!first.changed) throw quantityLimit(sku, MAX_QUANTITY);
    return toCart(cartId, rows);
  }
}

/** The pool as a KeyedQueryable: each statement takes any free connection (pg.Pool would read a key as values). */
function anyConnectionOf(pool: pg.Pool): KeyedQueryable {
  return { query: <R extends pg.QueryResultRow>(config: pg.QueryConfig) => pool.query<R>(config) };
}

async function checkoutIn(client: pg.PoolClient, cartId: string): Promise<Order> {
  const { rows: carts } = await client.query<{ status: Cart['status'] }>(
    'select status from carts where id = $1 for update',
    [cartId],
  );
  requireOpen(cartId, carts[0]);
  // Read after the lock: this statement's snapshot includes every change committed before it.
  const { rows } = await client.query<CartRow>({ ...READ_CART, values: [cartId] });
  const lines = toLines(rows);
  if (lines.length === 0) throw cartEmpty(cartId);
  const order: Order = { orderId: randomUUID(), lines, totalCents: sumLines(lines) };
  await client.query("update carts set status = 'checked_out' where id = $1", [cartId]);
  await client.query('insert into orders (id, cart_id, total_cents) values ($1, $2, $3)', [
    order.orderId,
    cartId,
    order.totalCents,
  ]);
  // Order lines copy name and price, so an order stays as it was sold when the catalogue changes.
  await client.query(
    `insert into order_lines (order_id, sku, name, quantity, unit_price_cents)
     select $1, l.sku, p.name, l.quantity, p.price_cents
     from cart_lines l join products p on p.sku = l.sku where l.cart_id = $2`,
    [order.orderId, cartId],
  );
  return order;
}

function requireOpen<T extends { status: Cart['status'] }>(cartId: string, row: T | undefined): T {
  if (row === undefined) throw cartNotFound(cartId);
  if (row.status !== 'open') throw cartCheckedOut(cartId);
  return row;
}

function toCart(id: string, rows: readonly CartRow[]): Cart {
  const lines = toLines(rows);
  return { id, status: rows[0]!.status, lines, totalCents: sumLines(lines) };
}

function toLines(rows: readonly CartRow[]): CartLine[] {
  const lines: CartLine[] = [];
  for (const row of rows) {
    if (row.sku === null) continue;
    const quantity = row.quantity!;
    const unitPriceCents = row.price_cents!;
    lines.push({
      sku: row.sku,
      name: row.name!,
      quantity,
      unitPriceCents,
      lineTotalCents: quantity * unitPriceCents,
    });
  }
  return lines;
}

function sumLines(lines: readonly CartLine[]): number {
  return lines.reduce((total, line) => total + line.lineTotalCents, 0);
}
