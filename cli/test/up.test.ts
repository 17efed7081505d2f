import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parsePort, parseReplicas } from '../src/commands/up.js';
import { freePort } from '../src/local/free-port.js';
import { SERVICE_ENTRY, ServiceProcess, serviceCommand, waitForHealthy } from '../src/service-process.js';

const STUB = fileURLToPath(new URL('./fixtures/ready-server.mjs', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/berth.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function readyzStatus(port: number): Promise<number> {
  return fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) }).then(
    (r) => r.status,
    () => 0,
  );
}

describe('ServiceProcess and waitForHealthy', () => {
  it('run a command with exactly the environment given and wait until its health path answers', async () => {
    const port = await freePort();
    const child = new ServiceProcess({
      name: 'stub',
      command: [process.execPath, STUB],
      cwd: ROOT,
      env: { PORT: String(port), DATA_DIR: '/data/from-the-test' },
      log: () => {},
    });
    try {
      await waitForHealthy(`http://127.0.0.1:${port}/readyz`, child, 15_000);
      const body = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { dataDir: string };
      assert.equal(body.dataDir, '/data/from-the-test');
    } finally {
      assert.deepEqual(await child.stop(5), { code: 0, signal: null });
    }
  });

  it('fail fast with the last lines, prefixed in the log, when the process exits before it is healthy', async () => {
    const logged: string[] = [];
    const child = new ServiceProcess({
      name: 'broken',
      command: [
        process.execPath,
        '-e',
        'console.log("starting"); console.error("EADDRINUSE :8080"); process.exit(4)',
      ],
      cwd: ROOT,
      env: {},
      log: (line) => logged.push(line),
    });
    await assert.rejects(waitForHealthy('http://127.0.0.1:1/healthz', child, 15_000), {
      message:
        'broken exited (code 4) before http://127.0.0.1:1/healthz answered; its last lines:\n  starting\n  EADDRINUSE :8080',
    });
    assert.deepEqual(logged, ['broken | starting', 'broken | EADDRINUSE :8080']);
  });

  it('report a command that does not exist as an exit with its error', async () => {
    const child = new ServiceProcess({
      name: 'missing',
      command: ['/nonexistent/berth-dev-server'],
      cwd: ROOT,
      env: {},
      log: () => {},
    });
    assert.deepEqual(await child.exited, { code: 127, signal: null });
    assert.match(child.lastLines().join('\n'), /ENOENT/);
  });

  it('run the compiled cart for parity replicas, and say how to build it when it is missing', async (t) => {
    assert.deepEqual(serviceCommand(ROOT), [process.execPath, 'service/dist/server.js']);
    const empty = await mkdtemp(path.join(tmpdir(), 'berth-unbuilt-'));
    t.after(() => rm(empty, { recursive: true, force: true }));
    assert.throws(() => serviceCommand(empty), {
      message: 'the service is not built (service/dist/server.js is missing): run `npm run build`',
    });
  });
});

/** The real `berth up` (compiled bin, compiled service, embedded database), configured only by env vars. */
describe('berth up, the real thing', {
  skip: existsSync(path.join(ROOT, SERVICE_ENTRY)) ? false : 'the service is not built: run npm run build',
  timeout: 120_000,
}, () => {
  let berth: ChildProcess;
  let port: number;
  let dataDir: string;
  let output = '';
  let exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  before(async () => {
    const parent = await mkdtemp(path.join(tmpdir(), 'berth-up-real-'));
    // As root the embedded PostgreSQL runs as `postgres`, which must be able to enter the parent (mkdtemp: 0700).
    await chmod(parent, 0o755);
    dataDir = path.join(parent, 'data');
    port = await freePort();
    berth = spawn(process.execPath, [BIN, 'up'], {
      cwd: ROOT,
      // PORT and DATA_DIR as the README documents them; no flags.
      env: {
        ...process.env,
        PORT: String(port),
        DATA_DIR: dataDir,
        SHUTDOWN_DRAIN_SECONDS: '0',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, as a terminal gives a foreground command: Ctrl-C signals the whole group.
      detached: true,
    });
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
    };
    berth.stdout?.on('data', collect);
    berth.stderr?.on('data', collect);
    exit = new Promise((resolve) => berth.once('exit', (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + 90_000;
    // berth up prints its line after it saw /readyz 200 itself.
    while (!output.includes('berth is up') || (await readyzStatus(port)) !== 200) {
      if (berth.exitCode !== null) throw new Error(`berth up exited ${berth.exitCode}: ${output}`);
      if (Date.now() > deadline) throw new Error(`berth up was not ready on PORT ${port}: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  after(async () => {
    try {
      if (berth?.exitCode === null) process.kill(-berth.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    await rm(path.dirname(dataDir), { recursive: true, force: true });
  });

  it('listens on PORT and keeps the embedded database in DATA_DIR when no flag is given', async () => {
    assert.match(
      output,
      new RegExp(`berth is up at http://127\\.0\\.0\\.1:${port}/ \\(data in ${dataDir}\\)`),
    );
    // The cluster and its password where the cart keeps its own, so an older ./.data is reused as it is.
    assert.deepEqual((await readdir(dataDir)).sort(), ['postgres', 'postgres-password']);
  });

  it('serves the storefront API from the database berth up started (DATABASE_URL)', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/api/products`);
    // 503 database_unavailable would mean the service is not on the database berth up gave it.
    assert.equal(response.status, 200, await response.text());
  });

  it('on Ctrl-C (SIGINT to the whole group), stops each service once (exit 0) and exits 0 itself', async () => {
    process.kill(-berth.pid!, 'SIGINT');
    const { code, signal } = await exit;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, output);
    // 1 would be the cart taking a second signal (the terminal's, then berth up's) as "exit now".
    assert.match(output, /\n\w+ stopped \(code 0\)\n/);
    assert.equal(await readyzStatus(port), 0, 'the service still answers after berth up exited');
  });
});

describe('berth up flag parsing', () => {
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
