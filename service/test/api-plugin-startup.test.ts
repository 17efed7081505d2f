/**
 * Start-up and the database (src/plugins/database.ts) on a small app of its own: the API says "starting" until the
 * migrations are applied, the background check and the berth_database_reachable gauge follow the database,
 * retries and failures are logged and told apart, and closing ends everything. The unreachable cases need no
 * PostgreSQL (a closed port, a server that never answers); the others use the test helpers' PostgreSQL 18.
 * (Named api-plugin-startup so Stryker, which runs covering test files in name order, reaches it before the
 * full-app suites but after the faster api-plugin-errors and api-plugin-runtime.)
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import Fastify from 'fastify';
import type { PostgresDatabaseConfig } from '../src/config.js';
import database from '../src/plugins/database.js';
import errors from '../src/plugins/errors.js';
import lifecycle from '../src/plugins/lifecycle.js';
import metrics from '../src/plugins/metrics.js';
import { PgCartRepository } from '../src/repositories/pg-cart-repository.js';
import { PgProductRepository } from '../src/repositories/pg-product-repository.js';
import { freshPostgresDatabase, onDatabase, withClient } from './helpers/postgres.js';

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

const STARTING = { error: 'service_starting', message: 'The service is starting; please retry shortly.' };

function databaseAt(port: number, name = 'berth'): PostgresDatabaseConfig {
  return {
    kind: 'postgres',
    connectionString: undefined,
    host: '127.0.0.1',
    port,
    user: 'berth',
    password: 'not-used',
    database: name,
    tls: { mode: 'disable' },
  };
}

/** A port with nothing listening: connecting is refused at once (ECONNREFUSED). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A server that accepts connections and never answers: a database hung behind a network fault. */
async function silentServer(t: TestContext): Promise<number> {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as { port: number }).port;
}

async function appOn(
  t: TestContext,
  config: PostgresDatabaseConfig,
  options: {
    checkIntervalMs?: number;
    migrationRetry?: { initialDelayMs?: number; maxDelayMs?: number };
  } = {},
) {
  const logs: LogLine[] = [];
  const app = Fastify({
    logger: { level: 'info', stream: { write: (line: string) => logs.push(JSON.parse(line)) } },
  });
  await app.register(errors);
  await app.register(metrics);
  await app.register(lifecycle);
  await app.register(database, { database: config, poolSize: 3, ...options });
  app.get('/api/products', async () => ({ served: true }));
  app.get('/api/openapi.json', async () => ({ openapi: '3.1.0' }));
  app.get('/apiary', async () => ({ served: true }));
  await app.ready();
  let closed = false;
  t.after(async () => {
    if (!closed) await app.close();
  });
  const gauge = async () =>
    Number(/^berth_database_reachable (\S+)$/m.exec((await app.inject('/metrics')).body)?.[1] ?? Number.NaN);
  const close = async () => {
    closed = true;
    await app.close();
  };
  return { app, logs, gauge, close };
}

async function eventually(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail(`timed out waiting until ${what}`);
}

