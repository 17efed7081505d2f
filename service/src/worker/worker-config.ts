import { ConfigError } from '../config.js';

export interface WorkerConfig {
  /** CART_EXPIRY_HOURS: an open cart unchanged for longer than this is deleted. */
  cartExpiryHours: number;
  /** WORKER_INTERVAL_SECONDS: the pause between the end of one pass and the start of the next. */
  intervalSeconds: number;
}

/** Three days: a weekend away does not empty a cart. */
export const DEFAULT_CART_EXPIRY_HOURS = 72;
export const DEFAULT_WORKER_INTERVAL_SECONDS = 300;

type Env = Readonly<Record<string, string | undefined>>;

/** The worker's own settings; the database and logging settings are the web service's (parseConfig). */
export function parseWorkerConfig(env: Env = process.env): WorkerConfig {
  return {
    // Up to a year: beyond that a typo (hours meant as minutes) is likelier than intent.
    cartExpiryHours: integer(env, 'CART_EXPIRY_HOURS', 1, 8760, DEFAULT_CART_EXPIRY_HOURS),
    intervalSeconds: integer(env, 'WORKER_INTERVAL_SECONDS', 1, 86_400, DEFAULT_WORKER_INTERVAL_SECONDS),
  };
}

function integer(env: Env, name: string, min: number, max: number, fallback: number): number {
  const text = env[name]?.trim();
  if (text === undefined || text === '') return fallback;
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return value;
}
