/**
 * The Network construct's inputs and the edges network.test.ts leaves open: which ranges the /16 check admits, the
 * NAT gateway count check, a flow-log retention and removal policy given by the caller, and where the endpoints
 * sit (the S3 gateway on the private route tables only, each interface endpoint in both private subnets) behind a
 * group that opens nothing outward. A bare stack, no cdk-nag: a mutant costs one small synthesis.
 * Expected values are literals from AWS documentation ("VPC CIDR blocks": a VPC range is a /16 to /28 in dotted
 * IPv4; "Gateway endpoints": associated with route tables; "Access an AWS service using an interface VPC endpoint":
 * one endpoint network interface per subnet; CloudWatch Logs PutRetentionPolicy's day counts) and Berth's design.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Network, type NetworkProps } from '../lib/constructs/network.js';

// biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON, read field by field
type Json = any;

const ZONES = ['ca-central-1a', 'ca-central-1b'] as const;

function network(props: Partial<NetworkProps> = {}): Record<string, Json> {
  const stack = new Stack(new App(), 'Net', {
    env: { account: '123450987654', region: 'ca-central-1' },
  });
  new Network(stack, 'Network', { cidr: '10.7.0.0/16', availabilityZones: ZONES, ...props });
  return Template.fromStack(stack).toJSON().Resources;
}

const ofType = (resources: Record<string, Json>, type: string) =>
  Object.entries(resources).filter(([, r]) => r.Type === type);

/** Subnet logical id → its CIDR; route table logical id → the CIDR of the subnet it serves. */
function routeTableCidrs(resources: Record<string, Json>): Map<string, string> {
  const subnetCidr = new Map(
    ofType(resources, 'AWS::EC2::Subnet').map(([id, r]) => [id, r.Properties.CidrBlock]),
  );
  return new Map(
    ofType(resources, 'AWS::EC2::SubnetRouteTableAssociation').map(([, r]) => [
      r.Properties.RouteTableId.Ref,
      subnetCidr.get(r.Properties.SubnetId.Ref) as string,
    ]),
  );
}

describe('Network: the /16 check', () => {
  test('admits any /16 whose last two octets are zero, with one to three digits per octet', () => {
    for (const cidr of ['10.7.0.0/16', '172.31.0.0/16', '192.168.0.0/16', '1.2.0.0/16']) {
      assert.doesNotThrow(() => network({ cidr }), cidr);
    }
  });

  test('refuses anything else, naming the value and an example', () => {
    for (const cidr of [
      '10.7.0.0/20',
      '10.7.0.0/8',
      '10.7.0.0/160',
      '10.7.0.0/16 ',
      ' 10.7.0.0/16',
      'x10.7.0.0/16',
      '10.7.1.0/16',
      '10.7.0.1/16',
      '1000.7.0.0/16',
      '10.7000.0.0/16',
      '.7.0.0/16',
      '10..0.0/16',
      'a.b.0.0/16',
      '10-7-0-0/16',
    ]) {
      assert.throws(
        () => network({ cidr }),
        (error: Error) => error.message === `Network cidr (${cidr}) must be a /16 such as 10.0.0.0/16`,
        JSON.stringify(cidr),
      );
    }
  });
});

describe('Network: subnet groups', () => {
  test('named Public and Private (the names are in every subnet logical id: renaming one replaces its subnets)', () => {
    const groups = ofType(network(), 'AWS::EC2::Subnet').map(([, r]) => {
      const tag = (key: string) => r.Properties.Tags.find((t: Json) => t.Key === key)?.Value;
      return `${r.Properties.CidrBlock} ${tag('aws-cdk:subnet-name')} ${tag('aws-cdk:subnet-type')}`;
    });
    assert.deepEqual(groups.sort(), [
      '10.7.0.0/24 Public Public',
      '10.7.1.0/24 Public Public',
      '10.7.2.0/24 Private Private',
      '10.7.3.0/24 Private Private',
    ]);
  });
});

