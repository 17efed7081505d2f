/**
 * createServiceTask and createServiceLogGroup on their own (web, worker and release tasks compose them): where the
 * database credentials and the user's secrets go, what a task without a database gets, the log group kept after a
 * stack deletion, and the writable /tmp beside a read-only root.
 * Expected values are literals from AWS documentation ("Pass Secrets Manager secrets through Amazon ECS environment
 * variables": `<secret arn>:<json key>::`; libpq "Environment Variables": PGHOST, PGPORT, PGUSER, PGPASSWORD,
 * PGDATABASE, PGSSLMODE, PGSSLROOTCERT; CloudWatch Logs PutRetentionPolicy's accepted values) and Berth's design.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import {
  createServiceLogGroup,
  createServiceTask,
  type ServiceTaskProps,
  validateLogRetention,
} from '../lib/constructs/service-task.js';

const ACCOUNT = '210987654321';
const REGION = 'eu-central-1';
const DB_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:berth/qa-db-XyZ123`;
const DIGEST = `sha256:${'9f8e'.repeat(16)}`;

// biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON, read field by field
type Json = any;

function synthesized(props: (stack: Stack) => Partial<ServiceTaskProps>) {
  const stack = new Stack(new App(), 'Task', { env: { account: ACCOUNT, region: REGION } });
  const logGroup = createServiceLogGroup(stack, 14);
  const { taskDefinition, container } = createServiceTask(stack, 'TaskDefinition', {
    networkMode: ecs.NetworkMode.BRIDGE,
    containerName: 'mailer',
    streamPrefix: 'jobs',
    repository: ecr.Repository.fromRepositoryName(stack, 'Repository', 'berth/qa'),
    image: DIGEST,
    cpu: 192,
    memoryMiB: 448,
    logGroup,
    stopTimeout: Duration.seconds(17),
    ...props(stack),
  });
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Json>;
  const [definition] = Object.values(resources).filter((r) => r.Type === 'AWS::ECS::TaskDefinition');
  return { taskDefinition, container, resources, definition: definition.Properties as Json };
}

const named = (entries: { Name: string; [key: string]: unknown }[] | undefined) =>
  Object.fromEntries((entries ?? []).map(({ Name, ...rest }) => [Name, rest]));

// GIVEN a task with the database secret and a secret of the user's, one with only the user's, one with neither.
const both = synthesized((stack) => ({
  databaseSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Db', DB_SECRET_ARN),
  secrets: {
    API_KEY: ecs.Secret.fromSsmParameter(
      ssm.StringParameter.fromSecureStringParameterAttributes(stack, 'ApiKey', {
        parameterName: '/qa/api-key',
      }),
    ),
  },
  environment: { REGION_NAME: 'frankfurt' },
}));
const userOnly = synthesized((stack) => ({
  secrets: {
    API_KEY: ecs.Secret.fromSsmParameter(
      ssm.StringParameter.fromSecureStringParameterAttributes(stack, 'ApiKey', {
        parameterName: '/qa/api-key',
      }),
    ),
  },
}));
const neither = synthesized(() => ({ environment: { PGSSLMODE: 'disable' } }));

/** The parameter's ARN as CDK renders it: the partition stays a reference. */
const PARAMETER_ARN = {
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ssm:${REGION}:${ACCOUNT}:parameter/qa/api-key`]],
};

describe('service task: database credentials and secrets', () => {
  test('the database fields are ECS secrets read from the RDS secret, key by key, beside the user secret', () => {
    const secrets = named(both.definition.ContainerDefinitions[0].Secrets);
    const field = (key: string) => ({ ValueFrom: `${DB_SECRET_ARN}:${key}::` });
    assert.deepEqual(secrets, {
      PGHOST: field('host'),
      PGPORT: field('port'),
      PGUSER: field('username'),
      PGPASSWORD: field('password'),
      PGDATABASE: field('dbname'),
      API_KEY: { ValueFrom: PARAMETER_ARN },
    });
  });

  test('with the database: TLS verified against the bundled RDS CA, then the user settings', () => {
    const environment = named(both.definition.ContainerDefinitions[0].Environment);
    assert.deepEqual(environment, {
      PGSSLMODE: { Value: 'verify-full' },
      PGSSLROOTCERT: { Value: '/etc/ssl/certs/rds-global-bundle.pem' },
      REGION_NAME: { Value: 'frankfurt' },
    });
  });

  test('without the database: only the user secret, and no PG settings of Berth', () => {
    assert.deepEqual(named(userOnly.definition.ContainerDefinitions[0].Secrets), {
      API_KEY: { ValueFrom: PARAMETER_ARN },
    });
    assert.equal(userOnly.definition.ContainerDefinitions[0].Environment, undefined);
  });

  test('with neither: no secrets at all, and the user may set a PG setting of their own', () => {
    assert.equal(neither.definition.ContainerDefinitions[0].Secrets, undefined);
    assert.deepEqual(named(neither.definition.ContainerDefinitions[0].Environment), {
      PGSSLMODE: { Value: 'disable' },
    });
  });

  test('the execution role may read the database secret and the parameter, nothing else', () => {
    const executionRoleId = both.definition.ExecutionRoleArn['Fn::GetAtt'][0];
    const [policy] = Object.values(both.resources).filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' &&
        r.Properties.Roles.some((role: Json) => role.Ref === executionRoleId),
    );
    const reads = (policy.Properties.PolicyDocument.Statement as Json[]).filter(
      (s) => JSON.stringify(s.Action).includes('secretsmanager') || JSON.stringify(s.Action).includes('ssm:'),
    );
    assert.deepEqual(
      reads.map((s) => s.Resource),
      [DB_SECRET_ARN, PARAMETER_ARN],
    );
  });
});

describe('service task: the container', () => {
  const container = both.definition.ContainerDefinitions[0];

  test('named as given, logging under the stream prefix given, in non-blocking mode', () => {
    assert.equal(container.Name, 'mailer');
    assert.equal(container.LogConfiguration.LogDriver, 'awslogs');
    assert.equal(container.LogConfiguration.Options['awslogs-stream-prefix'], 'jobs');
    assert.equal(container.LogConfiguration.Options.mode, 'non-blocking');
    assert.equal(container.LogConfiguration.Options['max-buffer-size'], '26214400b');
  });

  test('its CPU, memory (reserved = limit), stop timeout and the pinned image', () => {
    assert.equal(container.Cpu, 192);
    assert.equal(container.Memory, 448);
    assert.equal(container.MemoryReservation, 448);
    assert.equal(container.StopTimeout, 17);
    assert.match(JSON.stringify(container.Image), /berth\/qa@sha256:(9f8e){16}/);
  });

  test('read-only root, uid 1000, and /tmp as a writable task volume', () => {
    assert.equal(container.ReadonlyRootFilesystem, true);
    assert.equal(container.User, '1000');
    assert.deepEqual(container.MountPoints, [
      { ContainerPath: '/tmp', ReadOnly: false, SourceVolume: 'tmp' },
    ]);
    assert.deepEqual(both.definition.Volumes, [{ Name: 'tmp' }]);
    assert.equal(both.definition.NetworkMode, 'bridge');
  });

  test('no tracing sidecar unless asked for', () => {
    assert.equal(both.definition.ContainerDefinitions.length, 1);
  });

  test('tracing: the collector beside the app, the app pointed at it on localhost (awsvpc)', () => {
    const traced = synthesized(() => ({
      networkMode: ecs.NetworkMode.AWS_VPC,
      tracing: { sampleRatio: 0.4 },
    }));
    const [app, collector] = traced.definition.ContainerDefinitions;
    assert.equal(collector.Name, 'otel-collector');
    const environment = named(app.Environment);
    assert.deepEqual(environment.TRACING_SAMPLE_RATIO, { Value: '0.4' });
    assert.deepEqual(environment.OTEL_EXPORTER_OTLP_ENDPOINT, { Value: 'http://localhost:4318' });
    assert.equal(
      collector.LogConfiguration.Options['awslogs-group'].Ref,
      app.LogConfiguration.Options['awslogs-group'].Ref,
    );
  });
});

describe('service log group', () => {
  const group = Object.values(both.resources).filter((r) => r.Type === 'AWS::Logs::LogGroup');

  test('one group, kept when the stack is deleted, with the retention given', () => {
    assert.equal(group.length, 1);
    assert.equal(group[0].DeletionPolicy, 'Retain');
    assert.equal(group[0].UpdateReplacePolicy, 'Retain');
    assert.equal(group[0].Properties.RetentionInDays, 14);
  });

  test('retentions CloudWatch Logs offers are accepted; others are refused with an example', () => {
    for (const days of [1, 3, 5, 7, 14, 30, 60, 90, 365, 3653]) {
      assert.doesNotThrow(() => validateLogRetention(days), String(days));
    }
    for (const days of [0, 2, 15, 100]) {
      assert.throws(() => validateLogRetention(days), {
        message: `logRetentionDays (${days}) is not a CloudWatch Logs retention such as 14 or 90`,
      });
    }
  });

  test('the group is refused before it is created', () => {
    const stack = new Stack(new App(), 'Refused');
    assert.throws(() => createServiceLogGroup(stack, 10), /logRetentionDays \(10\)/);
    assert.equal(stack.node.children.length, 0);
  });
});
