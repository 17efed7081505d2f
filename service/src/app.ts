import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import type { PostgresDatabaseConfig, ServiceConfig } from './config.js';
import database, { type DatabasePluginOptions } from './plugins/database.js';
import errors from './plugins/errors.js';
import lifecycle from './plugins/lifecycle.js';
import metrics from './plugins/metrics.js';
import requestId, { requestIdFor } from './plugins/request-id.js';
import staticFiles from './plugins/static.js';
import cartRoutes from './routes/carts/index.js';
import healthRoutes from './routes/health/index.js';
import productRoutes from './routes/products/index.js';
import { BODY_LIMIT_BYTES } from './schemas/limits.js';

export interface AppConfig
  extends Pick<ServiceConfig, 'logLevel' | 'keepAliveTimeoutSeconds'>,
    Partial<Pick<ServiceConfig, 'databasePoolSize'>> {
  /** The server to use; server.ts starts the embedded cluster first when the config asks for it. */
  database: PostgresDatabaseConfig;
}

export interface AppOptions
  extends Pick<DatabasePluginOptions, 'checkIntervalMs' | 'migrationRetry' | 'migrateOnStart'> {
  /** Directory of the storefront files; defaults to service/public. */
  publicDir?: string;
  /** Adds fields to every log line (tracing.ts passes the active trace and span ids); none when tracing is off. */
  logMixin?: () => object;
  /** Where log lines go instead of stdout (tests read them back). */
  logStream?: { write(line: string): void };
}

/**
 * Builds the whole service without listening: server.ts listens, tests use `inject`. Migrations run in
 * the background from here on (`app.database.migrated`); /readyz turns 200 when they are done.
 */
export async function buildApp(config: AppConfig, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: config.logLevel, mixin: options.logMixin, stream: options.logStream },
    genReqId: requestIdFor,
    bodyLimit: BODY_LIMIT_BYTES,
    keepAliveTimeout: config.keepAliveTimeoutSeconds * 1000,
    // On close, drop idle keep-alive sockets at once; requests in flight still finish.
    forceCloseConnections: 'idle',
    ajv: {
      // Reject what the schema does not allow rather than silently dropping or coercing it.
      customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Berth cart API',
        version: '1.0.0',
        description:
          'Errors are JSON: { "error": "<code>", "message": "<sentence>" }. A 503 carries Retry-After.',
      },
      // Relative: the document describes whichever deployment serves it.
      servers: [{ url: '/', description: 'The server that serves this document' }],
      // The cart API is public on purpose (anonymous carts, addressed by unguessable UUIDs).
      security: [],
      tags: [
        { name: 'products', description: 'The catalogue.' },
        { name: 'carts', description: 'Anonymous carts and their checkout.' },
        { name: 'health', description: 'Probes for load balancers and orchestrators.' },
      ],
    },
  });
  await app.register(requestId);
  await app.register(errors);
  await app.register(metrics);
  await app.register(lifecycle);
  await app.register(database, {
    database: config.database,
    poolSize: config.databasePoolSize,
    checkIntervalMs: options.checkIntervalMs,
    migrationRetry: options.migrationRetry,
    migrateOnStart: options.migrateOnStart,
  });

  await app.register(healthRoutes);
  await app.register(productRoutes);
  await app.register(cartRoutes);
  await app.register(staticFiles, { root: options.publicDir });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.ready();
  return app;
}
