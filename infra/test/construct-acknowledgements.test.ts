/**
 * The service constructs' cdk-nag acknowledgements, at construct level (the whole-app check is
 * nag-acknowledgements.test.ts): each finding they silence is silenced on the resource it concerns, and each carries
 * a reason a reviewer can check. CDK records `Validations.of(scope).acknowledge({ id, reason })` as
 * `aws:cdk:acknowledged-rules` metadata on the scope (aws-cdk-lib `Validations.ACKNOWLEDGED_RULES_METADATA_KEY`);
 * the ids are cdk-nag's AwsSolutions rule ids (cdk-nag RULES.md). Construction only, no synth: the metadata is
 * written when the construct is built.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ReleaseTask } from '../lib/constructs/release-task.js';
import { WorkerService } from '../lib/constructs/worker-service.js';
import { addWebService, CERTIFICATE_ARN, createWebFixture, DIGEST } from './support/web-fixture.js';

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: unknown;
}

// GIVEN a rolling web service with ECS Exec and tracing, a blue/green one behind HTTPS, a worker and a release task.
const rolling = createWebFixture('Rolling');
const key = new kms.Key(rolling.stack, 'ExecKey', { enableKeyRotation: true });
const execLogs = new logs.LogGroup(rolling.stack, 'ExecLogs', { encryptionKey: key });
addWebService(rolling, 'test', {
  exec: { key, logGroup: execLogs },
  tracing: { enabled: true, sampleRatio: 0.3 },
});
const blueGreen = createWebFixture('BlueGreen');
addWebService(blueGreen, 'prod', { certificateArn: CERTIFICATE_ARN });
new WorkerService(blueGreen.stack, 'Worker', {
  vpc: blueGreen.vpc,
  cluster: blueGreen.cluster,
  capacityProvider: blueGreen.capacityProvider,
  name: 'mailer',
  repository: blueGreen.repository,
  image: DIGEST,
  cpu: 128,
  memoryMiB: 256,
  logRetentionDays: 14,
});
new ReleaseTask(blueGreen.stack, 'Release', {
  vpc: blueGreen.vpc,
  capacityProvider: blueGreen.capacityProvider,
  repository: blueGreen.repository,
  image: DIGEST,
  command: ['node', 'dist/migrate.js'],
  logGroup: execLogs,
});

const acknowledgements: Acknowledgement[] = [rolling, blueGreen].flatMap((fixture) =>
  fixture.stack.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, unknown>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
        })),
      ),
  ),
);

/** Outside the constructs under test: the fixture's own acknowledgements on its stand-in ASG. */
const ours = acknowledgements.filter((a) => !a.path.endsWith('/Instances'));

describe('service constructs: cdk-nag acknowledgements', () => {
  test('each finding is acknowledged on the resource it concerns', () => {
    for (const [path, id] of [
      // The internet-facing load balancer's 80/443 from anywhere, and its log bucket's own access logs.
      ['Rolling/LoadBalancer/SecurityGroup', 'AwsSolutions::AwsSolutions-EC23'],
      ['Rolling/LoadBalancer/AccessLogs', 'AwsSolutions::AwsSolutions-S1'],
      // Plain environment variables are settings only; GetAuthorizationToken takes only "*".
      ['Rolling/Web/TaskDefinition', 'AwsSolutions::AwsSolutions-ECS2'],
      ['Rolling/Web/TaskDefinition', 'AwsSolutions::AwsSolutions-IAM5[Resource::*]'],
      ['BlueGreen/Worker/TaskDefinition', 'AwsSolutions::AwsSolutions-ECS2'],
      ['BlueGreen/Release/TaskDefinition', 'AwsSolutions::AwsSolutions-ECS2'],
      // ECS Exec's and X-Ray's actions that support only "*", on the task role.
      ['Rolling/Web/TaskDefinition/TaskRole', 'AwsSolutions::AwsSolutions-IAM5[Resource::*]'],
      // The AWS managed policy ECS documents for the blue/green infrastructure role.
      [
        'BlueGreen/Web/TrafficShiftRole',
        'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers]',
      ],
    ] as const) {
      assert.ok(
        ours.some((a) => a.path === path && a.id === id),
        `${id} at ${path}; found ${JSON.stringify(ours.map((a) => [a.path, a.id]))}`,
      );
    }
  });

  test('every acknowledgement states a reason a reviewer can check (a sentence, not empty)', () => {
    assert.ok(ours.length >= 9, `found only ${ours.length}`);
    const bad = ours.filter((a) => typeof a.reason !== 'string' || a.reason.trim().split(/\s+/).length < 5);
    assert.deepEqual(
      bad.map((a) => `${a.path}: ${a.id} → ${JSON.stringify(a.reason)}`),
      [],
    );
  });
});
