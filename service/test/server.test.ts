import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { type RunningServer, readyUrl, spawnServer } from './helpers/spawn-server.js';

const START_TIMEOUT_MS = 120_000;
const DRAIN_SECONDS = 5;
const IN_FLIGHT = 30;

// Both tests use one DATA_DIR in turn: the second start skips initdb and shows carts survive a restart.
const dataDir = await mkdtemp(join(tmpdir(), 'berth-server-'));
// As root the embedded cluster runs as the `postgres` user, which must be able to enter the directory.
await chmod(dataDir, 0o755);
after(() => rm(dataDir, { recursive: true, force: true }));

const running: RunningServer[] = [];
after(() => {
  for (const server of running) if (server.child.exitCode === null) server.child.kill('SIGKILL');
});

function start(drainSeconds: number): RunningServer {
  const server = spawnServer({
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    SHUTDOWN_DRAIN_SECONDS: String(drainSeconds),
    LOG_LEVEL: 'info',
  });
  running.push(server);
  return server;
}

async function json(response: Response): Promise<{ status: number; body: Record<string, unknown> }> {
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

let cartFromFirstRun = '';
let addsServedInFirstRun = 0;

describe('the real server (src/server.ts)', () => {
  test('SIGTERM: readiness 503 at once, requests served through the drain, then exit 0', async () => {
    const server = start(DRAIN_SECONDS);
    const base = await readyUrl(server, START_TIMEOUT_MS);
    const { body: cart } = await json(await fetch(`${base}/api/carts`, { method: 'POST' }));
    cartFromFirstRun = String(cart.id);

    // GIVEN many requests in flight
    const inFlight = Array.from({ length: IN_FLIGHT }, () =>
      fetch(`${base}/api/carts/${cartFromFirstRun}/items`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sku: 'BERTH-MUG', quantity: 1 }),
      }),
    );
    // WHEN the task is told to stop
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');

    // THEN readiness turns 503 while liveness and the API keep answering
    let ready = await fetch(`${base}/readyz`);
    while (ready.status === 200 && Date.now() - signalledAt < DRAIN_SECONDS * 1000) {
      ready = await fetch(`${base}/readyz`);
    }
    assert.equal(ready.status, 503);
    assert.equal((await ready.json()).status, 'draining');
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal(
      (await fetch(`${base}/api/carts`, { method: 'POST' })).status,
      201,
      'new work is served while draining',
    );

    const statuses = await Promise.all(inFlight.map(async (request) => (await request).status));
    addsServedInFirstRun = statuses.filter((status) => status === 200).length;
    assert.deepEqual(new Set(statuses), new Set([200]));

    // AND it exits cleanly after the drain window, well inside ECS's 30 s stop timeout
    const { code } = await server.exited;
    const stoppedAfterMs = Date.now() - signalledAt;
    assert.equal(code, 0, server.output());
    assert.ok(
      stoppedAfterMs >= DRAIN_SECONDS * 1000,
      `stopped after ${stoppedAfterMs} ms, before the drain ended`,
    );
    assert.ok(stoppedAfterMs < 20_000, `took ${stoppedAfterMs} ms to stop`);
    // Every line is out, in order, before the exit (pino writes asynchronously; the last line used to race it).
    const messages = server
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
    assert.equal(messages.at(-1), 'shut down cleanly');
    assert.ok(messages.includes('draining before shutdown'));
  });

  test('a restart finds every add from before the SIGTERM; a second signal exits at once', async () => {
    const server = start(60);
    const base = await readyUrl(server, START_TIMEOUT_MS);
    const { status, body } = await json(await fetch(`${base}/api/carts/${cartFromFirstRun}`));
    assert.equal(status, 200);
    assert.equal((body.lines as { quantity: number }[])[0]?.quantity, addsServedInFirstRun);

    server.child.kill('SIGTERM');
    // Once readiness reports draining, the first signal has been handled.
    while ((await fetch(`${base}/readyz`)).status === 200) await new Promise((r) => setTimeout(r, 20));
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    const { code } = await server.exited;
    assert.equal(code, 1);
    assert.ok(Date.now() - signalledAt < 5_000, 'did not wait for the 60 s drain');
  });
});

describe('the embedded PostgreSQL after a crash', () => {
  test('a run killed with SIGKILL leaves its postmaster running; the next start reuses it', async () => {
    // GIVEN a server that dies without shutting anything down
    const crashed = start(0);
    const base = await readyUrl(crashed, START_TIMEOUT_MS);
    const { body: cart } = await json(await fetch(`${base}/api/carts`, { method: 'POST' }));
    crashed.child.kill('SIGKILL');
    await crashed.exited;
    const pid = Number((await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    after(() => {
      // The reused postmaster is not the next server's to stop: end it here.
      try {
        process.kill(pid, 'SIGINT');
      } catch {}
    });
    assert.doesNotThrow(() => process.kill(pid, 0), 'the postmaster outlived its parent');

    // WHEN the service starts again on the same DATA_DIR
    const next = start(0);
    const nextBase = await readyUrl(next, START_TIMEOUT_MS);

    // THEN it reuses that cluster (no "lock file already exists" failure) and the data is there
    assert.match(next.output(), /reusing the embedded PostgreSQL already running/);
    assert.equal((await fetch(`${nextBase}/api/carts/${cart.id}`)).status, 200);
    next.child.kill('SIGTERM');
    assert.equal((await next.exited).code, 0, next.output());
  });
});

describe('Ctrl-C in a terminal', () => {
  test('SIGINT to the whole process group (the embedded postmaster too) still ends in a clean exit 0', async () => {
    const server = spawnServer(
      { HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, SHUTDOWN_DRAIN_SECONDS: '1', LOG_LEVEL: 'info' },
      { processGroup: true },
    );
    running.push(server);
    await readyUrl(server, START_TIMEOUT_MS);
    const signalledAt = Date.now();
    process.kill(-server.child.pid!, 'SIGINT');
    const { code } = await server.exited;
    assert.equal(code, 0, server.output());
    assert.ok(Date.now() - signalledAt < 8_000, `took ${Date.now() - signalledAt} ms to stop`);
    assert.match(server.output(), /"msg":"shut down cleanly"/);
  });
});
