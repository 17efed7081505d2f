/**
 * The app's PostgreSQL under `berth up`: kept in the data directory between runs, in the cart's own layout,
 * reused when a killed run left it running, and stopped cleanly when Ctrl-C already stopped it.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import { startProjectDatabase } from '../src/local/project-database.js';
import type { DatabaseEndpoint } from '../src/local/service-env.js';

async function query(db: DatabaseEndpoint, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ ...db, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('project database', { timeout: 120_000 }, () => {
  it('keeps its data between runs, reuses a running cluster, and stops after Ctrl-C stopped it', async (t) => {
    const parent = await mkdtemp(path.join(tmpdir(), 'berth-projdb-'));
    await chmod(parent, 0o755);
    let third: Awaited<ReturnType<typeof startProjectDatabase>> | undefined;
    // One hook, in this order: after hooks run in the order they were added, and removing the directory under
    // a running cluster fails (ENOTEMPTY: PostgreSQL writes to pg_wal meanwhile).
    t.after(async () => {
      await third?.stop();
      await rm(parent, { recursive: true, force: true });
    });
    const dataDir = path.join(parent, 'data');

    // GIVEN a first run that writes a row
    const first = await startProjectDatabase(dataDir, () => {});
    assert.deepEqual(
      { ...first.endpoint, password: '' },
      { host: '127.0.0.1', port: first.endpoint.port, user: 'berth', password: '', database: 'postgres' },
    );
    assert.equal(first.endpoint.password, await readFile(path.join(dataDir, 'postgres-password'), 'utf8'));
    assert.deepEqual((await readdir(dataDir)).sort(), ['postgres', 'postgres-password']);
    await query(first.endpoint, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('first run')");

    // WHEN a second start finds it still running (a run killed with SIGKILL leaves it so)
    const lines: string[] = [];
    const second = await startProjectDatabase(dataDir, (line) => lines.push(line));
    assert.equal(second.endpoint.port, first.endpoint.port);
    assert.match(lines[0]!, /^postgres: reusing the cluster already running in /);
    await second.stop(); // not its own: a no-op

    // AND Ctrl-C stops the postmaster before berth up does (it shares the terminal's process group)
    const pid = Number(
      (await readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0],
    );
    process.kill(pid, 'SIGINT');
    while (
      await readFile(path.join(dataDir, 'postgres', 'postmaster.pid')).then(
        () => true,
        () => false,
      )
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // THEN stopping it does not wait for an exit that already happened
    await first.stop();

    // AND the next run has the data
    third = await startProjectDatabase(dataDir, () => {});
    assert.deepEqual((await query(third.endpoint, 'SELECT v FROM kept')).rows, [{ v: 'first run' }]);
  });
});
