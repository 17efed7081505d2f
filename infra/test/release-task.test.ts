import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ReleaseTask, type ReleaseTaskProps } from '../lib/constructs/release-task.js';
import { addReleaseTaskOutputs } from '../lib/stacks/release-task-outputs.js';
import { createWebFixture, DIGEST, SECRET_ARN, synthesize, type WebFixture } from './support/web-fixture.js';

function addRelease(fixture: WebFixture, overrides: Partial<ReleaseTaskProps> = {}): ReleaseTask {
  // Stands in for the service's log group, which the release task shares.
  const logGroup = new logs.LogGroup(fixture.stack, 'ServiceLogs', {
    retention: logs.RetentionDays.ONE_MONTH,
  });
  return new ReleaseTask(fixture.stack, 'Release', {
    vpc: fixture.vpc,
    capacityProvider: fixture.capacityProvider,
    repository: fixture.repository,
    image: DIGEST,
    command: ['node', 'dist/migrate-command.js'],
    logGroup,
    databaseSecret: fixture.databaseSecret,
    environment: { LOG_LEVEL: 'debug' },
    ...overrides,
  });
}

const fixture = createWebFixture();
const release = addRelease(fixture);
addReleaseTaskOutputs(fixture.stack, release);
// cdk-nag's AWS Solutions checks and the schema validation run here and throw on any finding.
const template = synthesize(fixture);
// Typed as findResources types them: CloudFormation JSON, read field by field.
const resources: ReturnType<typeof template.findResources> = template.toJSON().Resources;
const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;

function logicalIdOf(type: string, props: object = {}): string {
  const ids = Object.keys(template.findResources(type, props));
  assert.equal(ids.length, 1, `expected exactly one ${type}`);
  return ids[0]!;
}

describe('ReleaseTask', () => {
  const taskDefinitionId = logicalIdOf('AWS::ECS::TaskDefinition');
  const taskDefinition = resources[taskDefinitionId]!.Properties;
  const [container] = taskDefinition.ContainerDefinitions;

  test('is a task definition only: no ECS service, no load balancer', () => {
    assert.deepEqual(template.findResources('AWS::ECS::Service'), {});
    assert.deepEqual(template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'), {});
  });

  test("runs the release command in the service's image with the database secrets and settings", () => {
    assert.equal(taskDefinition.NetworkMode, 'awsvpc');
    assert.deepEqual(taskDefinition.RequiresCompatibilities, ['EC2']);
    assert.equal(container.Name, 'release');
    assert.deepEqual(container.Command, ['node', 'dist/migrate-command.js']);
    assert.match(JSON.stringify(container.Image), new RegExp(`berth/service@${DIGEST}`));
    assert.equal(container.Cpu, 256);
    assert.equal(container.Memory, 512);
    assert.equal(container.StopTimeout, 30);
    assert.equal(container.User, '1000');
    assert.equal(container.ReadonlyRootFilesystem, true);
    assert.equal(container.PortMappings, undefined);
    assert.deepEqual(
      container.Secrets.map((s: { Name: string }) => s.Name),
      ['PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE'],
    );
    assert.equal(container.Secrets[3].ValueFrom, `${SECRET_ARN}:password::`);
    assert.deepEqual(container.Environment, [
      { Name: 'PGSSLMODE', Value: 'verify-full' },
      { Name: 'PGSSLROOTCERT', Value: '/etc/ssl/certs/rds-global-bundle.pem' },
      { Name: 'LOG_LEVEL', Value: 'debug' },
      { Name: 'AWS_REGION', Value: 'eu-west-1' },
    ]);
  });

  test("logs into the service's log group under the stream prefix `release`", () => {
    const serviceLogs = logicalIdOf('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 30 } });
    assert.deepEqual(container.LogConfiguration.Options['awslogs-group'], { Ref: serviceLogs });
    assert.equal(container.LogConfiguration.Options['awslogs-stream-prefix'], 'release');
  });

  test('its security group admits nothing', () => {
    const group = logicalIdOf('AWS::EC2::SecurityGroup', {
      Properties: { GroupDescription: Match.stringLikeRegexp('release task') },
    });
    assert.equal(resources[group]!.Properties.SecurityGroupIngress, undefined);
    const rules = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).filter((rule) =>
      JSON.stringify(rule.Properties.GroupId).includes(group),
    );
    assert.deepEqual(rules, []);
  });

  test('its security group reaches out anywhere: the database, and AWS APIs through the NAT', () => {
    const group = logicalIdOf('AWS::EC2::SecurityGroup', {
      Properties: { GroupDescription: Match.stringLikeRegexp('release task') },
    });
    // allowAllOutbound renders as one 0.0.0.0/0 rule of every protocol (-1); without it CDK writes a
    // placeholder rule to 255.255.255.255/32 that lets nothing out, and a migration could not connect.
    assert.deepEqual(resources[group]!.Properties.SecurityGroupEgress, [
      { CidrIp: '0.0.0.0/0', Description: 'Allow all outbound traffic by default', IpProtocol: '-1' },
    ]);
  });

  test('is tagged berth:service=release, so cost and audit reports name it', () => {
    for (const type of ['AWS::EC2::SecurityGroup', 'AWS::ECS::TaskDefinition']) {
      const tagged = Object.values(template.findResources(type)).filter((r) =>
        (r.Properties.Tags ?? []).some(
          (t: { Key: string; Value: string }) => t.Key === 'berth:service' && t.Value === 'release',
        ),
      );
      assert.equal(tagged.length, 1, `one ${type} tagged berth:service=release`);
    }
  });

  test('outputs what the CLI needs to RunTask it, under the keys in naming.ts', () => {
    assert.deepEqual(outputs.ReleaseTaskDefinitionArn?.Value, { Ref: taskDefinitionId });
    assert.deepEqual(outputs.ReleaseCapacityProviderName?.Value, {
      Ref: logicalIdOf('AWS::ECS::CapacityProvider'),
    });
    const group = logicalIdOf('AWS::EC2::SecurityGroup', {
      Properties: { GroupDescription: Match.stringLikeRegexp('release task') },
    });
    assert.deepEqual(outputs.ReleaseSecurityGroupId?.Value, { 'Fn::GetAtt': [group, 'GroupId'] });
    const privateSubnets = Object.keys(template.findResources('AWS::EC2::Subnet'))
      .filter((id) => id.startsWith('VpcprivateSubnet'))
      .sort();
    assert.equal(privateSubnets.length, 2);
    assert.deepEqual(outputs.ReleaseSubnetIds?.Value, {
      'Fn::Join': [',', privateSubnets.map((id) => ({ Ref: id }))],
    });
    assert.deepEqual(outputs.ReleaseLogGroupName?.Value, {
      Ref: logicalIdOf('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 30 } }),
    });
  });

  test('refuses an empty command', () => {
    for (const command of [[], ['node', '']]) {
      assert.throws(() => addRelease(createWebFixture(), { command }), {
        message: /^release command must be a non-empty list of non-empty strings/,
      });
    }
  });
});
