/**
 * `berth up` for an app that is not the cart, run for real with dev commands: the release command first
 * on the local PostgreSQL, two web services behind HAProxy by path and host, a worker without a port,
 * secrets from an env file, and the one-line errors (a failing release, a service exiting during start,
 * a port in use).
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type RunningApp, startApp } from '../src/local/app-up.js';
import { findExecutable } from '../src/local/executables.js';
import { freePort } from '../src/local/free-port.js';
import type { LocalService } from '../src/local/run-plan.js';

const APP_DIR = fileURLToPath(new URL('./fixtures/up-app/', import.meta.url));
const node = (script: string) => ({ command: [process.execPath, script], cwd: APP_DIR });

function webService(
  name: string,
  route: LocalService['route'],
  extra: Partial<LocalService> = {},
): LocalService {
  return {
    name,
    kind: 'web',
    image: { build: 'web' },
    port: 80,
    healthCheckPath: '/healthz',
    ...(route ? { route } : {}),
    environment: { SERVICE_NAME: name },
    secrets: {},
    database: true,
    dev: node('service.mjs'),
    ...extra,
  };
}

const WORKER: LocalService = {
  name: 'worker',
  kind: 'worker',
  image: { build: 'web' },
  environment: {},
  secrets: {},
  database: true,
  dev: node('worker.mjs'),
};

async function scratch(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-app-up-'));
  // As root the embedded PostgreSQL runs as `postgres`, which must be able to enter it (mkdtemp: 0700).
  await chmod(dir, 0o755);
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A GET with its own Host header (fetch does not let one be set). */
function get(url: string, host?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { headers: host ? { host } : {}, timeout: 5_000 }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          body: text.startsWith('{') ? JSON.parse(text) : { text },
        }),
      );
    });
    request.on('error', reject);
  });
}

const haproxy = findExecutable('haproxy');

describe('berth up with dev commands: release, routing, worker, secrets', {
  skip: haproxy ? false : 'haproxy is not installed: it routes between the two web services',
  timeout: 120_000,
}, () => {
  let app: RunningApp;
  let dir: string;
  let port: number;
  const lines: string[] = [];
  const output: string[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'berth-app-up-'));
    await chmod(dir, 0o755);
    await writeFile(path.join(dir, '.env'), 'API_TOKEN=from-the-env-file\n');
    port = await freePort();
    app = await startApp({
      app: 'shop',
      projectRoot: dir,
      builds: [{ key: 'web', dockerfile: 'Dockerfile', context: '.', args: {} }],
      services: [
        webService(
          'site',
          { path: '/*', priority: 100 },
          {
            release: { command: [process.execPath, 'release.mjs'] },
          },
        ),
        webService(
          'api',
          { path: '/api/*', priority: 10 },
          {
            secrets: { API_TOKEN: { ssm: '/shop/api-token' }, MISSING_ONE: { ssm: '/shop/missing' } },
          },
        ),
        webService('admin', { path: '/*', host: 'admin.shop.test', priority: 5 }, { database: false }),
        WORKER,
      ],
      listenHost: '127.0.0.1',
      listenPort: port,
      dataDir: path.join(dir, '.data'),
      envFile: path.join(dir, '.env'),
      shell: { ...process.env, PGHOST: 'db.elsewhere', API_TOKEN: 'from-the-shell' },
      log: (line) => lines.push(line),
      output: (line) => output.push(line),
    });
  });

  after(async () => {
    await app?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('ran the release command before the services, on the database they share', async () => {
    const site = await get(`http://127.0.0.1:${port}/`);
    assert.equal(site.body.name, 'site');
    assert.deepEqual(site.body.notes, ['released', 'worker ran']);
    assert.ok(output.includes('release site | release: migrations applied'), output.join('\n'));
    assert.equal(site.body.inheritedPgHost, 'no', "the shell's PGHOST must not reach a service");
  });

  it('routes by path and host in priority order; each web service gets its own PORT', async () => {
    const api = await get(`http://127.0.0.1:${port}/api/orders?page=2`);
    assert.deepEqual([api.body.name, api.body.path], ['api', '/api/orders?page=2']);
    const admin = await get(`http://127.0.0.1:${port}/api/orders`, 'admin.shop.test.localhost:8080');
    assert.equal(admin.body.name, 'admin', 'the host rule (priority 5) wins over the path rule (10)');
    assert.equal(admin.body.notes, null, 'a service with database: false gets no DATABASE_URL');
    const ports = new Set([
      api.body.port,
      admin.body.port,
      (await get(`http://127.0.0.1:${port}/`)).body.port,
    ]);
    assert.equal(ports.size, 3);
    assert.ok(!ports.has(String(port)), 'behind HAProxy no service listens on the public port');
    assert.deepEqual(
      app.endpoints.map((e) => [e.name, e.url]),
      [
        ['site', `http://127.0.0.1:${port}/`],
        ['api', `http://127.0.0.1:${port}/api/`],
        ['admin', `http://admin.shop.test.localhost:${port}/`],
      ],
    );
  });

  it('gives secrets from --env-file before the shell, and says once which are missing', async () => {
    const api = await get(`http://127.0.0.1:${port}/api/`);
    assert.equal(api.body.secret, 'from-the-env-file');
    // A dev command inherits the shell as it is: only a declared secret is looked up in the env file.
    assert.equal((await get(`http://127.0.0.1:${port}/`)).body.secret, 'from-the-shell');
    assert.deepEqual(
      lines.filter((l) => l.startsWith('secrets')),
      [
        `secrets are not fetched from AWS locally: each takes the variable of its name from ${path.join(dir, '.env')} or your environment; set: API_TOKEN; missing (starting without them): api.MISSING_ONE`,
      ],
    );
  });

  it('stops every process and closes the address', async () => {
    await app.stop();
    await assert.rejects(fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2_000) }));
    assert.ok(
      output.some((l) => l.startsWith('worker | worker: started')),
      output.join('\n'),
    );
  });
});

