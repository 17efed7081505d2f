import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Product } from '../schemas/product.js';
import type { ProductRepository } from './cart-repository.js';

export class KyselyProductRepository implements ProductRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async list(): Promise<Product[]> {
    const rows = await this.db
      .selectFrom('products')
      .select(['sku', 'name', 'price_cents', 'image_url'])
      .orderBy('position')
      .execute();
    return rows.map((r) => ({ sku: r.sku, name: r.name, priceCents: r.price_cents, imageUrl: r.image_url }));
  }
}
