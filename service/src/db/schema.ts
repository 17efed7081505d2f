import type { ColumnType, Generated } from 'kysely';

/** Table shapes as Kysely sees them; the migrations in ./migrations are the source of truth. */
export interface Database {
  products: ProductsTable;
  carts: CartsTable;
  cart_lines: CartLinesTable;
  orders: OrdersTable;
  order_lines: OrderLinesTable;
}

export interface ProductsTable {
  sku: string;
  name: string;
  price_cents: number;
  image_url: string;
  position: number;
}

export type CartStatus = 'open' | 'checked_out';

export interface CartsTable {
  id: string;
  status: CartStatus;
  created_at: ColumnType<Date, never, never>;
}

export interface CartLinesTable {
  cart_id: string;
  sku: string;
  quantity: number;
  // Keeps lines in the order they were first added.
  position: Generated<number>;
}

export interface OrdersTable {
  id: string;
  cart_id: string;
  total_cents: number;
  created_at: ColumnType<Date, never, never>;
}

export interface OrderLinesTable {
  order_id: string;
  sku: string;
  name: string;
  quantity: number;
  unit_price_cents: number;
}