describe('Network: NAT gateways', () => {
  test('refuses a count other than 1 or 2, naming it', () => {
    for (const natGateways of [0, 3]) {
      assert.throws(
        () => network({ natGateways: natGateways as 1 }),
        (error: Error) => error.message === `Network natGateways (${natGateways}) must be 1 or 2`,
      );
    }
  });

  test('one by default, in a public subnet', () => {
    const resources = network();
    const gateways = ofType(resources, 'AWS::EC2::NatGateway');
    assert.equal(gateways.length, 1);
    const subnets = Object.fromEntries(ofType(resources, 'AWS::EC2::Subnet'));
    assert.equal(subnets[gateways[0]![1].Properties.SubnetId.Ref].Properties.CidrBlock, '10.7.0.0/24');
  });
});

describe('Network: flow logs', () => {
  test("the caller's retention and removal policy replace the defaults", () => {
    const resources = network({
      flowLogRetention: logs.RetentionDays.ONE_YEAR,
      flowLogRemovalPolicy: RemovalPolicy.DESTROY,
    });
    const [[, group]] = ofType(resources, 'AWS::Logs::LogGroup') as [[string, Json]];
    assert.equal(group.Properties.RetentionInDays, 365);
    assert.equal(group.DeletionPolicy, 'Delete');
  });

  test('by default: 30 days, kept when the stack is deleted', () => {
    const [[, group]] = ofType(network(), 'AWS::Logs::LogGroup') as [[string, Json]];
    assert.equal(group.Properties.RetentionInDays, 30);
    assert.equal(group.DeletionPolicy, 'Retain');
  });

  test('the flow log writes to that group', () => {
    const resources = network();
    const [[groupId]] = ofType(resources, 'AWS::Logs::LogGroup') as [[string, Json]];
    const [[, flowLog]] = ofType(resources, 'AWS::EC2::FlowLog') as [[string, Json]];
    assert.deepEqual(flowLog.Properties.LogGroupName, { Ref: groupId });
    assert.equal(flowLog.Properties.TrafficType, 'ALL');
  });
});

describe('Network: VPC endpoints', () => {
  const resources = network({ vpcEndpoints: true });
  const endpoints = ofType(resources, 'AWS::EC2::VPCEndpoint').map(([, r]) => r.Properties);
  const subnetCidr = new Map(
    ofType(resources, 'AWS::EC2::Subnet').map(([id, r]) => [id, r.Properties.CidrBlock]),
  );

  test('the S3 gateway is on the two private route tables only', () => {
    const [gateway] = endpoints.filter((e) => e.VpcEndpointType === 'Gateway');
    const tables = routeTableCidrs(resources);
    assert.deepEqual(gateway.RouteTableIds.map((table: Json) => tables.get(table.Ref)).sort(), [
      '10.7.2.0/24',
      '10.7.3.0/24',
    ]);
  });

  test('each interface endpoint has a network interface in both private subnets', () => {
    const interfaces = endpoints.filter((e) => e.VpcEndpointType === 'Interface');
    assert.equal(interfaces.length, 11);
    for (const endpoint of interfaces) {
      assert.deepEqual(endpoint.SubnetIds.map((subnet: Json) => subnetCidr.get(subnet.Ref)).sort(), [
        '10.7.2.0/24',
        '10.7.3.0/24',
      ]);
    }
  });

  test('their group says what it is for and allows no outbound traffic', () => {
    const [[, group]] = ofType(resources, 'AWS::EC2::SecurityGroup') as [[string, Json]];
    assert.equal(
      group.Properties.GroupDescription,
      'Interface VPC endpoints: HTTPS from inside the VPC only',
    );
    // CDK's stand-in for "no egress": a rule matching no traffic (ICMP type 252, code 86, to 255.255.255.255/32).
    assert.deepEqual(group.Properties.SecurityGroupEgress, [
      {
        CidrIp: '255.255.255.255/32',
        Description: 'Disallow all traffic',
        FromPort: 252,
        IpProtocol: 'icmp',
        ToPort: 86,
      },
    ]);
  });
});
