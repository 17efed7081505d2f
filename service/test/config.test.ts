import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, type PostgresDatabaseConfig, parseConfig } from '../src/config.js';
import { postgresPoolConfig } from '../src/db/pool.js';
import { spawnServer } from './helpers/spawn-server.js';

function configError(env: Record<string, string>): string {
  try {
    parseConfig(env, '/srv');
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message;
  }
  assert.fail('expected a ConfigError');
}

describe('parseConfig', () => {
  test('defaults: 0.0.0.0:8080, embedded PostgreSQL in ./.data, 5 s drain, 65 s keep-alive', () => {
    assert.deepEqual(parseConfig({}, '/srv'), {
      host: '0.0.0.0',
      port: 8080,
      logLevel: 'info',
      shutdownDrainSeconds: 5,
      keepAliveTimeoutSeconds: 65,
      databasePoolSize: 10,
      database: { kind: 'embedded', dataDir: '/srv/.data' },
      tracing: { mode: 'off', sampleRatio: 1, otlpEndpoint: 'http://localhost:4318' },
      migrateOnStart: true,
    });
  });

  test('MIGRATE_ON_START: true by default, false when a release command migrates; other values are named', () => {
    assert.equal(parseConfig({ MIGRATE_ON_START: 'false' }, '/srv').migrateOnStart, false);
    assert.equal(parseConfig({ MIGRATE_ON_START: 'true' }, '/srv').migrateOnStart, true);
    assert.match(configError({ MIGRATE_ON_START: 'no' }), /MIGRATE_ON_START/);
  });

  test('tracing: TRACING, TRACING_SAMPLE_RATIO and OTEL_EXPORTER_OTLP_ENDPOINT; bad values are named', () => {
    assert.deepEqual(
      parseConfig(
        { TRACING: 'otlp', TRACING_SAMPLE_RATIO: '0.05', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318' },
        '/srv',
      ).tracing,
      { mode: 'otlp', sampleRatio: 0.05, otlpEndpoint: 'http://otel:4318' },
    );
    assert.throws(
      () => parseConfig({ TRACING: 'xray' }),
      /TRACING must be one of off, console, otlp, got "xray"/,
    );
    assert.throws(
      () => parseConfig({ TRACING_SAMPLE_RATIO: '1.5' }),
      /TRACING_SAMPLE_RATIO must be a number from 0 to 1/,
    );
    assert.throws(
      () => parseConfig({ TRACING_SAMPLE_RATIO: 'half' }),
      /TRACING_SAMPLE_RATIO must be a number from 0 to 1/,
    );
    assert.throws(
      () => parseConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'otel:4318' }),
      /OTEL_EXPORTER_OTLP_ENDPOINT must be an http/,
    );
  });

  test('reads every variable', () => {
    const config = parseConfig(
      {
        HOST: '127.0.0.1',
        PORT: '3000',
        LOG_LEVEL: 'warn',
        SHUTDOWN_DRAIN_SECONDS: '0',
        KEEP_ALIVE_TIMEOUT_SECONDS: '75',
        DATABASE_POOL_SIZE: '24',
        DATA_DIR: 'state',
      },
      '/srv',
    );
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 3000);
    assert.equal(config.logLevel, 'warn');
    assert.equal(config.shutdownDrainSeconds, 0);
    assert.equal(config.keepAliveTimeoutSeconds, 75);
    assert.equal(config.databasePoolSize, 24);
    assert.deepEqual(config.database, { kind: 'embedded', dataDir: '/srv/state' });
  });

  test('PGHOST (as ECS injects the secret) selects PostgreSQL', () => {
    const { database } = parseConfig({
      PGHOST: 'db.internal',
      PGPORT: '5433',
      PGUSER: 'app',
      PGPASSWORD: 's3cret',
      PGDATABASE: 'berth',
      PGSSLMODE: 'require',
    });
    assert.deepEqual(database, {
      kind: 'postgres',
      connectionString: undefined,
      host: 'db.internal',
      port: 5433,
      user: 'app',
      password: 's3cret',
      database: 'berth',
      tls: { mode: 'require' },
    });
  });

  test('verify-full passes the CONTENTS of the PGSSLROOTCERT file as the CA, not its path', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-ca-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, '-----BEGIN CERTIFICATE-----\nMIIBrdsTestBundle\n-----END CERTIFICATE-----\n');
    const { database } = parseConfig({ PGHOST: 'db', PGSSLMODE: 'verify-full', PGSSLROOTCERT: caFile });
    assert.equal(database.kind, 'postgres');
    assert.deepEqual(database.kind === 'postgres' && database.tls, {
      mode: 'verify-full',
      ca: '-----BEGIN CERTIFICATE-----\nMIIBrdsTestBundle\n-----END CERTIFICATE-----\n',
    });
    // What node-postgres hands to tls.connect: PEM text (a path there would verify nothing).
    assert.deepEqual(postgresPoolConfig(database as PostgresDatabaseConfig).ssl, {
      rejectUnauthorized: true,
      ca: '-----BEGIN CERTIFICATE-----\nMIIBrdsTestBundle\n-----END CERTIFICATE-----\n',
    });
  });

  test('PORT=3000 is honoured; PORT unset means 8080', () => {
    assert.equal(parseConfig({ PORT: '3000' }, '/srv').port, 3000);
    assert.equal(parseConfig({}, '/srv').port, 8080);
  });

  test('bad values name the variable and what it expects', () => {
    assert.equal(configError({ PORT: 'eighty' }), 'PORT must be an integer from 0 to 65535, got "eighty"');
    assert.match(configError({ PORT: '70000' }), /^PORT must be/);
    assert.match(configError({ LOG_LEVEL: 'loud' }), /^LOG_LEVEL must be one of fatal, error/);
    assert.match(configError({ SHUTDOWN_DRAIN_SECONDS: '-1' }), /^SHUTDOWN_DRAIN_SECONDS must be an integer/);
    assert.match(configError({ KEEP_ALIVE_TIMEOUT_SECONDS: '0' }), /^KEEP_ALIVE_TIMEOUT_SECONDS must be/);
    assert.match(configError({ DATABASE_POOL_SIZE: '0' }), /^DATABASE_POOL_SIZE must be an integer from 1/);
    assert.match(configError({ DATABASE_URL: 'mysql://x' }), /^DATABASE_URL must be a postgres:\/\//);
    assert.match(configError({ PGHOST: 'db', PGSSLMODE: 'prefer' }), /^PGSSLMODE must be one of disable/);
    assert.match(configError({ PGHOST: 'db', PGSSLMODE: 'verify-full' }), /^PGSSLROOTCERT must name/);
    assert.match(
      configError({ PGHOST: 'db', PGSSLMODE: 'verify-full', PGSSLROOTCERT: '/nonexistent/ca.pem' }),
      /^PGSSLROOTCERT names a file that cannot be read \(ENOENT\)/,
    );
  });
});

describe('PostgreSQL TLS options', () => {
  const base: PostgresDatabaseConfig = {
    kind: 'postgres',
    connectionString: undefined,
    host: 'db',
    port: undefined,
    user: undefined,
    password: undefined,
    database: undefined,
    tls: { mode: 'disable' },
  };

  test('disable: plain TCP; require: TLS without verification; verify-full: verify against the CA only', () => {
    assert.equal(postgresPoolConfig(base).ssl, false);
    assert.deepEqual(postgresPoolConfig({ ...base, tls: { mode: 'require' } }).ssl, {
      rejectUnauthorized: false,
    });
    assert.deepEqual(postgresPoolConfig({ ...base, tls: { mode: 'verify-full', ca: 'PEM' } }).ssl, {
      rejectUnauthorized: true,
      ca: 'PEM',
    });
  });
});

describe('server start-up with bad configuration', () => {
  test('prints one line naming the variable and exits 1', async () => {
    const server = spawnServer({ PORT: 'not-a-port' });
    const { code } = await server.exited;
    assert.equal(code, 1);
    const lines = server.output().trim().split('\n');
    assert.equal(lines.length, 1, server.output());
    assert.match(lines[0]!, /PORT must be an integer from 0 to 65535, got "not-a-port"/);
  });
});
