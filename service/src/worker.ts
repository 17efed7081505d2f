import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, parseConfig } from './config.js';
import type { OpenDatabase } from './db/open-database.js';
import { processLogger } from './process-log.js';
import type { Tracing } from './tracing.js';
import { parseWorkerConfig } from './worker/worker-config.js';

/**
 * The cart's background worker (`node dist/worker.js`): every WORKER_INTERVAL_SECONDS it deletes the open
 * carts unchanged for longer than CART_EXPIRY_HOURS. On SIGTERM (ECS stopping the task) it finishes the
 * batch in progress, closes its connections and exits 0; a pass never holds more than one batch open, so
 * this takes well under ECS's default 30 s stopTimeout, and STOP_TIMEOUT_MS below is the last resort.
 */
const STOP_TIMEOUT_MS = 20_000;
// Two connections: the pass needs one; the second keeps a slow query from starving the next start.
const POOL_SIZE = 2;

let tracing: Tracing | undefined;
const log = processLogger('berth-worker', () => tracing?.logMixin() ?? {});

function loadConfig() {
  try {
    return { service: parseConfig(process.env), worker: parseWorkerConfig(process.env) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    log.error(`invalid configuration: ${error.message}`);
    process.exit(1);
  }
}

const config = loadConfig();
log.level = config.service.logLevel;

// Before pg is imported (by the modules below), so the instrumentation can hook it; off, nothing is loaded.
if (config.service.tracing.mode !== 'off') {
  tracing = (await import('./tracing.js')).startTracing(config.service.tracing, {
    serviceName: 'berth-worker',
  });
}
const { openDatabase } = await import('./db/open-database.js');
const { expireAbandonedCarts } = await import('./worker/expire-carts.js');

const stopping = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping.signal.aborted) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    log.info({ signal }, 'stopping after the batch in progress');
    stopping.abort();
    setTimeout(() => {
      log.error('the pass did not finish in time: exiting');
      process.exit(1);
    }, STOP_TIMEOUT_MS).unref();
  });
}

let database: OpenDatabase;
try {
  database = await openDatabase(config.service.database, {
    poolSize: POOL_SIZE,
    log: (message) => log.info(message),
  });
} catch (error) {
  log.error((error as Error).message);
  process.exit(1);
}

log.info(
  { cartExpiryHours: config.worker.cartExpiryHours, intervalSeconds: config.worker.intervalSeconds },
  'worker started',
);
/** One pass: deletes the abandoned carts, one batch at a time, until none is left or the worker is stopping. */
async function expiryPass(): Promise<void> {
  const started = performance.now();
  try {
    const { deleted, interrupted } = await expireAbandonedCarts(database.pool, {
      olderThanHours: config.worker.cartExpiryHours,
      signal: stopping.signal,
    });
    log.info(
      { deleted, interrupted, passMs: Math.round(performance.now() - started) },
      'expiry pass finished',
    );
  } catch (error) {
    // A database blip fails this pass only; the next one runs on schedule.
    log.warn({ reason: (error as Error).message }, 'expiry pass failed');
  }
}

while (!stopping.signal.aborted) {
  await (tracing === undefined ? expiryPass() : tracing.traceTask('expiry pass', expiryPass));
  await sleep(config.worker.intervalSeconds * 1000, undefined, { signal: stopping.signal }).catch(() => {});
}

try {
  await database.close();
  await tracing?.shutdown();
  log.info('stopped cleanly');
  process.exit(0);
} catch (error) {
  log.error({ reason: (error as Error).message }, 'stop failed');
  process.exit(1);
}
