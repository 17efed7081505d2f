/**
 * The Database construct's template, property by property, and the edges of what it accepts. Expected values
 * are literals from RDS's documentation: DB instance identifier rules ("Naming constraints in Amazon RDS":
 * 1 to 63 letters, digits or hyphens, first a letter, not ending with a hyphen), backup retention 1-35 days
 * (0 disables backups; "Introduction to backups"), instance classes (`db.` + class), Performance Insights
 * (not on db.t2), and the CloudFormation AWS::RDS::DBInstance property names.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { IConstruct } from 'constructs';
import { Database, type DatabaseProps } from '../lib/constructs/database.js';
import { envStack, plainVpc } from './fixtures/platform.js';

function database(props: Partial<DatabaseProps> = {}, allowFrom = false) {
  const stack = envStack();
  const vpc = plainVpc(stack);
  const db = new Database(stack, 'Database', {
    vpc,
    identifier: 'berth-contract',
    instanceClass: 't4g.micro',
    ...props,
  });
  if (allowFrom) db.allowFrom(new ec2.SecurityGroup(stack, 'Peer', { vpc, description: 'peer' }));
  const template = Template.fromStack(stack);
  const [, instance] = Object.entries(template.findResources('AWS::RDS::DBInstance'))[0]!;
  return { stack, db, template, instance: instance.Properties };
}

/** The `Validations.acknowledge` entries recorded on a construct: rule id → reason. */
function acknowledged(construct: IConstruct): Record<string, unknown> {
  return Object.assign(
    {},
    ...construct.node.metadata
      .filter((e) => e.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .map((e) => e.data as Record<string, unknown>),
  );
}

describe('Database contract: defaults', () => {
  const { template, instance, db, stack } = database({}, true);

  test('20 GiB, no storage autoscaling, database "berth", IAM authentication off, minor upgrades on', () => {
    assert.equal(instance.AllocatedStorage, '20');
    assert.equal(instance.MaxAllocatedStorage, undefined);
    assert.equal(instance.DBName, 'berth');
    assert.equal(instance.EnableIAMDatabaseAuthentication, false);
    assert.equal(instance.AutoMinorVersionUpgrade, true);
  });

  test('an unprotected (test) database deletes its automated backups with it', () => {
    assert.equal(instance.DeleteAutomatedBackups, true);
  });

  test('the parameter group says why it exists', () => {
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Description: 'Berth PostgreSQL: TLS required for every connection',
    });
  });

  test('allowFrom describes its rule', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      Description: 'PostgreSQL from the ECS container instances',
    });
  });

  test('every acknowledgement states its reason; test silences single-AZ and deletion protection only here', () => {
    const onInstance = acknowledged(db.instance);
    assert.deepEqual(Object.keys(onInstance).sort(), [
      'AwsSolutions::AwsSolutions-RDS10',
      'AwsSolutions::AwsSolutions-RDS11',
      'AwsSolutions::AwsSolutions-RDS3',
    ]);
    const logRetention = stack.node.children.find((c) => c.node.id.startsWith('LogRetention'));
    assert.ok(logRetention, "CDK's log retention function");
    const onFunction = acknowledged(logRetention);
    assert.deepEqual(Object.keys(onFunction).sort(), [
      'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    ]);
    const onDatabase = acknowledged(db);
    assert.deepEqual(Object.keys(onDatabase), ['AwsSolutions::AwsSolutions-SMG4']);
    for (const reason of [
      ...Object.values(onInstance),
      ...Object.values(onFunction),
      ...Object.values(onDatabase),
    ]) {
      assert.ok(
        typeof reason === 'string' && reason.split(' ').length >= 5,
        `reason: ${JSON.stringify(reason)}`,
      );
    }
  });
});

describe('Database contract: options', () => {
  test('a protected (prod) database keeps its automated backups and acknowledges neither RDS3 nor RDS10', () => {
    const { instance, db } = database({ multiAz: true, deletionProtection: true });
    assert.equal(instance.DeleteAutomatedBackups, false);
    assert.deepEqual(Object.keys(acknowledged(db.instance)), ['AwsSolutions::AwsSolutions-RDS11']);
  });

  test('storage autoscaling from the given size up to the given ceiling', () => {
    const { instance } = database({ allocatedStorageGiB: 25, maxAllocatedStorageGiB: 60 });
    assert.equal(instance.AllocatedStorage, '25');
    assert.equal(instance.MaxAllocatedStorage, 60);
  });

  test('a ceiling equal to the size means no autoscaling', () => {
    assert.equal(
      database({ allocatedStorageGiB: 40, maxAllocatedStorageGiB: 40 }).instance.MaxAllocatedStorage,
      undefined,
    );
  });

  test('database name, IAM authentication and log retention as given', () => {
    const { instance, template } = database({
      databaseName: 'shop',
      iamAuthentication: true,
      logRetention: 90,
    });
    assert.equal(instance.DBName, 'shop');
    assert.equal(instance.EnableIAMDatabaseAuthentication, true);
    template.hasResourceProperties('Custom::LogRetention', { RetentionInDays: 90 });
  });

  test('Performance Insights on a general-purpose class too', () => {
    // db.t2 (no Performance Insights) cannot run PostgreSQL 18: CloudFormation validation refuses it at synth.
    assert.equal(database({ instanceClass: 'm5.large' }).instance.EnablePerformanceInsights, true);
  });
});

describe('Database contract: what it refuses', () => {
  const refuses = (props: Partial<DatabaseProps>, message: string) =>
    assert.throws(
      () => database(props),
      (error: Error) => error.message === message,
      JSON.stringify(props),
    );

  test('instance classes: a family and a size without the db. prefix', () => {
    for (const instanceClass of ['t4g.micro', 'm5.large', 'r6g.2xlarge']) {
      assert.doesNotThrow(() => database({ instanceClass }), instanceClass);
    }
    for (const instanceClass of [
      'db.t4g.micro',
      'T4g.micro',
      '4t.micro',
      't4g',
      't4g.',
      '.micro',
      't4g.micro ',
    ]) {
      refuses(
        { instanceClass },
        `Database instanceClass (${instanceClass}) must be a class without the db. prefix, such as t4g.micro`,
      );
    }
  });

  test('identifiers: 1 to 63 lowercase letters, digits and hyphens, a letter first, no hyphen last', () => {
    for (const identifier of ['a', 'berth-prod-2', `a${'b1-'.repeat(20)}xy`]) {
      assert.doesNotThrow(() => database({ identifier }), identifier);
    }
    for (const identifier of ['Berth', '1berth', '-berth', 'berth-', 'berth_db', `a${'b'.repeat(63)}`, '']) {
      refuses(
        { identifier },
        `Database identifier (${identifier}) must be lowercase letters, digits and hyphens, starting with a letter`,
      );
    }
  });

  test('backup retention: whole days from 1 to 35', () => {
    assert.equal(database({ backupRetentionDays: 35 }).instance.BackupRetentionPeriod, 35);
    for (const days of [0, 36, 1.5]) {
      refuses(
        { backupRetentionDays: days },
        `Database backupRetentionDays (${days}) must be 1 to 35; 0 would disable backups`,
      );
    }
  });

  test('a storage ceiling below the initial size', () => {
    refuses(
      { allocatedStorageGiB: 30, maxAllocatedStorageGiB: 29 },
      'Database maxAllocatedStorageGiB (29) must be >= allocatedStorageGiB (30)',
    );
  });
});
