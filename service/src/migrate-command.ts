import { ConfigError, parseConfig } from './config.js';
import { migrateWithRetry } from './db/migrate.js';
import { openDatabase } from './db/open-database.js';
import { processLogger } from './process-log.js';

/**
 * The release command (`node dist/migrate-command.js`): applies the pending migrations and exits 0, or
 * exits 1 with one log line saying why. A deploy runs it as a one-off task with the new image before any
 * task is replaced, so a migration that fails stops the deploy while the old release keeps serving.
 * A database that is unreachable (a failover) is retried for up to MIGRATE_TIMEOUT_MS, then given up on.
 */
const MIGRATE_TIMEOUT_MS = 120_000;

const log = processLogger('berth-release');

async function main(): Promise<number> {
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    log.error(`invalid configuration: ${error.message}`);
    return 1;
  }
  log.level = config.logLevel;
  const started = performance.now();
  let database: Awaited<ReturnType<typeof openDatabase>> | undefined;
  try {
    database = await openDatabase(config.database, { poolSize: 1, log: (message) => log.info(message) });
    const applied = await migrateWithRetry(database.pool, {
      signal: AbortSignal.timeout(MIGRATE_TIMEOUT_MS),
      onRetry: (attempt, error, retryInMs) =>
        log.warn({ attempt, reason: error.message, retryInMs }, 'migrations: database unreachable'),
    });
    log.info(
      { migrationsApplied: applied, migrateMs: Math.round(performance.now() - started) },
      applied.length === 0
        ? 'release: the schema is up to date'
        : `release: applied ${applied.length} migrations`,
    );
    return 0;
  } catch (error) {
    log.error({ reason: (error as Error).message }, `release failed: ${(error as Error).message}`);
    return 1;
  } finally {
    await database?.close().catch(() => undefined);
  }
}

process.exitCode = await main();
