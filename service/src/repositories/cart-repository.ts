import type { Cart, Order } from '../schemas/cart.js';
import type { Product } from '../schemas/product.js';

/**
 * Data access for carts. Every method that changes a cart throws a ServiceError
 * (cart_not_found, cart_checked_out, unknown_sku, quantity_limit, cart_full, cart_empty) when it must refuse.
 */
export interface CartRepository {
  create(): Promise<Cart>;
  find(cartId: string): Promise<Cart | undefined>;
  /** Adds `quantity` to the line, creating it; refuses to go past MAX_QUANTITY (nothing is added then). */
  addItem(cartId: string, sku: string, quantity: number): Promise<Cart>;
  /** Sets the line to `quantity`; 0 removes it. */
  setQuantity(cartId: string, sku: string, quantity: number): Promise<Cart>;
  /** Removes the line; removing a line that is not there leaves the cart as it is. */
  removeItem(cartId: string, sku: string): Promise<Cart>;
  delete(cartId: string): Promise<void>;
  checkout(cartId: string): Promise<Order>;
}

export interface ProductRepository {
  list(): Promise<Product[]>;
}
