import { enableCompileCache } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, type PostgresDatabaseConfig, parseConfig, type ServiceConfig } from './config.js';
import { type EmbeddedPostgres, startEmbeddedPostgres } from './db/embedded.js';

/**
 * The embedded cluster holds local development data: a commit returns before its WAL reaches the disk, so a
 * crash of the machine can lose the last fraction of a second of changes (never corrupt them; PostgreSQL
 * docs, "Asynchronous Commit"). That takes one disk flush off every write request.
 */
const EMBEDDED_SETTINGS = { synchronous_commit: 'off' };

// ECS waits 30 s (stopTimeout) before SIGKILL; close must finish well inside it after the drain window.
const CLOSE_TIMEOUT_MS = 10_000;

function loadConfig(): ServiceConfig {
  try {
    return parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`berth-service: invalid configuration: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

// V8 keeps the compiled code of every module loaded below in a disk cache (os.tmpdir()/node-compile-cache),
// so a warm start skips most parsing: the app's modules (Fastify, TypeBox, ...) dominate start-up time.
enableCompileCache();

const config = loadConfig();

// Before pg (loaded by the embedded cluster too) and Fastify are imported, so the instrumentation can hook them.
// When tracing is off no OpenTelemetry module is loaded at all.
const tracing =
  config.tracing.mode === 'off' ? undefined : (await import('./tracing.js')).startTracing(config.tracing);

// The embedded cluster starts in its own process while this one loads the app's modules.
const embeddedStarting =
  config.database.kind === 'embedded'
    ? startEmbeddedPostgres(config.database.dataDir, {
        log: (message) => process.stderr.write(`berth-service: ${message}\n`),
        settings: EMBEDDED_SETTINGS,
      })
    : undefined;
embeddedStarting?.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled
const { buildApp } = await import('./app.js');
const { pino } = await import('pino');
// Request logs go out asynchronously (pino's default, cheaper under load); exitAfterLogs waits for the last.
const logDestination = pino.destination({ dest: 1, sync: false });

let embedded: EmbeddedPostgres | undefined;
let database: PostgresDatabaseConfig;
if (config.database.kind === 'embedded') {
  const { dataDir } = config.database;
  try {
    embedded = await embeddedStarting!;
  } catch (error) {
    process.stderr.write(
      `berth-service: cannot start the embedded PostgreSQL in ${dataDir}: ${(error as Error).message}\n` +
        '  Set DATABASE_URL to use another PostgreSQL server, or DATA_DIR to use another directory.\n',
    );
    process.exit(1);
  }
  database = embedded.database;
} else {
  database = config.database;
}

const app = await buildApp(
  { ...config, database },
  {
    logMixin: tracing?.logMixin,
    logStream: logDestination,
    migrateOnStart: config.migrateOnStart,
  },
);
tracing?.traceServer(app.server);
await app.listen({ host: config.host, port: config.port });

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) {
      app.log.warn({ signal }, 'second signal: exiting now');
      exitAfterLogs(1);
    }
    stopping = true;
    void shutDown(signal);
  });
}

/**
 * Readiness flips to 503 at once so the ALB deregisters this task, but requests are served for the whole
 * drain window (the ALB keeps sending until it notices); only then does the server stop taking work.
 */
async function shutDown(signal: string): Promise<void> {
  app.lifecycle.startDraining();
  app.log.info({ signal, drainSeconds: config.shutdownDrainSeconds }, 'draining before shutdown');
  await sleep(config.shutdownDrainSeconds * 1000);
  const forceExit = setTimeout(() => {
    app.log.error('close did not finish in time: exiting');
    exitAfterLogs(1);
  }, CLOSE_TIMEOUT_MS);
  forceExit.unref();
  try {
    await app.close();
    await embedded?.stop();
    await tracing?.shutdown();
    app.log.info('shut down cleanly');
    exitAfterLogs(0);
  } catch (error) {
    app.log.error({ err: error }, 'shutdown failed');
    exitAfterLogs(1);
  }
}

/**
 * Exits once every log line is out. At exit pino flushes what it buffered while an earlier asynchronous write
 * may still be in flight, which lost or reordered the last lines; ending the stream waits for that write.
 */
let exiting = false;
function exitAfterLogs(code: number): void {
  if (exiting) return; // the first exit's code stands
  exiting = true;
  logDestination.once('close', () => process.exit(code));
  logDestination.end();
}
