import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AVAILABILITY_ZONES } from '../config/environments.js';
import { Network, type NetworkProps } from '../lib/constructs/network.js';
import { stackName } from './fixtures/cart-config.js';
import { envStack, REGION, synthesize, withEnvironment } from './fixtures/platform.js';

function network(props: Partial<NetworkProps> = {}): Template {
  const stack = envStack();
  new Network(stack, 'Network', {
    cidr: '10.4.0.0/16',
    availabilityZones: AVAILABILITY_ZONES[REGION],
    ...props,
  });
  return Template.fromStack(stack);
}

function subnetCidrs(template: Template): { cidr: string; az: string; public: boolean }[] {
  return Object.values(template.findResources('AWS::EC2::Subnet')).map((r) => ({
    cidr: r.Properties.CidrBlock,
    az: r.Properties.AvailabilityZone,
    public: r.Properties.Tags.some((t: { Key: string; Value: string }) => t.Value === 'Public'),
  }));
}

describe('Network', () => {
  const oneNat = network({ natGateways: 1 });

  test('carves four /24s in order: public a, public b, private a, private b', () => {
    const subnets = subnetCidrs(oneNat).sort((a, b) => a.cidr.localeCompare(b.cidr));
    assert.deepEqual(subnets, [
      { cidr: '10.4.0.0/24', az: 'eu-west-1a', public: true },
      { cidr: '10.4.1.0/24', az: 'eu-west-1b', public: true },
      { cidr: '10.4.2.0/24', az: 'eu-west-1a', public: false },
      { cidr: '10.4.3.0/24', az: 'eu-west-1b', public: false },
    ]);
    oneNat.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.4.0.0/16' });
    oneNat.resourceCountIs('AWS::EC2::InternetGateway', 1);
  });

  test('public subnets do not hand out public IPs by themselves', () => {
    for (const subnet of Object.values(oneNat.findResources('AWS::EC2::Subnet'))) {
      assert.notEqual(subnet.Properties.MapPublicIpOnLaunch, true);
    }
  });

  test('NAT gateways: one shared (test) or one per AZ (prod)', () => {
    oneNat.resourceCountIs('AWS::EC2::NatGateway', 1);
    network({ natGateways: 2 }).resourceCountIs('AWS::EC2::NatGateway', 2);
  });

  test('flow logs of all traffic go to a CloudWatch log group with a retention', () => {
    oneNat.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
    });
    oneNat.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    oneNat.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
  });

  test('no VPC endpoints unless asked for', () => {
    oneNat.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
  });

  test('vpcEndpoints adds the ECR, ECS, logs, secrets, Session Manager and metrics endpoints and an S3 gateway', () => {
    const template = network({ vpcEndpoints: true });
    const endpoints = Object.values(template.findResources('AWS::EC2::VPCEndpoint'));
    // com.amazonaws.<region>.<service>: the last segment names the service.
    const services = endpoints
      .filter((e) => e.Properties.VpcEndpointType === 'Interface')
      .map((e) => String(e.Properties.ServiceName).split('.').at(-1))
      .sort();
    assert.deepEqual(
      services,
      [
        'ec2messages',
        'ecs',
        'ecs-agent',
        'ecs-telemetry',
        'logs',
        'monitoring',
        'secretsmanager',
        'ssm',
        'ssmmessages',
        // ecr.api and ecr.dkr end in api and dkr
        'api',
        'dkr',
      ].sort(),
    );
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['.s3'])]) }),
    });
  });

  test('the interface endpoints share one security group that admits HTTPS from the VPC range only', () => {
    const template = network({ vpcEndpoints: true });
    const groups = template.findResources('AWS::EC2::SecurityGroup');
    assert.equal(Object.keys(groups).length, 1, 'one group for all endpoints, not one each');
    const [groupId, group] = Object.entries(groups)[0]!;
    // The VPC's range as a literal (a CidrBlock token is what cdk-nag AwsSolutions-EC23 cannot validate);
    // interface endpoints answer on 443 only (AWS PrivateLink guide, "Access an AWS service using an
    // interface VPC endpoint").
    assert.deepEqual(group.Properties.SecurityGroupIngress, [
      {
        CidrIp: '10.4.0.0/16',
        Description: 'HTTPS from the VPC',
        FromPort: 443,
        IpProtocol: 'tcp',
        ToPort: 443,
      },
    ]);
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    // No egress: an endpoint only answers.
    for (const rule of group.Properties.SecurityGroupEgress ?? []) {
      assert.notEqual(rule.CidrIp, '0.0.0.0/0');
    }
    const interfaces = Object.values(template.findResources('AWS::EC2::VPCEndpoint')).filter(
      (e) => e.Properties.VpcEndpointType === 'Interface',
    );
    assert.equal(interfaces.length, 11);
    for (const endpoint of interfaces) {
      assert.deepEqual(endpoint.Properties.SecurityGroupIds, [{ 'Fn::GetAtt': [groupId, 'GroupId'] }]);
      assert.equal(endpoint.Properties.PrivateDnsEnabled, true);
    }
  });

  test('the environment synthesizes with endpoints on, cdk-nag clean without an acknowledgement', () => {
    const app = withEnvironment(
      'prod',
      (c) => ({ ...c, network: { ...c.network, vpcEndpoints: true } }),
      () => synthesize({ environments: ['prod'] }),
    );
    assert.equal(app.synthError, null, String(app.synthError));
    assert.deepEqual(
      app.nagViolations.map((v) => `${v.rule} at ${v.path}`),
      [],
    );
    const resources = Object.values(app.json(stackName('prod', REGION, 'Network')).Resources) as {
      Type: string;
      // biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON
      Properties: any;
      Metadata?: Record<string, unknown>;
    }[];
    const groups = resources.filter((r) => r.Type === 'AWS::EC2::SecurityGroup');
    assert.equal(groups.length, 1, "the network stack has one security group: the endpoints'");
    const endpointGroup = groups[0]!;
    // prod's VPC range (infra/config/environments.ts), and no suppression on the group.
    assert.equal(endpointGroup.Properties.SecurityGroupIngress[0].CidrIp, '10.1.0.0/16');
    assert.equal(endpointGroup.Metadata?.cdk_nag, undefined);
  });

  test('rejects a CIDR that is not a /16', () => {
    assert.throws(() => network({ cidr: '10.4.0.0/20' }), /Network cidr \(10\.4\.0\.0\/20\) must be a \/16/);
  });
});
