import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import type { DatabaseConfig } from '../config.js';
import { connectDatabase, type PgliteTuning } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import type { Database } from '../db/schema.js';
import type { CartRepository, ProductRepository } from '../repositories/cart-repository.js';
import { KyselyCartRepository } from '../repositories/kysely-cart-repository.js';
import { KyselyProductRepository } from '../repositories/kysely-product-repository.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Kysely<Database>;
    carts: CartRepository;
    products: ProductRepository;
  }
}

export interface DatabasePluginOptions {
  database: DatabaseConfig;
  pglite?: PgliteTuning;
}

/** Opens the database, applies pending migrations, exposes the repositories, closes the pool on app close. */
export default fp<DatabasePluginOptions>(
  async (app, { database, pglite }) => {
    const started = performance.now();
    const db = await connectDatabase(database, pglite, (error) =>
      app.log.warn({ err: error }, 'database connection lost'),
    );
    try {
      const applied = await migrateToLatest(db);
      app.log.info(
        {
          database: database.kind,
          migrationsApplied: applied,
          openMs: Math.round(performance.now() - started),
        },
        'database ready',
      );
    } catch (error) {
      await db.destroy();
      throw error;
    }
    app.decorate('db', db);
    app.decorate('carts', new KyselyCartRepository(db));
    app.decorate('products', new KyselyProductRepository(db));
    app.addHook('onClose', async () => {
      await db.destroy();
    });
  },
  { name: 'database' },
);
