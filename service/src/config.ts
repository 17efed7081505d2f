import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Thrown for a bad environment value; the message is one line naming the variable and what it expects. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const SSL_MODES = ['disable', 'require', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** TLS towards PostgreSQL; `ca` holds the PEM text of PGSSLROOTCERT when the server must be verified. */
export type PostgresTls = { mode: 'disable' } | { mode: 'require' } | { mode: 'verify-full'; ca: string };

export interface PostgresDatabaseConfig {
  kind: 'postgres';
  /** DATABASE_URL; the PG* fields below fill in whatever it leaves out. */
  connectionString: string | undefined;
  host: string | undefined;
  port: number | undefined;
  user: string | undefined;
  password: string | undefined;
  database: string | undefined;
  tls: PostgresTls;
}

export interface EmbeddedDatabaseConfig {
  kind: 'embedded';
  /** Absolute directory the embedded PostgreSQL cluster persists to (DATA_DIR). */
  dataDir: string;
}

export type DatabaseConfig = PostgresDatabaseConfig | EmbeddedDatabaseConfig;

export const TRACING_MODES = ['off', 'console', 'otlp'] as const;
export type TracingMode = (typeof TRACING_MODES)[number];

/** Request tracing (OpenTelemetry); with mode `off` no tracing code is loaded at all. */
export interface TracingConfig {
  /** TRACING: `console` prints finished spans to stdout, `otlp` sends them to an OTLP/HTTP collector. */
  mode: TracingMode;
  /** TRACING_SAMPLE_RATIO: share of new traces recorded (0..1); a request carrying a traceparent follows its caller's decision. */
  sampleRatio: number;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL; spans go to <endpoint>/v1/traces. */
  otlpEndpoint: string;
}

export interface ServiceConfig {
  host: string;
  port: number;
  logLevel: LogLevel;
  shutdownDrainSeconds: number;
  keepAliveTimeoutSeconds: number;
  /** Pipelined connections for reads, and at most as many for changes and transactions (DATABASE_POOL_SIZE). */
  databasePoolSize: number;
  database: DatabaseConfig;
  tracing: TracingConfig;
  /**
   * MIGRATE_ON_START: apply pending migrations at start-up (the default, so `npm start` is one command). A
   * deployment whose release command migrates sets `false`: the task then only waits for the database.
   */
  migrateOnStart: boolean;
}

/**
 * Connections per process (DATABASE_POOL_SIZE): up to this many pipelined connections carry the reads, and a
 * pool of at most this many more, opened as needed and closed when idle, the changes (which may wait for a row
 * lock), transactions (checkout), migrations and the background check. Writes wait for their commit to reach
 * the disk, and PostgreSQL flushes the commits waiting together in one go: with 4 connections add-item ran at
 * a third of the rate it reached with 10 to 16 (bench/README.md), and 32 was no faster. 10 per task keeps a
 * fleet of 10 tasks within a small RDS instance's connection limit under a read-mostly load.
 */
export const DEFAULT_POOL_SIZE = 10;

type Env = Readonly<Record<string, string | undefined>>;

/** Parses the environment once; every value stays a string until it is parsed here. */
export function parseConfig(env: Env = process.env, cwd: string = process.cwd()): ServiceConfig {
  return {
    host: nonEmpty(env, 'HOST') ?? '0.0.0.0',
    port: integer(env, 'PORT', { min: 0, max: 65535, fallback: 8080 }),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    shutdownDrainSeconds: integer(env, 'SHUTDOWN_DRAIN_SECONDS', { min: 0, max: 300, fallback: 5 }),
    // Must outlive the ALB's 60 s idle timeout, or the ALB reuses sockets the service already closed (502s).
    keepAliveTimeoutSeconds: integer(env, 'KEEP_ALIVE_TIMEOUT_SECONDS', { min: 1, max: 4000, fallback: 65 }),
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', { min: 1, max: 500, fallback: DEFAULT_POOL_SIZE }),
    database: parseDatabase(env, cwd),
    tracing: parseTracing(env),
    migrateOnStart: oneOf(env, 'MIGRATE_ON_START', ['true', 'false'] as const, 'true') === 'true',
  };
}

function parseTracing(env: Env): TracingConfig {
  const ratioText = nonEmpty(env, 'TRACING_SAMPLE_RATIO');
  const sampleRatio = ratioText === undefined ? 1 : Number(ratioText);
  if (!Number.isFinite(sampleRatio) || sampleRatio < 0 || sampleRatio > 1) {
    throw new ConfigError(`TRACING_SAMPLE_RATIO must be a number from 0 to 1, got "${ratioText}"`);
  }
  // The OTLP/HTTP default port (OpenTelemetry spec, "OTLP Exporter Configuration").
  const otlpEndpoint = nonEmpty(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') ?? 'http://localhost:4318';
  if (!/^https?:\/\/[^/]/.test(otlpEndpoint)) {
    throw new ConfigError(
      `OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL, got "${otlpEndpoint}"`,
    );
  }
  return { mode: oneOf(env, 'TRACING', TRACING_MODES, 'off'), sampleRatio, otlpEndpoint };
}

function parseDatabase(env: Env, cwd: string): DatabaseConfig {
  const connectionString = nonEmpty(env, 'DATABASE_URL');
  const host = nonEmpty(env, 'PGHOST');
  if (connectionString === undefined && host === undefined) {
    return { kind: 'embedded', dataDir: resolve(cwd, nonEmpty(env, 'DATA_DIR') ?? '.data') };
  }
  if (connectionString !== undefined && !/^postgres(ql)?:\/\//.test(connectionString)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  const portText = nonEmpty(env, 'PGPORT');
  return {
    kind: 'postgres',
    connectionString,
    host,
    port: portText === undefined ? undefined : integer(env, 'PGPORT', { min: 1, max: 65535, fallback: 5432 }),
    user: nonEmpty(env, 'PGUSER'),
    password: env.PGPASSWORD === '' ? undefined : env.PGPASSWORD,
    database: nonEmpty(env, 'PGDATABASE'),
    tls: parseTls(env),
  };
}

function parseTls(env: Env): PostgresTls {
  const mode = oneOf(env, 'PGSSLMODE', SSL_MODES, 'disable');
  if (mode !== 'verify-full') return { mode };
  const caFile = nonEmpty(env, 'PGSSLROOTCERT');
  if (caFile === undefined) {
    throw new ConfigError('PGSSLROOTCERT must name the CA bundle file (PEM) when PGSSLMODE=verify-full');
  }
  try {
    return { mode, ca: readFileSync(caFile, 'utf8') };
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`PGSSLROOTCERT names a file that cannot be read (${reason}): ${caFile}`);
  }
}

function nonEmpty(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function integer(env: Env, name: string, rule: { min: number; max: number; fallback: number }): number {
  const text = nonEmpty(env, name);
  if (text === undefined) return rule.fallback;
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < rule.min || value > rule.max) {
    throw new ConfigError(`${name} must be an integer from ${rule.min} to ${rule.max}, got "${text}"`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const text = nonEmpty(env, name);
  if (text === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(text)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${text}"`);
  }
  return text as T;
}
