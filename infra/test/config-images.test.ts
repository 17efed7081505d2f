/**
 * Each service's image (#13 item 2): its own `build` (Dockerfile, context, target, args) or a prebuilt
 * `image`; services with the same build share one image. Expectations are literals.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ecrImage } from '../config/images.js';
import { resolveConfig } from '../config/resolve.js';
import type { BerthConfig } from '../config/schema.js';
import { CART } from './fixtures/cart-config.js';
import { rejectsConfig, withPaths } from './support/config-edit.js';

const DIGEST = `sha256:${'4e'.repeat(32)}`;

/**
 * A shop whose first service is a prebuilt site; `api` and `jobs` share one build (written two ways), `admin`
 * builds another stage of the same Dockerfile with arguments.
 */
const SHOP = {
  app: 'shop',
  github: { repository: 'acme/shop' },
  services: {
    site: { type: 'web', port: 8080, image: 'nginx:1.27', route: { path: '/*' }, database: false },
    api: {
      type: 'web',
      port: 8000,
      route: { path: '/api/*' },
      build: { dockerfile: 'services/api/Dockerfile', context: 'services/api' },
    },
    admin: {
      type: 'web',
      port: 8100,
      route: { path: '/admin/*' },
      build: {
        dockerfile: 'services/api/Dockerfile',
        context: 'services/api',
        target: 'admin',
        args: { THEME: 'dark', BASE: 'python:3.13-slim' },
      },
    },
    jobs: {
      type: 'worker',
      command: ['python', 'jobs.py'],
      build: { dockerfile: './services/api/Dockerfile', context: './services/api/' },
    },
  },
  environments: {
    test: { account: '111111111111', regions: ['eu-west-1'], cluster: { maxInstances: 12 } },
    prod: {
      account: '222222222222',
      regions: ['eu-west-2'],
      alarms: { email: 'oncall@acme.example' },
      cluster: { instanceType: 'm6i.2xlarge', maxInstances: 20 },
    },
  },
} as const satisfies BerthConfig;

/** A deep copy of SHOP with dotted paths set (undefined deletes). */
const shop = (changes: Record<string, unknown> = {}) => withPaths(SHOP, changes);

describe('builds: one image per distinct build, in config order', () => {
  const config = resolveConfig(SHOP);

  test('services with the same build share one image, named after the first of them', () => {
    assert.deepEqual(config.images, [
      {
        key: 'api',
        dockerfile: 'services/api/Dockerfile',
        context: 'services/api',
        args: {},
        services: ['api', 'jobs'],
      },
      {
        key: 'admin',
        dockerfile: 'services/api/Dockerfile',
        context: 'services/api',
        target: 'admin',
        args: { BASE: 'python:3.13-slim', THEME: 'dark' },
        services: ['admin'],
      },
    ]);
  });

  test('each service states where its image comes from, in every environment', () => {
    const expected = {
      site: { prebuilt: 'nginx:1.27' },
      api: { build: 'api' },
      admin: { build: 'admin' },
      jobs: { build: 'api' },
    };
    assert.deepEqual(Object.fromEntries(config.services.map((s) => [s.name, s.image])), expected);
    for (const env of ['test', 'prod'] as const) {
      const images = config.environments[env].services.map((s) => [s.name, s.image]);
      assert.deepEqual(Object.fromEntries(images), expected);
    }
  });

  test('the repository is named after the first service that builds, not a prebuilt one', () => {
    assert.equal(config.global.repositoryName, 'shop/api');
  });

  test('the same build with other arguments is another image', () => {
    const other = resolveConfig(
      shop({ 'services.jobs.build.args': { THEME: 'light', BASE: 'python:3.13-slim' } }),
    );
    assert.deepEqual(
      other.images.map((i) => [i.key, i.services]),
      [
        ['api', ['api']],
        ['admin', ['admin']],
        ['jobs', ['jobs']],
      ],
    );
  });

  test('arguments in another order are the same build', () => {
    const same = resolveConfig(
      shop({
        'services.jobs.build': {
          dockerfile: 'services/api/Dockerfile',
          context: 'services/api',
          target: 'admin',
          args: { BASE: 'python:3.13-slim', THEME: 'dark' },
        },
      }),
    );
    assert.deepEqual(
      same.images.map((i) => [i.key, i.services]),
      [
        ['api', ['api']],
        ['admin', ['admin', 'jobs']],
      ],
    );
  });
});

describe("the cart keeps its one image, its repository and its release's short form", () => {
  test('web and worker share the default build; the repository stays berth/service', () => {
    assert.deepEqual(CART.images, [
      { key: 'web', dockerfile: 'Dockerfile', context: '.', args: {}, services: ['web', 'worker'] },
    ]);
    assert.equal(CART.global.repositoryName, 'berth/service');
    assert.equal(CART.names.parameters.imageDigest('test'), '/berth/test/image-digest');
  });
});

