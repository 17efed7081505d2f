import { MAX_LINES_PER_CART, MAX_QUANTITY } from '../schemas/limits.js';

export interface Migration {
  readonly name: string;
  /** Runs in one transaction. Written so it also applies over a schema an earlier release created. */
  readonly sql: string;
}

/**
 * The schema, in order; never edit one that has shipped, add the next. `if not exists` lets 0001 adopt a
 * database that the Kysely migrator of earlier releases created (its kysely_migration table stays unused).
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    name: '0001-initial',
    sql: `
      create table if not exists products (
        sku text primary key,
        name text not null,
        price_cents integer not null check (price_cents > 0),
        image_url text not null,
        position integer not null
      );
      create table if not exists carts (
        id uuid primary key,
        status text not null default 'open' check (status in ('open', 'checked_out')),
        created_at timestamptz not null default now()
      );
      create table if not exists cart_lines (
        cart_id uuid not null references carts (id) on delete cascade,
        sku text not null references products (sku),
        -- The database enforces the bound too, so no code path can store an out-of-range quantity.
        quantity integer not null check (quantity between 1 and ${MAX_QUANTITY}),
        -- Keeps lines in the order they were first added.
        position integer not null generated always as identity,
        constraint cart_lines_pkey primary key (cart_id, sku)
      );
      create table if not exists orders (
        id uuid primary key,
        cart_id uuid not null unique references carts (id),
        total_cents integer not null,
        created_at timestamptz not null default now()
      );
      -- Order lines copy name and price so an order stays as it was sold when the catalogue changes.
      create table if not exists order_lines (
        order_id uuid not null references orders (id) on delete cascade,
        sku text not null,
        name text not null,
        quantity integer not null,
        unit_price_cents integer not null,
        constraint order_lines_pkey primary key (order_id, sku)
      );
      -- The storefront relies on exactly these products, listed in this order.
      insert into products (sku, name, price_cents, image_url, position) values
        ('BERTH-MUG', 'Berth mug', 1200, '/images/mug.svg', 1),
        ('BERTH-TEE', 'Berth T-shirt', 2400, '/images/tee.svg', 2),
        ('BERTH-CAP', 'Berth cap', 1800, '/images/cap.svg', 3),
        ('BERTH-STICKERS', 'Sticker pack', 500, '/images/stickers.svg', 4)
      on conflict (sku) do nothing;`,
  },
  {
    // The line count lives on the cart row, which every change locks: one statement can then keep the
    // bound (the check) without counting lines under a snapshot older than the lock.
    name: '0002-cart-line-count',
    sql: `
      alter table carts add column line_count integer not null default 0;
      update carts set line_count = (select count(*) from cart_lines where cart_id = carts.id);
      alter table carts add constraint carts_line_count_check
        check (line_count between 0 and ${MAX_LINES_PER_CART});`,
  },
  {
    // When a cart last changed, for the worker that deletes abandoned carts (src/worker.ts). Triggers keep it,
    // so no statement of the API has to remember to: any update of the cart row, and any line added, changed
    // or removed. The carts trigger leaves an explicitly written value alone; the lines trigger skips a cart
    // this transaction already touched (now() is the transaction's start), so a change that also updates the
    // cart row writes it once. Existing carts count as touched at the upgrade: none expires the moment it ships.
    name: '0003-cart-touched-at',
    sql: `
      alter table carts add column touched_at timestamptz not null default now();
      create function berth_cart_touched() returns trigger language plpgsql as $$
      begin
        if new.touched_at is not distinct from old.touched_at then
          new.touched_at := now();
        end if;
        return new;
      end $$;
      create trigger carts_touched before update on carts
        for each row execute function berth_cart_touched();
      create function berth_cart_line_touched() returns trigger language plpgsql as $$
      declare
        changed_cart uuid := case when tg_op = 'DELETE' then old.cart_id else new.cart_id end;
      begin
        update carts set touched_at = now() where id = changed_cart and touched_at < now();
        return null;
      end $$;
      create trigger cart_lines_touch_cart after insert or update or delete on cart_lines
        for each row execute function berth_cart_line_touched();
      -- The expiry pass reads only open carts, oldest first.
      create index carts_open_touched_at on carts (touched_at) where status = 'open';`,
  },
  {
    // 0003's lines trigger ran a second statement and wrote the cart row again (a new row version and index
    // entries, touched_at being indexed) on every change of a line: a third of the database's CPU per added
    // item (bench/README.md). The API's change statements already lock the cart row; they now write
    // touched_at themselves, at most once a minute per cart (src/repositories/pg-cart-repository.ts). The
    // carts trigger keeps touching on any other update of the row, and now skips, without calling its function,
    // an update that sets touched_at itself.
    name: '0004-cart-touched-by-changes',
    sql: `
      drop trigger cart_lines_touch_cart on cart_lines;
      drop function berth_cart_line_touched();
      drop trigger carts_touched on carts;
      create trigger carts_touched before update on carts
        for each row when (new.touched_at is not distinct from old.touched_at)
        execute function berth_cart_touched();`,
  },
];
