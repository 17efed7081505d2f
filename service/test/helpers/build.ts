import type { FastifyInstance } from 'fastify';
import { type AppOptions, buildApp } from '../../src/app.js';
import type { DatabaseConfig } from '../../src/config.js';
import { migratedPgliteTemplate } from './pglite-template.js';

/** Anything with node:test's `after` (a TestContext or SuiteContext). */
export interface Cleanup {
  after(fn: () => Promise<void> | void): void;
}

/** Builds the app on a fresh in-memory PGlite (or the given database) and closes it when the test ends. */
export async function build(
  t: Cleanup,
  options: { database?: DatabaseConfig } & AppOptions = {},
): Promise<FastifyInstance> {
  const database = options.database ?? { kind: 'pglite', dataDir: null };
  const app = await buildApp(
    { logLevel: 'silent', keepAliveTimeoutSeconds: 65, database },
    {
      publicDir: options.publicDir,
      pglite: { loadDataDir: await migratedPgliteTemplate(), ...options.pglite },
    },
  );
  t.after(() => app.close());
  return app;
}
