import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pg from 'pg';
import { isDatabaseUnavailable } from '../src/db/unavailable.js';
import { build } from './helpers/build.js';
import { freshPostgresDatabase, skipWithoutPostgres } from './helpers/postgres.js';

const withCode = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  test('network failures, connection-class SQLSTATEs and dropped sockets are outages', () => {
    for (const error of [
      withCode('ECONNREFUSED'),
      withCode('57P01', 'terminating connection due to administrator command'),
      withCode('08006'),
      withCode('53300', 'too many connections'),
      new Error('Connection terminated unexpectedly'),
    ]) {
      assert.equal(isDatabaseUnavailable(error), true, error.message);
    }
  });

  test('constraint violations, bugs and non-errors are not', () => {
    for (const error of [
      withCode('23505', 'duplicate key'),
      new TypeError('x is undefined'),
      'ECONNREFUSED',
    ]) {
      assert.equal(isDatabaseUnavailable(error), false, String(error));
    }
  });
});

describe('a request while PostgreSQL refuses connections', { skip: skipWithoutPostgres }, () => {
  test('answers 503 database_unavailable with Retry-After, and readiness fails', async (t) => {
    // GIVEN a running app whose database then stops accepting connections
    const database = await freshPostgresDatabase(t);
    const app = await build(t, { database });
    const admin = new pg.Client({ connectionString: database.connectionString });
    await admin.connect();
    const name = new URL(database.connectionString!).pathname.slice(1);
    await admin.query(`alter database ${name} connection limit 0`);
    await admin.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [name],
    );
    await admin.end();

    // WHEN a client asks for a cart
    const response = await app.inject({
      method: 'GET',
      url: '/api/carts/00000000-0000-4000-8000-000000000000',
    });

    // THEN it is told to retry, not that the server is broken
    assert.equal(response.statusCode, 503);
    assert.equal(response.json().error, 'database_unavailable');
    assert.equal(response.headers['retry-after'], '5');
    assert.equal((await app.inject('/readyz')).statusCode, 503);
  });
});
