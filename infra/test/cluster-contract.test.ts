/**
 * The Cluster construct's template beyond the defaults cluster.test.ts checks: sizes as given, the edges of what
 * it accepts, and ECS Exec's key, log group and operator policy. Expected values are literals from AWS's
 * documentation: "Monitor Amazon ECS containers with ECS Exec" (OVERRIDE logging to an encrypted group, KMS key),
 * CloudWatch Logs "Encrypt log data in CloudWatch Logs using AWS KMS" (the regional logs principal and the
 * kms:EncryptionContext:aws:logs:arn condition), and ECS's condition key ecs:container-name.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { Cluster, type ClusterProps } from '../lib/constructs/cluster.js';
import { NAMES } from './fixtures/cart-config.js';
import { envStack, plainVpc } from './fixtures/platform.js';

// biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON
type Json = any;

function cluster(props: Partial<ClusterProps> = {}) {
  const stack = envStack();
  const construct = new Cluster(stack, 'Cluster', {
    envName: 'test',
    names: NAMES,
    vpc: plainVpc(stack),
    instanceType: 't3.small',
    minInstances: 1,
    maxInstances: 3,
    ...props,
  });
  const template = Template.fromStack(stack);
  return { construct, template, resources: template.toJSON().Resources as Record<string, Json> };
}

const only = (resources: Record<string, Json>, type: string): [string, Json] => {
  const found = Object.entries(resources).filter(([, r]) => r.Type === type);
  assert.equal(found.length, 1, `one ${type}`);
  return found[0]!;
};

function acknowledged(construct: IConstruct): Record<string, unknown> {
  return Object.assign(
    {},
    ...construct.node.metadata
      .filter((e) => e.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .map((e) => e.data as Record<string, unknown>),
  );
}

const partition = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });

describe('Cluster contract: sizes and identity', () => {
  const { resources, construct } = cluster({
    minInstances: 0,
    maxInstances: 5,
    targetCapacityPercent: 90,
    rootVolumeGiB: 40,
  });

  test('the group, the managed-scaling target and the root volume take the given values', () => {
    const [, group] = only(resources, 'AWS::AutoScaling::AutoScalingGroup');
    assert.equal(group.Properties.MinSize, '0');
    assert.equal(group.Properties.MaxSize, '5');
    const [, provider] = only(resources, 'AWS::ECS::CapacityProvider');
    assert.equal(provider.Properties.AutoScalingGroupProvider.ManagedScaling.TargetCapacity, 90);
    const [, launchTemplate] = only(resources, 'AWS::EC2::LaunchTemplate');
    assert.equal(launchTemplate.Properties.LaunchTemplateData.BlockDeviceMappings[0].Ebs.VolumeSize, 40);
  });

  test('the instances may reach out (image pulls, ECS, SSM) but admit nothing; the group says so', () => {
    const [, group] = only(resources, 'AWS::EC2::SecurityGroup');
    assert.equal(
      group.Properties.GroupDescription,
      'ECS container instances: no ingress until the load balancer is allowed in',
    );
    assert.deepEqual(group.Properties.SecurityGroupEgress, [
      { CidrIp: '0.0.0.0/0', Description: 'Allow all outbound traffic by default', IpProtocol: '-1' },
    ]);
  });

  test('the instance role is for EC2 and says what it is for', () => {
    const roles = Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Role');
    const instanceRole = roles.find(
      (r) => r.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Service === 'ec2.amazonaws.com',
    );
    assert.ok(instanceRole);
    assert.equal(
      instanceRole.Properties.Description,
      'ECS container instance: agent registration, Session Manager, CloudWatch agent',
    );
  });

  test('every acknowledgement states its reason', () => {
    const acks = {
      ...acknowledged(construct.instanceRole),
      ...acknowledged(construct.autoScalingGroup),
    };
    assert.deepEqual(Object.keys(acks).sort(), [
      'AwsSolutions::AwsSolutions-AS3',
      'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/CloudWatchAgentServerPolicy]',
      'AwsSolutions::AwsSolutions-IAM5[Action::ecs:Submit*]',
      'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    ]);
    for (const reason of Object.values(acks)) {
      assert.ok(typeof reason === 'string' && reason.split(' ').length >= 5, JSON.stringify(reason));
    }
  });
});

describe('Cluster contract: what it refuses', () => {
  const refuses = (props: Partial<ClusterProps>, message: string) =>
    assert.throws(
      () => cluster(props),
      (error: Error) => error.message === message,
      JSON.stringify(props),
    );

  test('minInstances: a whole number from 0', () => {
    for (const minInstances of [-1, 1.5]) {
      refuses({ minInstances }, `Cluster minInstances (${minInstances}) must be a whole number >= 0`);
    }
  });

  test('maxInstances: a whole number of at least 1 and at least minInstances', () => {
    assert.doesNotThrow(() => cluster({ minInstances: 3, maxInstances: 3 }));
    for (const [minInstances, maxInstances] of [
      [0, 0],
      [1, 2.5],
      [4, 3],
    ]) {
      refuses(
        { minInstances, maxInstances },
        `Cluster maxInstances (${maxInstances}) must be >= 1 and >= minInstances (${minInstances})`,
      );
    }
  });

  test('targetCapacityPercent: a whole percent from 1 to 100', () => {
    assert.doesNotThrow(() => cluster({ targetCapacityPercent: 1 }));
    for (const targetCapacityPercent of [0, 101, 50.5]) {
      refuses(
        { targetCapacityPercent },
        `Cluster targetCapacityPercent (${targetCapacityPercent}) must be an integer from 1 to 100`,
      );
    }
  });

  test("rootVolumeGiB: whole GiB, at least the ECS-optimized AMI's 30 GiB snapshot", () => {
    for (const rootVolumeGiB of [29, 30.5]) {
      refuses(
        { rootVolumeGiB },
        `Cluster rootVolumeGiB (${rootVolumeGiB}) must be >= 30, the ECS-optimized AMI's snapshot size`,
      );
    }
  });

  test('an x86_64 instance type with architecture arm64', () => {
    refuses(
      { instanceType: 't3.small', architecture: 'arm64' },
      'Cluster instanceType t3.small is x86_64 but architecture is arm64; change one of them',
    );
  });
});

describe('Cluster contract: ECS Exec', () => {
  const { resources, construct } = cluster({ exec: { logRetentionDays: 60, containerNames: ['web'] } });
  const [keyId, key] = only(resources, 'AWS::KMS::Key');
  const [groupId, group] = only(resources, 'AWS::Logs::LogGroup');

  test('the cluster encrypts sessions with the key and logs them (OVERRIDE) to the encrypted group', () => {
    const [, ecsCluster] = only(resources, 'AWS::ECS::Cluster');
    assert.deepEqual(ecsCluster.Properties.Configuration, {
      ExecuteCommandConfiguration: {
        KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
        LogConfiguration: { CloudWatchEncryptionEnabled: true, CloudWatchLogGroupName: { Ref: groupId } },
        Logging: 'OVERRIDE',
      },
    });
  });

  test('the key rotates, is kept, and lets CloudWatch Logs of this account and region use it', () => {
    assert.equal(key.Properties.Description, 'Encrypts ECS Exec sessions and their log group');
    assert.equal(key.Properties.EnableKeyRotation, true);
    assert.equal(key.DeletionPolicy, 'Retain');
    const logs = key.Properties.KeyPolicy.Statement.filter(
      (s: Json) => s.Principal?.Service === 'logs.eu-west-1.amazonaws.com',
    );
    assert.deepEqual(logs, [
      {
        Action: ['kms:Decrypt*', 'kms:Describe*', 'kms:Encrypt*', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
        Condition: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': partition(':logs:eu-west-1:123456789012:log-group:*'),
          },
        },
        Effect: 'Allow',
        Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
        Resource: '*',
      },
    ]);
  });

  test('the session log group is encrypted with the key, kept, and expires after the given days', () => {
    assert.deepEqual(group.Properties.KmsKeyId, { 'Fn::GetAtt': [keyId, 'Arn'] });
    assert.equal(group.Properties.RetentionInDays, 60);
    assert.equal(group.DeletionPolicy, 'Retain');
  });

  test("the operator policy: exec into this cluster's web containers, find tasks, use the key, read this env's stacks", () => {
    const [clusterId] = only(resources, 'AWS::ECS::Cluster');
    const [, policy] = only(resources, 'AWS::IAM::ManagedPolicy');
    assert.equal(
      policy.Properties.Description,
      "berth exec: a shell in the web container of this environment's tasks (ECS Exec)",
    );
    const clusterArn = { 'Fn::GetAtt': [clusterId, 'Arn'] };
    const stack = (component: string) =>
      partition(`:cloudformation:eu-west-1:123456789012:stack/Berth-Test-eu-west-1-${component}/*`);
    assert.deepEqual(policy.Properties.PolicyDocument.Statement, [
      {
        Action: 'ecs:ExecuteCommand',
        Condition: { StringEquals: { 'ecs:container-name': 'web' } },
        Effect: 'Allow',
        Resource: [
          clusterArn,
          {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':ecs:eu-west-1:123456789012:task/',
                { Ref: clusterId },
                '/*',
              ],
            ],
          },
        ],
      },
      {
        Action: ['ecs:DescribeServices', 'ecs:DescribeTasks', 'ecs:ListTasks'],
        Condition: { ArnEquals: { 'ecs:cluster': clusterArn } },
        Effect: 'Allow',
        Resource: '*',
      },
      { Action: 'kms:GenerateDataKey', Effect: 'Allow', Resource: { 'Fn::GetAtt': [keyId, 'Arn'] } },
      {
        Action: 'cloudformation:DescribeStacks',
        Effect: 'Allow',
        Resource: [stack('Data'), stack('Monitoring'), stack('Network'), stack('Service')],
      },
    ]);
    assert.equal(construct.exec?.operatorPolicy.node.id, 'ExecOperatorPolicy');
  });

  test("the operator policy's wildcards are each acknowledged with a reason", () => {
    const acks = acknowledged(construct.exec!.operatorPolicy);
    assert.deepEqual(Object.keys(acks).sort(), [
      'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:eu-west-1:123456789012:stack/Berth-Test-eu-west-1-Data/*]',
      'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:eu-west-1:123456789012:stack/Berth-Test-eu-west-1-Monitoring/*]',
      'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:eu-west-1:123456789012:stack/Berth-Test-eu-west-1-Network/*]',
      'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:eu-west-1:123456789012:stack/Berth-Test-eu-west-1-Service/*]',
      `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:eu-west-1:123456789012:task/<${only(resources, 'AWS::ECS::Cluster')[0]}>/*]`,
    ]);
    for (const reason of Object.values(acks)) {
      assert.ok(typeof reason === 'string' && reason.split(' ').length >= 5, JSON.stringify(reason));
    }
  });
});
