/**
 * `berth up` with services of several images, with the real podman: a web service and a worker from two
 * builds of one context (two Dockerfiles), and a worker from a prebuilt reference that no registry serves
 * here, so its pull fails and the copy podman has runs, as ECS's default pull behaviour does. Each
 * container must run its own image: the worker's image's CMD is the worker, the site's the server.
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
// No registry answers on localhost here: `podman pull` of this name fails, and the tagged copy is used.
const PREBUILT = 'localhost/berth-upimgs-prebuilt:1';

async function containers(): Promise<string[]> {
  const { stdout } = await exec(podman!, [
    'ps',
    '--filter',
    'name=berth-upimgs-',
    '--format',
    '{{.Names}} {{.Image}}',
  ]);
  return stdout.split('\n').filter(Boolean).sort();
}

const common = { environment: {}, secrets: {}, database: false } as const;

describe('berth up with several images, with podman', {
  skip: podman ? false : 'podman is not installed: this suite builds, pulls and runs real images with it',
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
    await exec(podman!, ['tag', baseImage, PREBUILT]);
    dir = await mkdtemp(path.join(tmpdir(), 'berth-app-images-'));
    await chmod(dir, 0o755);
    await cp(IMAGE_DIR, dir, { recursive: true });
    port = await freePort();
    const services: LocalService[] = [
      {
        name: 'site',
        kind: 'web',
        image: { build: 'site' },
        port: 80,
        healthCheckPath: '/healthz',
        ...common,
        environment: { SERVICE_NAME: 'site' },
      },
      { name: 'jobs', kind: 'worker', image: { build: 'jobs' }, ...common },
      {
        name: 'cache',
        kind: 'worker',
        image: { prebuilt: PREBUILT },
        command: [
          'node',
          '-e',
          'console.log("cache: up"); process.on("SIGTERM", () => process.exit(0)); setInterval(() => {}, 1000)',
        ],
        ...common,
      },
    ];
    app = await startApp({
      app: 'upimgs',
      projectRoot: dir,
      builds: [
        { key: 'site', dockerfile: 'Dockerfile', context: '.', args: {} },
        { key: 'jobs', dockerfile: 'worker.Dockerfile', context: '.', args: {} },
      ],
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
    if (podman) {
      await exec(podman, ['rmi', PREBUILT, 'localhost/upimgs:local', 'localhost/upimgs:jobs-local']).catch(
        () => {},
      );
    }
  });

  it('runs each container from its own image: two builds and the prebuilt copy', async () => {
    assert.deepEqual(await containers(), [
      `berth-upimgs-cache ${PREBUILT}`,
      'berth-upimgs-jobs localhost/upimgs:jobs-local',
      'berth-upimgs-site localhost/upimgs:local',
    ]);
    const site = (await (await fetch(`http://127.0.0.1:${port}/cart`)).json()) as Record<string, unknown>;
    assert.deepEqual(site, { name: 'site', port: '80', path: '/cart', uid: 1000, database: null });
    assert.ok(output.includes('jobs | worker: started as uid 1000'), output.join('\n'));
    assert.ok(output.includes('cache | cache: up'), output.join('\n'));
  });

  it('said the pull failed and the local copy runs', () => {
    const fallback = lines.filter((l) => l.startsWith(`podman: could not pull ${PREBUILT} (`));
    assert.equal(fallback.length, 1, lines.join('\n'));
    assert.match(fallback[0]!, /\); running the copy podman has, as ECS does$/);
  });

  it('stops every container and leaves none behind', async () => {
    await app.stop();
    assert.deepEqual(lines.filter((l) => l.includes(' stopped (')).sort(), [
      'cache stopped (code 0)',
      'jobs stopped (code 0)',
      'site stopped (code 0)',
    ]);
    assert.deepEqual(await containers(), []);
  });
});
