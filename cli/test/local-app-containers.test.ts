/**
 * `berth up` from a user's Dockerfile with podman, for real: the app's one image built with a build
 * argument, the release command in a container first, two web services (ports 80 and 8000 inside their
 * own network namespaces, as uid 1000) behind HAProxy, a worker with its own `command`, the local
 * PostgreSQL reached from the containers, and nothing left running after stop.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type RunningApp, startApp } from '../src/local/app-up.js';
import { findExecutable } from '../src/local/executables.js';
import { freePort } from '../src/local/free-port.js';
import type { LocalService } from '../src/local/run-plan.js';

const exec = promisify(execFile);
const IMAGE_DIR = fileURLToPath(new URL('./fixtures/up-image/', import.meta.url));
const podman = findExecutable('podman');
const missing = [
  podman ? '' : 'podman is not installed: the container path needs it.',
  findExecutable('haproxy') ? '' : 'haproxy is not installed: it routes between the two web services.',
].filter(Boolean);

async function containers(): Promise<string[]> {
  const { stdout } = await exec(podman!, ['ps', '--filter', 'name=berth-imgtest-', '--format', '{{.Names}}']);
  return stdout.split('\n').filter(Boolean).sort();
}

const common = { secrets: {}, database: true, image: { build: 'site' } } as const;

describe('berth up from the Dockerfile with podman', {
  skip: missing.length > 0 ? missing.join(' ') : false,
  timeout: 600_000,
}, () => {
  let app: RunningApp;
  let dir: string;
  let port: number;
  const lines: string[] = [];
  const output: string[] = [];

  before(async () => {
    // No registry here: the service workspace's test support assembles a Node base image from the host.
    const { ensureLocalNodeImage } = await import('../../service/test/support/container-base.js');
    const baseImage = await ensureLocalNodeImage();
    dir = await mkdtemp(path.join(tmpdir(), 'berth-app-image-'));
    await chmod(dir, 0o755);
    await cp(IMAGE_DIR, dir, { recursive: true });
    port = await freePort();
    const services: LocalService[] = [
      {
        name: 'site',
        kind: 'web',
        port: 80,
        healthCheckPath: '/healthz',
        route: { path: '/*', priority: 100 },
        environment: { SERVICE_NAME: 'site' },
        release: { command: ['node', 'release.mjs'] },
        ...common,
      },
      {
        name: 'api',
        kind: 'web',
        port: 8000,
        healthCheckPath: '/healthz',
        route: { path: '/api/*', priority: 10 },
        environment: { SERVICE_NAME: 'api' },
        ...common,
        database: false,
      },
      { name: 'worker', kind: 'worker', command: ['node', 'worker.mjs'], environment: {}, ...common },
    ];
    app = await startApp({
      app: 'imgtest',
      projectRoot: dir,
      builds: [{ key: 'site', dockerfile: 'Dockerfile', context: '.', args: {} }],
      buildArgs: [`BASE=${baseImage}`],
      services,
      listenHost: '127.0.0.1',
      listenPort: port,
      dataDir: path.join(dir, '.data'),
      log: (line) => lines.push(line),
      output: (line) => output.push(line),
    });
  });

  after(async () => {
    await app?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('ran the release command in a container that reached the database, before the services', () => {
    const release = output.findIndex((l) =>
      l.startsWith('release site | release: database reachable at 10.0.2.2:'),
    );
    assert.ok(release >= 0, output.join('\n'));
    const firstService = output.findIndex((l) => /^(site|api|worker) \| /.test(l));
    assert.ok(release < firstService, output.join('\n'));
  });

  it('routes to each container on its own port, as uid 1000, the database reachable from it', async () => {
    const site = (await (await fetch(`http://127.0.0.1:${port}/cart`)).json()) as Record<string, unknown>;
    assert.deepEqual(site, { name: 'site', port: '80', path: '/cart', uid: 1000, database: 'reachable' });
    const api = (await (await fetch(`http://127.0.0.1:${port}/api/items`)).json()) as Record<string, unknown>;
    assert.deepEqual(api, { name: 'api', port: '8000', path: '/api/items', uid: 1000, database: null });
    assert.deepEqual(await containers(), ['berth-imgtest-api', 'berth-imgtest-site', 'berth-imgtest-worker']);
    assert.ok(output.includes('worker | worker: started as uid 1000'), output.join('\n'));
  });

  it('stops every container (each exits on SIGTERM) and leaves none behind', async () => {
    await app.stop();
    // Exit 0 is each PID 1 handling SIGTERM; 137 would be podman's SIGKILL after the stop timeout.
    assert.deepEqual(lines.filter((l) => l.includes(' stopped (')).sort(), [
      'api stopped (code 0)',
      'site stopped (code 0)',
      'worker stopped (code 0)',
    ]);
    assert.deepEqual(await containers(), []);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2_000) }));
  });
});