describe('berth up start-up errors', { timeout: 120_000 }, () => {
  const base = (dir: string, port: number, services: LocalService[]) => ({
    app: 'shop',
    projectRoot: dir,
    builds: [{ key: 'web', dockerfile: 'Dockerfile', context: '.', args: {} }],
    services,
    listenHost: '127.0.0.1',
    listenPort: port,
    dataDir: path.join(dir, '.data'),
    log: () => {},
    output: () => {},
  });

  it('a failing release command stops the start with its last lines, and no service runs', async (t) => {
    const dir = await scratch(t);
    const port = await freePort();
    const site = webService('site', undefined, {
      environment: { SERVICE_NAME: 'site', RELEASE_FAILS: 'true' },
      release: { command: [process.execPath, 'release.mjs'] },
    });
    await assert.rejects(startApp(base(dir, port, [site])), {
      message:
        'release site exited (code 1) so no service was started (the release command must exit 0); its last lines:\n  migration 0042 failed: column "total" does not exist',
    });
    await assert.rejects(fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2_000) }));
  });

  it('a worker that exits during start fails it with its last lines, and the web service is stopped', async (t) => {
    const dir = await scratch(t);
    const port = await freePort();
    const worker = { ...WORKER, environment: { WORKER_CRASHES: 'true' } };
    await assert.rejects(
      startApp(base(dir, port, [webService('site', undefined, { database: false }), worker])),
      {
        message:
          'worker exited (code 3) during start; its last lines:\n  worker: cannot reach the queue at amqp://nowhere',
      },
    );
    await assert.rejects(fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2_000) }));
  });

  it('an abort during the start (Ctrl-C) stops what runs and says so', async (t) => {
    const dir = await scratch(t);
    const port = await freePort();
    // Never listens: berth up would wait for its health path until the timeout.
    const silent = webService('site', undefined, {
      database: false,
      dev: { command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'] },
    });
    const controller = new AbortController();
    const starting = startApp({ ...base(dir, port, [silent]), signal: controller.signal });
    setTimeout(() => controller.abort(), 500);
    const started = Date.now();
    await assert.rejects(starting, { message: 'berth up was stopped before every service was up' });
    assert.ok(Date.now() - started < 10_000, 'the abort must not wait for the health-check timeout');
  });

  it('a taken port is one line before anything starts', async (t) => {
    const dir = await scratch(t);
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    t.after(() => blocker.close());
    const port = (blocker.address() as { port: number }).port;
    await assert.rejects(startApp(base(dir, port, [webService('site', undefined)])), {
      message: `port ${port} on 127.0.0.1 is in use: stop what listens there, or choose another with --port (or PORT)`,
    });
  });
});
