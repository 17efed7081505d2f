// Health design: the load balancer probes /readyz, which reflects the task (migrated, not draining), never
// the database; a database outage answers 503 per request and heals without a restart.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { build } from './helpers/build.js';
import { freshPostgresDatabase, throwawayCluster, withClient } from './helpers/postgres.js';

const MISSING_CART = '00000000-0000-4000-8000-000000000000';
// Fast enough for tests; production keeps the 5 s default.
const CHECK_INTERVAL_MS = 100;

async function eventually(what: string, condition: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`timed out waiting until ${what}`);
}

describe('readiness', () => {
  test('503 starting while the database is unreachable at start-up; migrations retry, then 200', async (t) => {
    // GIVEN a database that is down when the app starts
    const cluster = await throwawayCluster(t);
    await cluster.stop();
    const app = await build(t, {
      database: cluster.database,
      waitForMigrations: false,
      checkIntervalMs: CHECK_INTERVAL_MS,
      migrationRetry: { initialDelayMs: 50, maxDelayMs: 200 },
    });

    // THEN the task is alive, not ready, and the API says it is starting
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await app.inject('/healthz')).statusCode, 200);
    const starting = await app.inject('/readyz');
    assert.equal(starting.statusCode, 503);
    assert.deepEqual(starting.json(), {
      status: 'starting',
      reason: 'database unreachable; retrying the migrations',
      database: 'unreachable',
    });
    const api = await app.inject('/api/products');
    assert.equal(api.statusCode, 503);
    assert.equal(api.json().error, 'service_starting');
    assert.equal(api.headers['retry-after'], '5');

    // WHEN the database comes up on the same address
    await throwawayCluster(t, { dataDir: cluster.dataDir, port: cluster.database.port });

    // THEN the retried migrations complete and the task becomes ready, without a restart
    await app.database.migrated;
    const ready = await app.inject('/readyz');
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: 'ready', database: 'reachable' });
    assert.equal((await app.inject('/api/products')).json().length, 4);
  });

  test('a database outage while serving: /readyz stays 200, requests 503, recovery without restart', async (t) => {
    // GIVEN a ready app on a database of its own
    const cluster = await throwawayCluster(t);
    const app = await build(t, { database: cluster.database, checkIntervalMs: CHECK_INTERVAL_MS });
    const cart = (await app.inject({ method: 'POST', url: '/api/carts' })).json().id as string;

    // WHEN the database stops (a failover, a restart)
    await cluster.stop();

    // THEN requests that need it answer 503 with Retry-After and nothing internal ...
    const during = await app.inject(`/api/carts/${cart}`);
    assert.equal(during.statusCode, 503);
    assert.deepEqual(during.json(), {
      error: 'database_unavailable',
      message: 'The database is unreachable right now; please retry shortly.',
    });
    assert.equal(during.headers['retry-after'], '5');
    // ... the task stays in the load balancer, and says what it sees for humans and metrics
    await eventually('the background check notices', async () => {
      const ready = await app.inject('/readyz');
      assert.equal(ready.statusCode, 200);
      return ready.json().database === 'unreachable';
    });
    assert.match((await app.inject('/metrics')).body, /^berth_database_reachable 0$/m);
    assert.equal((await app.inject('/healthz')).statusCode, 200);

    // WHEN the database is back on the same address
    await throwawayCluster(t, { dataDir: cluster.dataDir, port: cluster.database.port });

    // THEN the same app serves again
    await eventually('requests succeed again', async () => {
      return (await app.inject(`/api/carts/${cart}`)).statusCode === 200;
    });
    await eventually('the check sees the database', async () => {
      return (await app.inject('/readyz')).json().database === 'reachable';
    });
    assert.match((await app.inject('/metrics')).body, /^berth_database_reachable 1$/m);
  });

  test('a migration that fails for good keeps the task alive and not ready (no crash loop)', async (t) => {
    // GIVEN a database whose carts table already has a column a migration adds
    const database = await freshPostgresDatabase(t);
    await withClient(database, (client) =>
      client.query('create table carts (id uuid primary key, line_count int)'),
    );
    // WHEN the app starts
    const app = await build(t, { database, waitForMigrations: false });
    await app.database.migrated;
    // THEN it stays up, out of the load balancer, and says why
    const ready = await app.inject('/readyz');
    assert.equal(ready.statusCode, 503);
    assert.equal(ready.json().status, 'starting');
    assert.equal(ready.json().reason, 'database migration failed; see the log');
    assert.equal((await app.inject('/healthz')).statusCode, 200);
  });

  test('draining: /readyz 503 draining, /healthz still 200', async (t) => {
    const app = await build(t);
    assert.equal((await app.inject('/readyz')).statusCode, 200);
    app.lifecycle.startDraining();
    const draining = await app.inject('/readyz');
    assert.equal(draining.statusCode, 503);
    assert.equal(draining.json().status, 'draining');
    assert.equal((await app.inject('/healthz')).statusCode, 200);
  });
});

describe('unknown carts', () => {
  test('still answer 404 when the database is fine', async (t) => {
    const app = await build(t);
    assert.equal((await app.inject(`/api/carts/${MISSING_CART}`)).statusCode, 404);
  });
});
