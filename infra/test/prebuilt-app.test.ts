/**
 * An app whose every service runs a prebuilt image (#13, "give me an image"): the config resolves with no image
 * repository, and the synthesized app creates none — no AWS::ECR::Repository, no RepositoryUri output, no ECR
 * permission for the CI roles — while a private ECR image still gets pull permission on exactly its
 * repository. Expectations are literals.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveConfig } from '../config/resolve.js';
import type { BerthConfig } from '../config/schema.js';
import { imagesFromContext, prebuiltRelease } from '../lib/image.js';
import { synthesize } from './fixtures/platform.js';

const ACCOUNT = '246813579024';
const MIRROR_DIGEST = `sha256:${'d4'.repeat(32)}`;
const MIRROR = `135791357913.dkr.ecr.eu-west-1.amazonaws.com/mirror/relay@${MIRROR_DIGEST}`;

/** A web service from Docker Hub by tag, and a worker from another account's private ECR repository by digest. */
const KIOSK = {
  app: 'kiosk',
  github: { repository: 'kiosk-team/kiosk' },
  services: {
    site: { type: 'web', port: 8088, image: 'nginx:1.27', database: false },
    relay: { type: 'worker', image: MIRROR, command: ['relay', '--forever'], database: false },
  },
  environments: {
    test: { account: ACCOUNT, regions: ['eu-west-1'], cluster: { maxInstances: 7 } },
    prod: {
      account: ACCOUNT,
      regions: ['eu-west-1'],
      cluster: { maxInstances: 15 },
      alarms: { email: 'ops@kiosk.example' },
    },
  },
} as const satisfies BerthConfig;

// biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON, read field by field
type Json = any;

describe('config: every service runs a prebuilt image', () => {
  const config = resolveConfig(KIOSK);

  test('resolves with no image to build and no repository', () => {
    assert.deepEqual(config.images, []);
    assert.equal(config.global.repositoryName, undefined);
    assert.deepEqual(
      config.services.map((s) => [s.name, s.image]),
      [
        ['site', { prebuilt: 'nginx:1.27' }],
        ['relay', { prebuilt: MIRROR }],
      ],
    );
  });

  test('its release is each service’s reference, by service name', () => {
    assert.equal(prebuiltRelease(config.services), `relay=${MIRROR},site=nginx:1.27`);
    assert.equal(prebuiltRelease([{ name: 'site', image: { prebuilt: 'nginx:1.27' } }]), 'nginx:1.27');
    // A built service has no reference: it is not part of a prebuilt release.
    assert.equal(
      prebuiltRelease([
        { name: 'api', image: { build: 'api' } },
        { name: 'site', image: { prebuilt: 'nginx:1.27' } },
      ]),
      'nginx:1.27',
    );
  });

  test('no image context is needed, and one given is refused in one line', () => {
    assert.deepEqual(imagesFromContext(undefined, []), { images: {}, isPlaceholder: false });
    assert.deepEqual(imagesFromContext('', []), { images: {}, isPlaceholder: false });
    assert.throws(
      () => imagesFromContext(`sha256:${'0'.repeat(64)}`, []),
      new Error(
        `context berth:image = "sha256:${'0'.repeat(64)}": this app builds no image (every service runs a prebuilt one); drop -c berth:image`,
      ),
    );
  });
});

describe('synth: no registry for an app that builds nothing', () => {
  // GIVEN the kiosk, WHEN synthesized for test with no image context (there is nothing to pass)
  const app = synthesize({ config: resolveConfig(KIOSK), environments: ['test'] });
  const global = app.json('Kiosk-Global');
  const service = app.json('Kiosk-Test-eu-west-1-Service');
  const ofType = (template: Json, type: string): [string, Json][] =>
    Object.entries(template.Resources as Record<string, Json>).filter(([, r]) => r.Type === type);

  test('cdk-nag clean, no schema error, no placeholder warning', () => {
    assert.equal(app.synthError, null, String(app.synthError));
    assert.deepEqual(
      app.nagViolations,
      [],
      app.nagViolations.map((v) => `${v.rule} at ${v.path}`).join('\n'),
    );
    const warnings = app
      .metadata('Kiosk-Test-eu-west-1-Service')
      .filter((e) => e.type === 'aws:cdk:warning')
      .map((e) => String(e.data));
    assert.deepEqual(
      warnings.filter((w) => w.includes('placeholder')),
      [],
    );
  });

  test('no ECR repository, replication or RepositoryUri output anywhere', () => {
    for (const name of app.stackNames) {
      const template = app.json(name);
      assert.deepEqual(ofType(template, 'AWS::ECR::Repository'), [], name);
      assert.deepEqual(ofType(template, 'AWS::ECR::ReplicationConfiguration'), [], name);
      assert.equal(template.Outputs?.RepositoryUri, undefined, name);
    }
  });

  test('the CI roles get no ECR permission at all', () => {
    const actions = ofType(global, 'AWS::IAM::Policy')
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement)
      .flatMap((s: Json) => [s.Action].flat() as string[]);
    assert.ok(actions.includes('sts:AssumeRole'), 'the CI role policies are there');
    assert.deepEqual(
      actions.filter((a) => a.startsWith('ecr:')),
      [],
    );
  });

  test('the services run their references as written; only relay may pull, from its repository', () => {
    const images: Record<string, Json> = {};
    const pulls: Record<string, Json[]> = {};
    const policies = ofType(service, 'AWS::IAM::Policy');
    for (const [, task] of ofType(service, 'AWS::ECS::TaskDefinition')) {
      const container = task.Properties.ContainerDefinitions.find((c: Json) => c.Name !== 'otel-collector');
      images[container.Name] = container.Image;
      const role = task.Properties.ExecutionRoleArn['Fn::GetAtt'][0];
      pulls[container.Name] = policies
        .filter(([, p]) => p.Properties.Roles.some((r: Json) => r.Ref === role))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement)
        .filter((s: Json) => [s.Action].flat().includes('ecr:BatchGetImage'))
        .map((s: Json) => s.Resource);
    }
    assert.deepEqual(images, {
      site: 'nginx:1.27',
      relay: {
        'Fn::Join': [
          '',
          ['135791357913.dkr.ecr.eu-west-1.', { Ref: 'AWS::URLSuffix' }, `/mirror/relay@${MIRROR_DIGEST}`],
        ],
      },
    });
    assert.deepEqual(pulls, {
      site: [],
      relay: ['arn:aws:ecr:eu-west-1:135791357913:repository/mirror/relay'],
    });
  });
});
