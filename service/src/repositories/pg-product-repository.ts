import type { Queryable } from '../db/pipelined-pool.js';
import type { Product } from '../schemas/product.js';
import type { ProductRepository } from './cart-repository.js';

const LIST_PRODUCTS = {
  name: 'list-products',
  text: 'select sku, name, price_cents, image_url from products order by position',
};

export class PgProductRepository implements ProductRepository {
  constructor(private readonly statements: Queryable) {}

  async list(): Promise<Product[]> {
    const { rows } = await this.statements.query<{
      sku: string;
      name: string;
      price_cents: number;
      image_url: string;
    }>(LIST_PRODUCTS);
    return rows.map((r) => ({ sku: r.sku, name: r.name, priceCents: r.price_cents, imageUrl: r.image_url }));
  }
}
