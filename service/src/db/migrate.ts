import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { MIGRATIONS, type Migration } from './migrations.js';
import { isDatabaseUnavailable } from './unavailable.js';

/** Any fixed 64-bit key: replicas that start together take the same session-level advisory lock. */
const MIGRATION_LOCK_KEY = 7_262_531_402;

/**
 * Applies the pending migrations, each in its own transaction, under a session-level advisory lock: when
 * several replicas start together the others wait, then find nothing left to do. Returns the names applied.
 */
export async function migrateToLatest(
  pool: pg.Pool,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<string[]> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(
        'create table if not exists berth_migrations (name text primary key, applied_at timestamptz not null default now())',
      );
      const { rows } = await client.query<{ name: string }>('select name from berth_migrations');
      const done = new Set(rows.map((row) => row.name));
      const applied: string[] = [];
      for (const migration of migrations.filter((m) => !done.has(m.name))) {
        try {
          await client.query('begin');
          await client.query(migration.sql);
          await client.query('insert into berth_migrations (name) values ($1)', [migration.name]);
          await client.query('commit');
        } catch (error) {
          await client.query('rollback').catch(() => undefined);
          throw new Error(`database migration ${migration.name} failed: ${(error as Error).message}`, {
            cause: error,
          });
        }
        applied.push(migration.name);
      }
      return applied;
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    }
  } catch (error) {
    // A connection that failed mid-way may hold the lock or a transaction: never give it back to the pool.
    broken = true;
    throw error;
  } finally {
    client.release(broken);
  }
}

export interface RetryOptions {
  /** Called before each wait: the attempt that failed, why, and how long until the next one. */
  onRetry(attempt: number, error: Error, delayMs: number): void;
  /** Stops retrying (the app is closing); the promise then rejects with the abort reason. */
  signal?: AbortSignal;
  /** @default 500 - the first wait; it doubles per attempt up to maxDelayMs */
  initialDelayMs?: number;
  /** @default 30000 */
  maxDelayMs?: number;
  /** @default MIGRATIONS - none: wait for the database (and the migration lock) without applying anything */
  migrations?: readonly Migration[];
}

/**
 * migrateToLatest, retried with capped exponential backoff for as long as the database is unreachable:
 * a task that starts during a database failover waits for it instead of crash-looping. A migration that
 * fails for any other reason (a bug in its SQL) is not retried.
 */
export async function migrateWithRetry(pool: pg.Pool, options: RetryOptions): Promise<string[]> {
  const initial = options.initialDelayMs ?? 500;
  const max = options.maxDelayMs ?? 30_000;
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await migrateToLatest(pool, options.migrations);
    } catch (error) {
      const cause = (error as Error).cause ?? error;
      if (!isDatabaseUnavailable(cause) && !isDatabaseUnavailable(error)) throw error;
      const delayMs = Math.min(max, initial * 2 ** (attempt - 1));
      options.onRetry(attempt, error as Error, delayMs);
      await sleep(delayMs, undefined, { signal: options.signal });
    }
  }
}
