import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Database, type DatabaseProps } from '../lib/constructs/database.js';
import { envStack, plainVpc } from './fixtures/platform.js';

function database(props: Partial<DatabaseProps> = {}, allowInstances = false): Template {
  const stack = envStack();
  const vpc = plainVpc(stack);
  const db = new Database(stack, 'Database', {
    vpc,
    identifier: 'berth-test',
    instanceClass: 't4g.micro',
    ...props,
  });
  if (allowInstances) {
    db.allowFrom(new ec2.SecurityGroup(stack, 'Instances', { vpc, description: 'instances' }));
  }
  return Template.fromStack(stack);
}

const dbSecurityGroupId = (template: Template) =>
  Object.entries(template.findResources('AWS::EC2::SecurityGroup')).find(([, r]) =>
    String(r.Properties.GroupDescription).startsWith('PostgreSQL'),
  )![0];

describe('Database', () => {
  // GIVEN the test defaults and the prod settings
  const test_ = database({}, true);
  const prod = database({ multiAz: true, deletionProtection: true, backupRetentionDays: 7 });

  test('PostgreSQL 18, encrypted gp3 storage, private, with backups and exported logs', () => {
    test_.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'postgres',
      EngineVersion: '18.3',
      DBInstanceClass: 'db.t4g.micro',
      StorageEncrypted: true,
      StorageType: 'gp3',
      PubliclyAccessible: false,
      BackupRetentionPeriod: 1,
      EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
      EnablePerformanceInsights: true,
      CACertificateIdentifier: 'rds-ca-rsa2048-g1',
      // A later major (and the 16 → 18 upgrade of an existing database) applies in place instead of failing.
      AllowMajorVersionUpgrade: true,
    });
    test_.hasResourceProperties('AWS::RDS::DBParameterGroup', { Family: 'postgres18' });
  });

  test('the RDS log groups get a retention without being owned (and retained) under their fixed names', () => {
    // Owned + Retain + a name RDS dictates = "already exists" on the next create after a teardown.
    test_.resourceCountIs('AWS::Logs::LogGroup', 0);
    for (const type of ['postgresql', 'upgrade']) {
      test_.hasResourceProperties('Custom::LogRetention', {
        LogGroupName: { 'Fn::Join': ['', ['/aws/rds/instance/', { Ref: Match.anyValue() }, `/${type}`]] },
        RetentionInDays: 30,
      });
    }
  });

  test('TLS is enforced by the parameter group', () => {
    test_.hasResourceProperties('AWS::RDS::DBParameterGroup', { Parameters: { 'rds.force_ssl': '1' } });
  });

  test('credentials are generated into Secrets Manager and attached (host, port, dbname)', () => {
    test_.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"berth"}' }),
    });
    test_.resourceCountIs('AWS::SecretsManager::SecretTargetAttachment', 1);
  });

  test('test: single AZ, no deletion protection, removed with the stack', () => {
    test_.hasResource('AWS::RDS::DBInstance', {
      Properties: Match.objectLike({ MultiAZ: false, DeletionProtection: false }),
      DeletionPolicy: 'Delete',
    });
  });

  test('prod: Multi-AZ, deletion protection, final snapshot on removal, 7 days of backups', () => {
    prod.hasResource('AWS::RDS::DBInstance', {
      Properties: Match.objectLike({ MultiAZ: true, DeletionProtection: true, BackupRetentionPeriod: 7 }),
      DeletionPolicy: 'Snapshot',
      UpdateReplacePolicy: 'Snapshot',
    });
  });

  test('security group: no ingress and no egress until allowFrom', () => {
    const groups = prod.findResources('AWS::EC2::SecurityGroup');
    const sg = groups[dbSecurityGroupId(prod)]!;
    assert.equal(sg.Properties.SecurityGroupIngress, undefined);
    // CDK's marker for "no egress": a rule matching nothing.
    assert.deepEqual(
      sg.Properties.SecurityGroupEgress.map((e: { CidrIp: string }) => e.CidrIp),
      ['255.255.255.255/32'],
    );
    prod.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  test('allowFrom opens 5432 to that security group only', () => {
    test_.resourceCountIs('AWS::EC2::SecurityGroupIngress', 1);
    test_.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 5432,
      ToPort: 5432,
      GroupId: { 'Fn::GetAtt': [dbSecurityGroupId(test_), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Instances'), 'GroupId'] },
    });
  });

  test('rejects bad classes, identifiers, storage and backup settings', () => {
    assert.throws(() => database({ instanceClass: 'db.t4g.micro' }), /instanceClass \(db\.t4g\.micro\)/);
    assert.throws(() => database({ identifier: 'Berth_Test' }), /identifier \(Berth_Test\)/);
    assert.throws(
      () => database({ allocatedStorageGiB: 50, maxAllocatedStorageGiB: 20 }),
      /maxAllocatedStorageGiB \(20\) must be >= allocatedStorageGiB \(50\)/,
    );
    assert.throws(() => database({ backupRetentionDays: 0 }), /backupRetentionDays \(0\) must be 1 to 35/);
  });
});
