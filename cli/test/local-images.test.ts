/**
 * Which images `berth up` builds and pulls, for which services, and the names it runs them by. The config is
 * loaded as the CLI loads it (TWO_IMAGES: `api` and `jobs` share a build, `admin` builds another stage of
 * it, `docs` is prebuilt); every expected value is a literal.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { localImageName, planLocalImages, qualifiedReference } from '../src/local/local-images.js';
import { planLocalRun } from '../src/local/run-plan.js';
import { TWO_IMAGES } from './scenarios/configs.js';

const API_BUILD = { key: 'api', dockerfile: 'api/Dockerfile', context: 'api', args: {} };
const ADMIN_BUILD = {
  key: 'admin',
  dockerfile: 'api/Dockerfile',
  context: 'api',
  target: 'admin',
  args: { THEME: 'dark' },
};

describe('berth up: the images of an app with several', () => {
  it('builds each distinct build once, for all its services, and pulls the prebuilt one', () => {
    const plan = planLocalRun(TWO_IMAGES.services, { containers: false });
    const images = planLocalImages('depot', plan, TWO_IMAGES.images);
    assert.deepEqual(
      images.steps.map((step) => ({ ...step, build: 'build' in step ? { ...step.build } : undefined })),
      [
        {
          kind: 'build',
          image: 'localhost/depot:local',
          build: { ...API_BUILD, services: ['api', 'jobs'] },
          services: ['api', 'jobs'],
        },
        {
          kind: 'build',
          image: 'localhost/depot:admin-local',
          build: { ...ADMIN_BUILD, services: ['admin'] },
          services: ['admin'],
        },
        {
          kind: 'pull',
          image: 'public.ecr.aws/nginx/nginx:1.27',
          services: ['docs'],
          build: undefined,
        },
      ],
    );
    assert.deepEqual(Object.fromEntries(images.byService), {
      api: 'localhost/depot:local',
      admin: 'localhost/depot:admin-local',
      docs: 'public.ecr.aws/nginx/nginx:1.27',
      jobs: 'localhost/depot:local',
    });
  });

  it('builds nothing for a service that runs its dev command, unless --containers', () => {
    const services = TWO_IMAGES.services.map((s) =>
      s.name === 'admin' || s.name === 'docs' ? { ...s, dev: { command: ['./dev', s.name] } } : s,
    );
    const dev = planLocalImages('depot', planLocalRun(services, { containers: false }), TWO_IMAGES.images);
    assert.deepEqual(
      dev.steps.map((s) => [s.kind, s.image, s.services]),
      [['build', 'localhost/depot:local', ['api', 'jobs']]],
    );
    assert.deepEqual([...dev.byService.keys()], ['api', 'jobs']);
    const all = planLocalImages('depot', planLocalRun(services, { containers: true }), TWO_IMAGES.images);
    assert.deepEqual(
      all.steps.map((s) => s.image),
      ['localhost/depot:local', 'localhost/depot:admin-local', 'public.ecr.aws/nginx/nginx:1.27'],
    );
  });

  it('needs no image at all when every service runs its dev command', () => {
    const services = TWO_IMAGES.services.map((s) => ({ ...s, dev: { command: ['./dev'] } }));
    const images = planLocalImages('depot', planLocalRun(services, { containers: false }), TWO_IMAGES.images);
    assert.deepEqual([images.steps, images.byService.size], [[], 0]);
  });

  it('pulls a reference several services run once, and needs no build for an app of prebuilt images', () => {
    const prebuilt = (name: string, kind: 'web' | 'worker', image: string) => ({
      name,
      kind,
      image: { prebuilt: image },
      environment: {},
      secrets: {},
      database: false,
    });
    const services = [
      prebuilt('cache', 'worker', 'redis:7.4'),
      prebuilt('queue', 'worker', `ghcr.io/acme/queue@sha256:${'c'.repeat(64)}`),
      prebuilt('cache-replica', 'worker', 'redis:7.4'),
    ];
    const images = planLocalImages('feeds', planLocalRun(services, { containers: false }), []);
    assert.deepEqual(
      images.steps.map((s) => [s.kind, s.image, s.services]),
      [
        ['pull', 'docker.io/library/redis:7.4', ['cache', 'cache-replica']],
        ['pull', `ghcr.io/acme/queue@sha256:${'c'.repeat(64)}`, ['queue']],
      ],
    );
  });

  it('refuses a service whose build is not among the images given (a caller bug)', () => {
    const plan = planLocalRun(TWO_IMAGES.services, { containers: false });
    assert.throws(() => planLocalImages('depot', plan, [ADMIN_BUILD]), {
      message: "api runs build api, which is not among the app's images",
    });
  });
});

describe('local image names', () => {
  it("mirror the repository's tags: the primary plain, another with its key in front", () => {
    assert.equal(localImageName('depot', 'api', 'api'), 'localhost/depot:local');
    assert.equal(localImageName('depot', 'admin', 'api'), 'localhost/depot:admin-local');
  });

  it('qualify a reference without a registry as Docker (and so ECS) reads it: Docker Hub', () => {
    assert.equal(qualifiedReference('nginx'), 'docker.io/library/nginx');
    assert.equal(qualifiedReference('nginx:1.27'), 'docker.io/library/nginx:1.27');
    assert.equal(qualifiedReference('acme/api:2'), 'docker.io/acme/api:2');
    assert.equal(qualifiedReference('acme/tools/api'), 'docker.io/acme/tools/api');
    // A first component with a dot or a port, or `localhost`, is a registry.
    assert.equal(qualifiedReference('public.ecr.aws/nginx/nginx:1.27'), 'public.ecr.aws/nginx/nginx:1.27');
    assert.equal(qualifiedReference('registry:5000/api'), 'registry:5000/api');
    assert.equal(qualifiedReference('localhost/depot:local'), 'localhost/depot:local');
    assert.equal(
      qualifiedReference(`nginx@sha256:${'a'.repeat(64)}`),
      `docker.io/library/nginx@sha256:${'a'.repeat(64)}`,
    );
  });
});