describe('database plugin: an unreachable database', () => {
  it('retries the migrations, says why it is starting, answers 503 on the API only, and logs each retry', async (t) => {
    const { app, logs, gauge } = await appOn(t, databaseAt(await closedPort()), {
      checkIntervalMs: 60_000,
      migrationRetry: { initialDelayMs: 10, maxDelayMs: 40 },
    });

    await eventually(
      'three retries',
      () => logs.filter((l) => l.msg === 'migrations: database unreachable').length >= 3,
    );

    assert.equal(app.lifecycle.phase, 'starting');
    assert.equal(app.lifecycle.startingReason, 'database unreachable; retrying the migrations');
    assert.equal(app.database.reachability, 'unreachable');
    assert.equal(await gauge(), 0);
    const retries = logs.filter((l) => l.msg === 'migrations: database unreachable').slice(0, 3);
    assert.deepEqual(
      retries.map((l) => [l.level, l.attempt, l.retryInMs]),
      [
        [40, 1, 10],
        [40, 2, 20],
        [40, 3, 40],
      ],
    );
    assert.match(String((retries[0]?.err as { message?: string })?.message), /ECONNREFUSED/);

    const api = await app.inject('/api/products');
    assert.equal(api.statusCode, 503);
    assert.deepEqual(api.json(), STARTING);
    assert.equal(api.headers['retry-after'], '5');
    // The API document and everything outside /api/ stay available while starting.
    assert.equal((await app.inject('/api/openapi.json')).statusCode, 200);
    assert.deepEqual((await app.inject('/apiary')).json(), { served: true });
    assert.equal((await app.inject('/api/products?x=1')).statusCode, 503);
  });

  it('closing while the migrations retry ends the wait quietly: migrated settles, the pool ends, nothing is "failed"', async (t) => {
    const { app, logs, close } = await appOn(t, databaseAt(await closedPort()), {
      checkIntervalMs: 60_000,
      migrationRetry: { initialDelayMs: 60_000, maxDelayMs: 60_000 },
    });
    await eventually('the first retry', () => logs.some((l) => l.msg === 'migrations: database unreachable'));

    const started = Date.now();
    await close();

    assert.ok(Date.now() - started < 10_000, 'close did not wait for the 60 s backoff');
    await app.database.migrated;
    assert.equal((app.database.pool as unknown as { ended: boolean }).ended, true);
    assert.equal(logs.filter((l) => l.msg === 'migrations failed').length, 0);
    assert.equal(app.lifecycle.startingReason, 'database unreachable; retrying the migrations');
  });

  it('the background check gives up on a database that never answers after 2 s, before the 5 s connect timeout', async (t) => {
    const { app, gauge } = await appOn(t, databaseAt(await silentServer(t)), { checkIntervalMs: 50 });

    // Nothing has answered yet: neither reachable nor unreachable.
    assert.equal(app.database.reachability, 'unknown');
    assert.equal(await gauge(), -1);
    const started = Date.now();
    await eventually('the check times out', () => app.database.reachability === 'unreachable', 4_500);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 1_500, `marked unreachable after ${elapsed} ms, not before the 2 s timeout`);
    // The migrations are still connecting (pg's 5 s connectionTimeoutMillis): no retry has been logged yet.
    assert.equal(app.lifecycle.startingReason, 'applying database migrations');
    assert.equal(await gauge(), 0);
  });
});

describe('database plugin: what it needs', () => {
  for (const missing of ['lifecycle', 'metrics']) {
    it(`refuses to start without the ${missing} plugin, naming it (fastify-plugin dependencies)`, async (t) => {
      const app = Fastify();
      t.after(() => app.close());
      if (missing !== 'lifecycle') await app.register(lifecycle);
      if (missing !== 'metrics') await app.register(metrics);
      app.register(database, { database: databaseAt(await closedPort()), checkIntervalMs: 60_000 });
      await assert.rejects(
        async () => {
          await app.ready();
        },
        {
          message: `The dependency '${missing}' of plugin 'database' is not registered`,
        },
      );
    });
  }
});

