import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Cluster, type ClusterProps } from '../lib/constructs/cluster.js';
import { NAMES, PARAMETERS } from './fixtures/cart-config.js';
import { envStack, plainVpc } from './fixtures/platform.js';

function cluster(props: Partial<ClusterProps> = {}): Template {
  const stack = envStack();
  const vpc = plainVpc(stack);
  new Cluster(stack, 'Cluster', {
    envName: 'test',
    names: NAMES,
    vpc,
    instanceType: 't3.small',
    minInstances: 1,
    maxInstances: 3,
    ...props,
  });
  return Template.fromStack(stack);
}

const launchTemplateData = (template: Template) =>
  Object.values(template.findResources('AWS::EC2::LaunchTemplate'))[0]!.Properties.LaunchTemplateData;

describe('Cluster', () => {
  const template = cluster();

  test('Container Insights in enhanced mode', () => {
    template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enhanced' }],
    });
  });

  test('launch template: IMDSv2 only, hop limit 1, encrypted gp3 root volume, no public IP', () => {
    const data = launchTemplateData(template);
    assert.deepEqual(data.MetadataOptions, { HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
    assert.deepEqual(data.BlockDeviceMappings, [
      {
        DeviceName: '/dev/xvda',
        Ebs: { DeleteOnTermination: true, Encrypted: true, VolumeSize: 30, VolumeType: 'gp3' },
      },
    ]);
    assert.equal(data.NetworkInterfaces[0].AssociatePublicIpAddress, false);
    assert.equal(data.KeyName, undefined, 'no SSH key pair: Session Manager only');
  });

  test('task IAM roles are on, so tasks never need instance credentials', () => {
    const userData = JSON.stringify(launchTemplateData(template).UserData);
    assert.match(userData, /ECS_ENABLE_TASK_IAM_ROLE=true/);
    assert.match(userData, /ECS_CLUSTER=/);
  });

  test('ASG spans both private subnets with scale-in protection for managed termination', () => {
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '1',
      MaxSize: '3',
      NewInstancesProtectedFromScaleIn: true,
      VPCZoneIdentifier: [
        { Ref: Match.stringLikeRegexp('VpcPrivateSubnet1') },
        { Ref: Match.stringLikeRegexp('VpcPrivateSubnet2') },
      ],
    });
  });

  test('capacity provider: managed scaling to the target, termination protection, draining', () => {
    template.hasResourceProperties('AWS::ECS::CapacityProvider', {
      AutoScalingGroupProvider: {
        ManagedScaling: { Status: 'ENABLED', TargetCapacity: 100 },
        ManagedTerminationProtection: 'ENABLED',
        ManagedDraining: 'ENABLED',
      },
    });
    template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: [{ Ref: Match.anyValue() }],
    });
  });

  test('instance security group admits nothing until the load balancer is allowed in', () => {
    const groups = Object.values(template.findResources('AWS::EC2::SecurityGroup'));
    assert.equal(groups.length, 1);
    assert.equal(groups[0]!.Properties.SecurityGroupIngress, undefined);
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  test('instances are managed through Session Manager and report through the CloudWatch agent', () => {
    const awsManaged = (name: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::aws:policy/${name}`]],
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: [
        awsManaged('AmazonSSMManagedInstanceCore'),
        awsManaged('CloudWatchAgentServerPolicy'),
      ],
    });
  });

  test('the group publishes its metrics for the dashboard', () => {
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MetricsCollection: [{ Granularity: '1Minute' }],
    });
  });

  test('default AMI: AWS ECS-optimized AL2023, resolved by CloudFormation at deploy time', () => {
    const json = template.toJSON();
    const imageId = launchTemplateData(template).ImageId;
    const parameter = json.Parameters[imageId.Ref];
    assert.equal(parameter.Type, 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>');
    assert.equal(parameter.Default, '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id');
  });

  test('arm64 picks the arm64 ECS-optimized AMI', () => {
    const arm = cluster({ instanceType: 't4g.small', architecture: 'arm64' });
    const parameter = arm.toJSON().Parameters[launchTemplateData(arm).ImageId.Ref];
    assert.equal(
      parameter.Default,
      '/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id',
    );
  });

  describe('Berth AMI rollout', () => {
    // GIVEN the cluster boots from the AMI our pipeline publishes to SSM
    const berth = cluster({ amiSource: 'berth' });
    const json = berth.toJSON();

    test('the AMI id is a deploy-time SSM parameter, so a new value changes the launch template', () => {
      const imageId = launchTemplateData(berth).ImageId;
      assert.deepEqual(json.Parameters[imageId.Ref], {
        Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>',
        Default: PARAMETERS.ami('test', 'x86_64'),
      });
    });

    test('the ASG follows the latest launch template version', () => {
      const [ltId] = Object.keys(berth.findResources('AWS::EC2::LaunchTemplate'));
      berth.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
        LaunchTemplate: {
          LaunchTemplateId: { Ref: ltId },
          Version: { 'Fn::GetAtt': [ltId, 'LatestVersionNumber'] },
        },
      });
    });

    test('no update policy replaces or rolls the group: instance refresh does the rollout', () => {
      const asg = Object.values(berth.findResources('AWS::AutoScaling::AutoScalingGroup'))[0]!;
      const policy = asg.UpdatePolicy ?? {};
      assert.equal(policy.AutoScalingReplacingUpdate, undefined);
      assert.equal(policy.AutoScalingRollingUpdate, undefined);
      assert.equal(asg.CreationPolicy, undefined);
    });
  });

  test('rejects bad sizes and an instance type of the other architecture', () => {
    assert.throws(
      () => cluster({ minInstances: 4, maxInstances: 3 }),
      /maxInstances \(3\) must be >= 1 and >= minInstances \(4\)/,
    );
    assert.throws(() => cluster({ rootVolumeGiB: 8 }), /rootVolumeGiB \(8\) must be >= 30/);
    assert.throws(() => cluster({ targetCapacityPercent: 0 }), /targetCapacityPercent \(0\)/);
    assert.throws(
      () => cluster({ instanceType: 't4g.small', architecture: 'x86_64' }),
      /t4g\.small is arm64 but architecture is x86_64/,
    );
  });
});
