/**
 * Each service's image in the synthesized Service stack (#13 item 2): built images by their digest in the app's
 * one repository (services of one build share it), a public prebuilt image as written with no pull permission,
 * a private ECR prebuilt image with pull permission on exactly its repository. Expectations are literals.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveConfig } from '../config/resolve.js';
import type { BerthConfig } from '../config/schema.js';
import { createCartApp, synthesize } from './fixtures/platform.js';
import { shopEnvironments } from './fixtures/shop-environments.js';

const ACCOUNT = '444455556666';
const API_DIGEST = `sha256:${'a1'.repeat(32)}`;
const ADMIN_DIGEST = `sha256:${'b2'.repeat(32)}`;
const PROXY_DIGEST = `sha256:${'c3'.repeat(32)}`;
const PROXY = `777788889999.dkr.ecr.eu-west-1.amazonaws.com/platform/proxy@${PROXY_DIGEST}`;

const SHOP = {
  app: 'shop',
  github: { repository: 'acme/shop' },
  services: {
    site: { type: 'web', port: 8080, image: 'nginx:1.27', database: false },
    api: {
      type: 'web',
      port: 8000,
      route: { path: '/api/*' },
      build: { dockerfile: 'api/Dockerfile', context: 'api' },
      release: { command: ['python', 'manage.py', 'migrate'] },
    },
    admin: {
      type: 'web',
      port: 8100,
      route: { path: '/admin/*' },
      build: { dockerfile: 'api/Dockerfile', context: 'api', target: 'admin' },
    },
    proxy: { type: 'web', port: 9000, route: { path: '/edge/*' }, image: PROXY, database: false },
    jobs: {
      type: 'worker',
      command: ['python', 'jobs.py'],
      build: { dockerfile: 'api/Dockerfile', context: 'api' },
    },
  },
  environments: shopEnvironments(ACCOUNT),
} as const satisfies BerthConfig;

// biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON, read field by field
type Json = any;

// GIVEN the shop, WHEN synthesized for test with a release of its two built images
const app = synthesize({
  config: resolveConfig(SHOP),
  environments: ['test'],
  context: { 'berth:image': `admin=${ADMIN_DIGEST},api=${API_DIGEST}` },
});
const resources = app.json('Shop-Test-eu-west-1-Service').Resources as Record<string, Json>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

/** Each container's image, by container name, as CloudFormation will see it once resolved. */
function images(): Record<string, string> {
  const flat = (value: Json): string =>
    typeof value === 'string'
      ? value
      : value['Fn::Join']
        ? value['Fn::Join'][1].map(flat).join(value['Fn::Join'][0])
        : value.Ref === 'AWS::URLSuffix'
          ? 'amazonaws.com'
          : `{${JSON.stringify(value)}}`;
  const byName: Record<string, string> = {};
  for (const [, task] of ofType('AWS::ECS::TaskDefinition')) {
    for (const c of task.Properties.ContainerDefinitions) {
      if (c.Name !== 'otel-collector') byName[c.Name] = flat(c.Image);
    }
  }
  return byName;
}

/** The repositories each task's execution role may pull from (ecr:BatchGetImage), by container name. */
function pullsByContainer(): Record<string, string[]> {
  const policies = ofType('AWS::IAM::Policy');
  const result: Record<string, string[]> = {};
  for (const [, task] of ofType('AWS::ECS::TaskDefinition')) {
    const role = task.Properties.ExecutionRoleArn['Fn::GetAtt'][0];
    const name = task.Properties.ContainerDefinitions[0].Name;
    const statements = policies
      .filter(([, p]) => p.Properties.Roles.some((r: Json) => r.Ref === role))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    result[name] = statements
      .filter((s: Json) => [s.Action].flat().includes('ecr:BatchGetImage'))
      .map((s: Json) => (typeof s.Resource === 'string' ? s.Resource : JSON.stringify(s.Resource)));
  }
  return result;
}

describe('each service runs its own image', () => {
  test('cdk-nag clean, no schema error', () => {
    assert.equal(app.synthError, null, String(app.synthError));
    assert.deepEqual(
      app.nagViolations,
      [],
      app.nagViolations.map((v) => `${v.rule} at ${v.path}`).join('\n'),
    );
  });

  test('built services by digest in the app repository, one build shared, prebuilt ones as written', () => {
    const repository = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/shop/api`;
    assert.deepEqual(images(), {
      site: 'nginx:1.27',
      api: `${repository}@${API_DIGEST}`,
      jobs: `${repository}@${API_DIGEST}`,
      release: `${repository}@${API_DIGEST}`,
      admin: `${repository}@${ADMIN_DIGEST}`,
      proxy: PROXY,
    });
  });

  test('pull permission: the app repository for built images, the private ECR repository for proxy, none for nginx', () => {
    const pulls = pullsByContainer();
    assert.deepEqual(pulls.site, []);
    assert.deepEqual(pulls.proxy, ['arn:aws:ecr:eu-west-1:777788889999:repository/platform/proxy']);
    for (const built of ['api', 'admin', 'jobs', 'release']) {
      assert.equal(pulls[built]!.length, 1, built);
      assert.match(pulls[built]![0]!, /repository\/shop\/api/, built);
    }
  });
});

describe('the release in context must name every built image', () => {
  for (const [what, value] of [
    ['one bare digest for two builds', API_DIGEST],
    ['an image missing', `api=${API_DIGEST}`],
    ['an unknown image', `admin=${ADMIN_DIGEST},api=${API_DIGEST},jobs=${API_DIGEST}`],
  ] as const) {
    test(what, () => {
      assert.throws(
        () =>
          createCartApp({
            config: resolveConfig(SHOP),
            environments: ['test'],
            context: { 'berth:image': value },
          }),
        {
          message: `context berth:image = ${JSON.stringify(value)}: expected admin=sha256:…,api=sha256:… (a digest or tag for each image the app builds); pass e.g. -c berth:image=sha256:…`,
        },
      );
    });
  }
});
