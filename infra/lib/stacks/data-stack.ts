import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import type { EnvironmentConfig, Region } from '../../config/environments.js';
import { Database } from '../constructs/database.js';
import type { AppNames } from '../naming.js';
import { retentionDays } from './retention.js';

export interface DataStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly region: Region;
  readonly vpc: ec2.IVpc;
  /** The app's names: the RDS instance identifier is unique per account and region. */
  readonly names: AppNames;
}

/** State: the database lives apart from the service so a service teardown never touches data. */
export class DataStack extends Stack {
  public readonly database: Database;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const db = props.config.database;
    this.database = new Database(this, 'Database', {
      vpc: props.vpc,
      identifier: props.names.resourcePrefix(props.config.name),
      instanceClass: db.instanceClass,
      allocatedStorageGiB: db.allocatedStorageGiB,
      maxAllocatedStorageGiB: db.maxAllocatedStorageGiB,
      multiAz: db.multiAz,
      deletionProtection: db.deletionProtection,
      backupRetentionDays: db.backupRetentionDays,
      logRetention: retentionDays(props.config.logRetentionDays),
    });
  }
}
