/** Which services `berth up` runs how, and what that needs (image, router, database). */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { checkLocalRun, endpointUrl } from '../src/local/app-up.js';
import { type LocalBuild, planLocalImages } from '../src/local/local-images.js';
import { type LocalService, planLocalRun } from '../src/local/run-plan.js';

const web: LocalService = {
  name: 'web',
  kind: 'web',
  image: { build: 'web' },
  port: 80,
  healthCheckPath: '/readyz',
  route: { path: '/*', priority: 100 },
  environment: {},
  secrets: {},
  database: true,
  release: { command: ['node', 'dist/migrate-command.js'] },
  dev: { command: ['node', 'dist/server.js'], cwd: 'service' },
};
const worker: LocalService = {
  name: 'worker',
  kind: 'worker',
  image: { build: 'web' },
  command: ['node', 'dist/worker.js'],
  environment: {},
  secrets: {},
  database: false,
};
const admin: LocalService = {
  name: 'admin',
  kind: 'web',
  image: { build: 'web' },
  port: 3000,
  route: { path: '/admin/*', priority: 10 },
  environment: {},
  secrets: {},
  database: false,
};

describe('planLocalRun', () => {
  it('runs dev commands where configured and the image elsewhere; one web service needs no router', () => {
    const plan = planLocalRun([web, worker], { containers: false });
    assert.deepEqual(
      plan.services.map((p) => [p.service.name, p.runner]),
      [
        ['web', 'dev'],
        ['worker', 'container'],
      ],
    );
    assert.equal(plan.release?.service.name, 'web');
    assert.deepEqual([plan.needsImage, plan.needsRouter, plan.needsDatabase], [true, false, true]);
  });

  it('runs everything from the image with --containers, and routes two web services', () => {
    const plan = planLocalRun([web, admin], { containers: true });
    assert.deepEqual(
      plan.services.map((p) => p.runner),
      ['container', 'container'],
    );
    assert.deepEqual([plan.needsImage, plan.needsRouter], [true, true]);
  });

  it('needs neither podman nor a database when every service has a dev command and none reads it', () => {
    const plan = planLocalRun([{ ...web, database: false, release: undefined } as LocalService], {
      containers: false,
    });
    assert.deepEqual([plan.needsImage, plan.needsRouter, plan.needsDatabase], [false, false, false]);
    assert.equal(plan.release, undefined);
  });
});

const BUILD: LocalBuild = { key: 'web', dockerfile: 'Dockerfile', context: '.', args: {} };
const imagesOf = (plan: ReturnType<typeof planLocalRun>, build: LocalBuild = BUILD) =>
  planLocalImages('shop', plan, [build]);

describe('checkLocalRun', () => {
  it('names the services that need podman and the way out when it is missing', async (t) => {
    const empty = await mkdtemp(path.join(tmpdir(), 'berth-nopath-'));
    t.after(() => rm(empty, { recursive: true, force: true }));
    const plan = planLocalRun([web, worker, admin], { containers: false });
    assert.throws(() => checkLocalRun(plan, imagesOf(plan), empty, [empty]), {
      message:
        'podman is not installed: worker, admin run in containers with it; install podman (Debian: apt-get install -y podman runc), or give each a `dev` command in berth.config.ts',
    });
  });

  it('names the missing Dockerfile', async (t) => {
    const bin = await mkdtemp(path.join(tmpdir(), 'berth-bin-'));
    t.after(() => rm(bin, { recursive: true, force: true }));
    await writeFile(path.join(bin, 'podman'), '#!/bin/sh\n', { mode: 0o755 });
    const plan = planLocalRun([worker], { containers: false });
    const images = imagesOf(plan, { ...BUILD, dockerfile: 'docker/Dockerfile' });
    assert.throws(() => checkLocalRun(plan, images, bin, [bin]), {
      message: `${bin}/docker/Dockerfile is missing: worker runs from the image it builds; add the Dockerfile, point services.web.build.dockerfile in berth.config.ts at it, or give it a \`dev\` command`,
    });
  });

  it('asks for haproxy only when two web services share the address', async (t) => {
    const empty = await mkdtemp(path.join(tmpdir(), 'berth-nopath-'));
    t.after(() => rm(empty, { recursive: true, force: true }));
    const devAdmin = { ...admin, dev: { command: ['npm', 'run', 'dev'] } };
    const alone = planLocalRun([web], { containers: false });
    assert.deepEqual(checkLocalRun(alone, imagesOf(alone), empty, [empty]), {});
    const two = planLocalRun([web, devAdmin], { containers: false });
    assert.throws(() => checkLocalRun(two, imagesOf(two), empty, [empty]), {
      message:
        "haproxy is not installed: it routes berth up's address to the 2 web services by path and host; install it (Debian: apt-get install -y haproxy)",
    });
  });
});

describe('endpointUrl', () => {
  it("gives a path route's prefix and a host route's .localhost name", () => {
    const base = 'http://127.0.0.1:8080/';
    assert.equal(endpointUrl(base, web), 'http://127.0.0.1:8080/');
    assert.equal(endpointUrl(base, admin), 'http://127.0.0.1:8080/admin/');
    assert.equal(
      endpointUrl(base, { ...admin, route: { path: '/*', host: 'admin.shop.test', priority: 1 } }),
      'http://admin.shop.test.localhost:8080/',
    );
  });
});