describe('ecrImage: the private ECR repository a prebuilt image pulls from', () => {
  test('a tag, a digest, neither', () => {
    assert.deepEqual(ecrImage('123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/base:2.1'), {
      partition: 'aws',
      account: '123456789012',
      region: 'eu-west-1',
      repositoryName: 'team/base',
      tagOrDigest: '2.1',
    });
    assert.deepEqual(ecrImage(`210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn/proxy:7@${DIGEST}`), {
      partition: 'aws-cn',
      account: '210987654321',
      region: 'cn-north-1',
      repositoryName: 'proxy',
      tagOrDigest: DIGEST,
    });
    assert.equal(
      ecrImage(`123456789012.dkr.ecr.eu-west-2.amazonaws.com/edge@sha256:${'AB'.repeat(32)}`)?.tagOrDigest,
      `sha256:${'ab'.repeat(32)}`,
      'a digest in the lower case the task constructs take',
    );
    assert.equal(
      ecrImage('123456789012.dkr.ecr.eu-west-2.amazonaws.com/edge')?.tagOrDigest,
      'latest',
      'Docker pulls :latest when a reference names no tag',
    );
  });

  test('other registries are not ECR private', () => {
    assert.equal(ecrImage('nginx:1.27'), undefined);
    assert.equal(ecrImage('public.ecr.aws/nginx/nginx:1.27'), undefined);
    assert.equal(ecrImage(`ghcr.io/acme/proxy@${DIGEST}`), undefined);
  });
});

describe('prebuilt references that are accepted', () => {
  for (const reference of [
    'nginx',
    'nginx:1.27-alpine',
    'library/nginx:1.27',
    'public.ecr.aws/nginx/nginx:1.27',
    `ghcr.io/acme/edge-proxy@${DIGEST}`,
    `registry.example.org:5000/team/proxy:2024.06.1@${DIGEST}`,
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/base:2.1',
  ]) {
    test(reference, () => {
      const config = resolveConfig(shop({ 'services.site.image': reference }));
      assert.deepEqual(config.services[0]!.image, { prebuilt: reference });
    });
  }
});

describe('one-line errors naming the field', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    [
      'both build and image',
      { 'services.site.build': { dockerfile: 'site/Dockerfile' } },
      'berth.config.ts: services.site: has both build and image; keep build to build it, or image to run a prebuilt one',
    ],
    [
      'an upper-case image name',
      { 'services.site.image': 'Nginx:1.27' },
      "berth.config.ts: services.site.image = \"Nginx:1.27\": expected an image reference such as 'nginx:1.27' or '<registry>/<name>@sha256:<64 hex>' (lower-case name, at most 255 characters before @)",
    ],
    [
      'a short digest',
      { 'services.site.image': 'nginx@sha256:abc123' },
      "berth.config.ts: services.site.image = \"nginx@sha256:abc123\": expected an image reference such as 'nginx:1.27' or '<registry>/<name>@sha256:<64 hex>' (lower-case name, at most 255 characters before @)",
    ],
    [
      'a reference longer than ECS takes',
      { 'services.site.image': `registry.example.org/${'a'.repeat(240)}:1` },
      `berth.config.ts: services.site.image = "registry.example.org/${'a'.repeat(35)}...: expected an image reference such as 'nginx:1.27' or '<registry>/<name>@sha256:<64 hex>' (lower-case name, at most 255 characters before @)`,
    ],
    [
      'an image that is not a string',
      { 'services.site.image': { name: 'nginx' } },
      'berth.config.ts: services.site.image = {"name":"nginx"}: expected a string',
    ],
    [
      'a stage name Docker refuses',
      { 'services.admin.build.target': '2nd stage' },
      'berth.config.ts: services.admin.build.target = "2nd stage": expected a Dockerfile stage name (FROM … AS <name>): a letter, then letters, digits, _ . -, e.g. \'runtime\'',
    ],
    [
      'a build argument name with a dash',
      { 'services.admin.build.args': { 'NODE-VERSION': '24' } },
      'berth.config.ts: services.admin.build.args.NODE-VERSION = "24": expected a build argument name of letters, digits and _, not starting with a digit (an ARG of the Dockerfile)',
    ],
    [
      'a build argument that is not a string',
      { 'services.admin.build.args': { NODE_VERSION: 24 } },
      'berth.config.ts: services.admin.build.args.NODE_VERSION = 24: expected a string',
    ],
    [
      'an empty Dockerfile path',
      { 'services.admin.build.dockerfile': ' ' },
      'berth.config.ts: services.admin.build.dockerfile = " ": expected a path relative to the directory of berth.config.ts, e.g. services/api',
    ],
  ];
  for (const [what, changes, message] of cases) {
    test(what, () => rejectsConfig(shop(changes), message));
  }
});
