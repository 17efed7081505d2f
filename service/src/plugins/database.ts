import fp from 'fastify-plugin';
import type pg from 'pg';
import { Gauge } from 'prom-client';
import { DEFAULT_POOL_SIZE, type PostgresDatabaseConfig } from '../config.js';
import { migrateWithRetry } from '../db/migrate.js';
import { PipelinedPool } from '../db/pipelined-pool.js';
import { createPool, postgresPoolConfig } from '../db/pool.js';
import type { CartRepository, ProductRepository } from '../repositories/cart-repository.js';
import { ServiceError } from '../repositories/errors.js';
import { PgCartRepository } from '../repositories/pg-cart-repository.js';
import { PgProductRepository } from '../repositories/pg-product-repository.js';

/** What /readyz and /metrics report about the database; never a reason to take the task out of rotation. */
export type Reachability = 'unknown' | 'reachable' | 'unreachable';

export interface DatabaseState {
  readonly pool: pg.Pool;
  /** From the last background check (every `checkIntervalMs`), not from a query per probe. */
  readonly reachability: Reachability;
  /** Settles when start-up migrations are applied (or have failed for a reason retrying cannot fix). */
  readonly migrated: Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    database: DatabaseState;
    carts: CartRepository;
    products: ProductRepository;
  }
}

export interface DatabasePluginOptions {
  database: PostgresDatabaseConfig;
  /** @default DEFAULT_POOL_SIZE (10) */
  poolSize?: number;
  /** @default 5000 - how often the background check runs `select 1` */
  checkIntervalMs?: number;
  /** Backoff of the start-up migrations while the database is unreachable. */
  migrationRetry?: { initialDelayMs?: number; maxDelayMs?: number };
  /** @default true - false: a release command migrates; start-up only waits for the database (no migration) */
  migrateOnStart?: boolean;
}

const CHECK_TIMEOUT_MS = 2_000;

/**
 * Opens the pool and exposes the repositories at once; applies migrations in the background, retrying while
 * the database is unreachable, and marks the app ready when they are done. Until then the API answers 503.
 */
export default fp<DatabasePluginOptions>(
  async (app, options) => {
    // Code and message only: pg attaches its whole client object to the error.
    const onConnectionLost = (error: Error) =>
      app.log.warn(
        { code: (error as { code?: string }).code, reason: error.message },
        'database connection lost',
      );
    // Changes that lock a cart row, transactions (checkout), migrations and the background check.
    const pool = createPool(options.database, onConnectionLost, options.poolSize);
    // Reads (the bulk of the traffic) never wait for a lock: sent over connections shared in pipeline mode.
    const statements = new PipelinedPool(
      postgresPoolConfig(options.database),
      options.poolSize ?? DEFAULT_POOL_SIZE,
      onConnectionLost,
    );
    const closing = new AbortController();
    let reachability: Reachability = 'unknown';

    const migrated = (async () => {
      const started = performance.now();
      try {
        const applied = await migrateWithRetry(pool, {
          ...options.migrationRetry,
          ...(options.migrateOnStart === false ? { migrations: [] } : {}),
          signal: closing.signal,
          onRetry(attempt, error, delayMs) {
            reachability = 'unreachable';
            app.lifecycle.setStartingReason('database unreachable; retrying the migrations');
            app.log.warn({ attempt, err: error, retryInMs: delayMs }, 'migrations: database unreachable');
          },
        });
        reachability = 'reachable';
        app.lifecycle.markReady();
        app.log.info(
          {
            migrationsApplied: applied,
            migrateMs: Math.round(performance.now() - started),
            sinceProcessStartMs: Math.round(performance.now()),
          },
          'database ready',
        );
      } catch (error) {
        if (closing.signal.aborted) return;
        // Not retried (a broken migration): stay alive and not ready, so a rollout stops at this task.
        app.lifecycle.setStartingReason('database migration failed; see the log');
        app.log.error({ err: error }, 'migrations failed');
      }
    })();

    const check = setInterval(() => {
      void withTimeout(pool.query('select 1'), CHECK_TIMEOUT_MS)
        .then(
          () => 'reachable' as const,
          () => 'unreachable' as const,
        )
        .then((result) => {
          if (!closing.signal.aborted) reachability = result;
        });
    }, options.checkIntervalMs ?? 5_000);
    check.unref();

    new Gauge({
      name: 'berth_database_reachable',
      help: '1 when the last background check reached the database, 0 when it did not, -1 before the first.',
      registers: [app.metrics.registry],
      collect() {
        this.set(reachability === 'reachable' ? 1 : reachability === 'unreachable' ? 0 : -1);
      },
    });

    app.decorate('database', {
      pool,
      get reachability() {
        return reachability;
      },
      migrated,
    } satisfies DatabaseState);
    app.decorate('carts', new PgCartRepository(pool, statements));
    app.decorate('products', new PgProductRepository(statements));

    // Before the schema exists, API requests would fail in confusing ways: say "starting" instead.
    app.addHook('onRequest', async (request) => {
      if (
        app.lifecycle.phase === 'starting' &&
        request.url.startsWith('/api/') &&
        request.url !== '/api/openapi.json'
      ) {
        throw new ServiceError(503, 'service_starting', 'The service is starting; please retry shortly.');
      }
    });

    app.addHook('onClose', async () => {
      closing.abort(new Error('the app is closing'));
      clearInterval(check);
      await migrated;
      await Promise.all([pool.end(), statements.end()]);
    });
  },
  { name: 'database', dependencies: ['lifecycle', 'metrics'] },
);

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
