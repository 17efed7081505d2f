/**
 * Which security group guards the database and where `allowFrom`'s rule lands when the peer lives in another
 * stack (the Service stack's instances reaching the Data stack's database). Bare stacks, no cdk-nag.
 * Expected values: AWS::RDS::DBInstance `VPCSecurityGroups` (without it RDS attaches the VPC's default group) and
 * Berth's design: the rule goes to the peer's stack, so the Data stack never references a Service stack (no
 * cross-stack cycle, and deleting a service stack removes its own rule).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Database } from '../lib/constructs/database.js';

// biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON, read field by field
type Json = any;

const env = { account: '890123456789', region: 'eu-west-3' };
const app = new App();
const data = new Stack(app, 'Data', { env });
const vpc = new ec2.Vpc(data, 'Vpc', { maxAzs: 2, natGateways: 1 });
const database = new Database(data, 'Database', { vpc, identifier: 'groups-db', instanceClass: 't4g.small' });
const service = new Stack(app, 'Service', { env });
const instances = new ec2.SecurityGroup(service, 'Instances', { vpc });
database.allowFrom(instances, 'PostgreSQL from the shop instances');
const dataResources = Template.fromStack(data).toJSON().Resources as Record<string, Json>;
const serviceResources = Template.fromStack(service).toJSON().Resources as Record<string, Json>;
const ofType = (resources: Record<string, Json>, type: string) =>
  Object.entries(resources).filter(([, r]) => r.Type === type);

describe('Database security groups', () => {
  test('the instance is in its own group, and only that one', () => {
    const [[, instance]] = ofType(dataResources, 'AWS::RDS::DBInstance') as [[string, Json]];
    const groupId = Object.entries(dataResources).find(
      ([, r]) =>
        r.Type === 'AWS::EC2::SecurityGroup' &&
        String(r.Properties.GroupDescription).startsWith('PostgreSQL'),
    )![0];
    assert.deepEqual(instance.Properties.VPCSecurityGroups, [{ 'Fn::GetAtt': [groupId, 'GroupId'] }]);
  });

  test("allowFrom a peer in another stack puts the rule in the peer's stack", () => {
    assert.equal(ofType(dataResources, 'AWS::EC2::SecurityGroupIngress').length, 0);
    const rules = ofType(serviceResources, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties);
    assert.equal(rules.length, 1);
    assert.equal(rules[0].Description, 'PostgreSQL from the shop instances');
    assert.equal(rules[0].FromPort, 5432);
    assert.equal(rules[0].ToPort, 5432);
  });
});