describe('database plugin: a reachable database (PostgreSQL 18)', () => {
  it('applies the migrations, marks the app ready and reachable, serves the API, and logs "database ready"', async (t) => {
    const config = await freshPostgresDatabase(t);
    const { app, logs, gauge } = await appOn(t, config, { checkIntervalMs: 60_000 });

    await app.database.migrated;

    assert.equal(app.lifecycle.phase, 'ready');
    assert.equal(app.database.reachability, 'reachable');
    assert.equal(await gauge(), 1);
    assert.equal(app.database.pool.options.max, 3, 'the pool size asked for');
    assert.deepEqual((await app.inject('/api/products')).json(), { served: true });
    const ready = logs.filter((l) => l.msg === 'database ready');
    assert.equal(ready.length, 1);
    assert.equal(ready[0]?.level, 30);
    assert.deepEqual(ready[0]?.migrationsApplied, [
      '0001-initial',
      '0002-cart-line-count',
      '0003-cart-touched-at',
      '0004-cart-touched-by-changes',
    ]);
    assert.equal(typeof ready[0]?.migrateMs, 'number');
    assert.equal(typeof ready[0]?.sinceProcessStartMs, 'number');
    assert.ok((ready[0]?.sinceProcessStartMs as number) >= (ready[0]?.migrateMs as number));
    assert.ok(app.carts instanceof PgCartRepository);
    assert.ok(app.products instanceof PgProductRepository);
    assert.equal((await app.products.list()).length, 4, 'the repositories use the migrated database');
    const gaugeHelp = /^# HELP berth_database_reachable (.*)$/m.exec(
      (await app.inject('/metrics')).body,
    )?.[1];
    assert.equal(
      gaugeHelp,
      '1 when the last background check reached the database, 0 when it did not, -1 before the first.',
    );
  });

  it('a connection the server drops is logged with its code and reason only, and the check finds the database again', async (t) => {
    const config = await freshPostgresDatabase(t);
    const { app, logs } = await appOn(t, config, { checkIntervalMs: 30 });
    await app.database.migrated;
    // Three pooled connections, so one is idle when the server drops them even if the 30 ms check holds
    // another: a connection dropped while a query runs fails that query instead of emitting 'error'.
    await Promise.all([1, 2, 3].map(() => app.database.pool.query('select pg_sleep(0.05)')));
    await eventually('idle pooled connections', () => app.database.pool.idleCount >= 2);

    // An administrator (or a failover) ends the service's connections: SQLSTATE 57P01 admin_shutdown.
    await withClient(config, (client) =>
      client.query(
        "select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and application_name = 'berth-service'",
      ),
    );

    await eventually('the drop is logged', () => logs.some((l) => l.msg === 'database connection lost'));
    const lost = logs.find((l) => l.msg === 'database connection lost');
    assert.equal(lost?.level, 40);
    assert.equal(lost?.code, '57P01');
    assert.match(String(lost?.reason), /terminating connection due to administrator command/);
    assert.deepEqual(
      Object.keys(lost ?? {}).filter((k) => !['level', 'time', 'pid', 'hostname', 'msg'].includes(k)),
      ['code', 'reason'],
    );
    await eventually('reachable again', () => app.database.reachability === 'reachable');
  });

  it('a migration that fails for another reason is not retried: the app stays starting and says to read the log', async (t) => {
    const config = await freshPostgresDatabase(t);
    // A database that does not exist: SQLSTATE 3D000, a configuration error no retry can fix.
    const { app, logs } = await appOn(t, onDatabase(config, 'berth_no_such_database'), {
      checkIntervalMs: 60_000,
      migrationRetry: { initialDelayMs: 10, maxDelayMs: 10 },
    });

    await app.database.migrated;

    assert.equal(app.lifecycle.phase, 'starting');
    assert.equal(app.lifecycle.startingReason, 'database migration failed; see the log');
    assert.equal(logs.filter((l) => l.msg === 'migrations: database unreachable').length, 0);
    const failed = logs.filter((l) => l.msg === 'migrations failed');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]?.level, 50);
    assert.match(String((failed[0]?.err as { message?: string })?.message), /berth_no_such_database/);
    assert.deepEqual((await app.inject('/api/products')).json(), STARTING);
  });

  it('closing ends the pool and the pipelined read connections, and stops the background checks', async (t) => {
    const config = await freshPostgresDatabase(t);
    const { app, close } = await appOn(t, config, { checkIntervalMs: 10 });
    await app.database.migrated;
    const pool = app.database.pool;
    let checksAfterClose = 0;

    await close();
    const query = pool.query.bind(pool);
    pool.query = ((...args: Parameters<typeof query>) => {
      checksAfterClose++;
      return query(...args);
    }) as typeof pool.query;
    await new Promise((resolve) => setTimeout(resolve, 200));

    assert.equal((pool as unknown as { ended: boolean }).ended, true);
    assert.equal(checksAfterClose, 0, 'no check runs on a closed app');
    // The reads' pipelined connections are closed too: nothing is left connected to the database.
    await assert.rejects(app.products.list(), { message: 'Client was closed and is not queryable' });
  });
});
