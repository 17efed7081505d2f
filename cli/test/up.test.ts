import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parsePort, parseReplicas } from '../src/commands/up.js';
import { startReplica, waitForReady } from '../src/service-process.js';

const STUB = fileURLToPath(new URL('./fixtures/ready-server.mjs', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('berth up', () => {
  it('starts a replica with PORT and DATA_DIR, waits for /readyz, and stops it cleanly on SIGTERM', async (t) => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'berth-up-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const port = await freePort();

    const child = startReplica({ port, dataDir, entry: STUB, stdio: 'ignore' });
    t.after(() => child.kill('SIGKILL'));
    await waitForReady(`http://127.0.0.1:${port}/`, child, 15_000);

    const body = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { dataDir: string };
    assert.equal(body.dataDir, dataDir);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });

  it('fails fast when the process exits before it is ready', async () => {
    const child = startReplica({
      port: 1,
      dataDir: '/tmp',
      entry: '/nonexistent/server.ts',
      stdio: 'ignore',
    });
    await assert.rejects(
      waitForReady('http://127.0.0.1:1/', child, 15_000),
      /exited \(code 1\) before it was ready/,
    );
  });

  it('rejects a port that is not one', () => {
    assert.throws(() => parsePort('80a'), {
      message: '--port "80a" is not a port: use a number from 1 to 65535',
    });
    assert.equal(parsePort('8080'), 8080);
  });

  it('accepts 1..16 replicas and names the flag and the fix otherwise', () => {
    assert.equal(parseReplicas('3'), 3);
    for (const bad of ['0', '17', '2.5', 'three']) {
      assert.throws(() => parseReplicas(bad), new RegExp(`--replicas "${bad}" .* whole number from 1 to 16`));
    }
  });
});
