import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface DatabaseProps {
  readonly vpc: ec2.IVpc;
  /** RDS instance class without the `db.` prefix, e.g. `t4g.micro`. */
  readonly instanceClass: string;
  /**
   * Name used for the instance identifier (and so its log group names); unique per account and region.
   */
  readonly identifier: string;
  /**
   * Initial storage; grows automatically up to maxAllocatedStorageGiB.
   * @default 20
   */
  readonly allocatedStorageGiB?: number;
  /**
   * Storage autoscaling ceiling.
   * @default allocatedStorageGiB - autoscaling off
   */
  readonly maxAllocatedStorageGiB?: number;
  /**
   * Standby in a second AZ with automatic failover.
   * @default false - single AZ (test); prod must turn it on
   */
  readonly multiAz?: boolean;
  /**
   * Refuse DeleteDBInstance until turned off; also switches the removal policy to SNAPSHOT.
   * @default false - the instance is disposable (test)
   */
  readonly deletionProtection?: boolean;
  /**
   * Days of automated backups (point-in-time restore window).
   * @default 1
   */
  readonly backupRetentionDays?: number;
  /**
   * Retention of the exported PostgreSQL log groups.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Allow IAM database authentication in addition to the generated password.
   * @default false
   */
  readonly iamAuthentication?: boolean;
  /**
   * Database created at launch, also the `dbname` field of the secret.
   * @default 'berth'
   */
  readonly databaseName?: string;
}

/** Burstable t2 classes are the only PostgreSQL classes without Performance Insights. */
function supportsPerformanceInsights(instanceClass: string): boolean {
  return !instanceClass.startsWith('t2.');
}

/**
 * RDS PostgreSQL 18 in the private subnets: encrypted, backed up, TLS enforced, credentials generated into
 * Secrets Manager (host, port, username, password, dbname), and closed to every client until `allowFrom`.
 */
export class Database extends Construct {
  public static readonly PORT = 5432;
  public readonly instance: rds.DatabaseInstance;
  public readonly secret: secretsmanager.ISecret;
  public readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const allocatedStorageGiB = props.allocatedStorageGiB ?? 20;
    const maxAllocatedStorageGiB = props.maxAllocatedStorageGiB ?? allocatedStorageGiB;
    const multiAz = props.multiAz ?? false;
    const deletionProtection = props.deletionProtection ?? false;
    const backupRetentionDays = props.backupRetentionDays ?? 1;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const databaseName = props.databaseName ?? 'berth';

    if (!/^[a-z][a-z0-9]*\.[a-z0-9]+$/.test(props.instanceClass)) {
      throw new Error(
        `Database instanceClass (${props.instanceClass}) must be a class without the db. prefix, such as t4g.micro`,
      );
    }
    if (!/^[a-z][a-z0-9-]{0,62}$/.test(props.identifier) || props.identifier.endsWith('-')) {
      throw new Error(
        `Database identifier (${props.identifier}) must be lowercase letters, digits and hyphens, starting with a letter`,
      );
    }
    if (maxAllocatedStorageGiB < allocatedStorageGiB) {
      throw new Error(
        `Database maxAllocatedStorageGiB (${maxAllocatedStorageGiB}) must be >= allocatedStorageGiB (${allocatedStorageGiB})`,
      );
    }
    if (!Number.isInteger(backupRetentionDays) || backupRetentionDays < 1 || backupRetentionDays > 35) {
      throw new Error(
        `Database backupRetentionDays (${backupRetentionDays}) must be 1 to 35; 0 would disable backups`,
      );
    }

    // PostgreSQL 18, the major the local embedded server runs. The minor is pinned to the newest aws-cdk-lib knows;
    // RDS applies later minors in the maintenance window (autoMinorVersionUpgrade). Upgrading an existing 16:
    // docs/architecture.md, "Upgrading PostgreSQL".
    const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_18_3 });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'PostgreSQL: ingress only from security groups passed to allowFrom',
      allowAllOutbound: false,
    });

    const parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: 'Berth PostgreSQL: TLS required for every connection',
      parameters: { 'rds.force_ssl': '1' },
    });

    // RDS names its log groups itself (/aws/rds/instance/<identifier>/<type>), so the names are fixed. Owning
    // them in this stack would need Retain (logs outlive a teardown) and a retained fixed name makes the next
    // create fail with "already exists" (after `berth destroy`, or a failed first create). Instead CDK's log
    // retention resource sets the retention on the groups whether RDS or a previous stack created them, and
    // leaves them in place on delete.
    const logTypes = ['postgresql', 'upgrade'];
    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      engine,
      instanceIdentifier: props.identifier,
      instanceType: new ec2.InstanceType(props.instanceClass),
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [this.securityGroup],
      port: Database.PORT,
      publiclyAccessible: false,
      databaseName,
      // The CDK-generated secret is attached to the instance, so it carries host, port and dbname too:
      // the task reads PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE from it.
      credentials: rds.Credentials.fromGeneratedSecret('berth'),
      parameterGroup,
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      storageEncrypted: true,
      storageType: rds.StorageType.GP3,
      allocatedStorage: allocatedStorageGiB,
      maxAllocatedStorage: maxAllocatedStorageGiB > allocatedStorageGiB ? maxAllocatedStorageGiB : undefined,
      multiAz,
      deletionProtection,
      backupRetention: Duration.days(backupRetentionDays),
      deleteAutomatedBackups: !deletionProtection,
      autoMinorVersionUpgrade: true,
      // Lets a change of the major version (16 → 18) upgrade in place instead of failing the update;
      // RDS snapshots before and after a major upgrade when backups are on.
      allowMajorVersionUpgrade: true,
      cloudwatchLogsExports: logTypes,
      cloudwatchLogsRetention: logRetention,
      enablePerformanceInsights: supportsPerformanceInsights(props.instanceClass),
      iamAuthentication: props.iamAuthentication ?? false,
      // Protected (prod) databases leave a final snapshot; unprotected (test) ones are disposable by design,
      // so `berth destroy` on test leaves nothing billable behind.
      removalPolicy: deletionProtection ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
    });
    this.secret = this.instance.secret!;
    this.acknowledgeLogRetentionFunction();

    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions::AwsSolutions-RDS11',
      reason:
        'The default port is kept on purpose: access is closed by the security group, not by obscurity.',
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason:
        'Tasks read the password at start; rotation without rolling the service would break connections. Rotate with a deploy.',
    });
    if (!multiAz) {
      Validations.of(this.instance).acknowledge({
        id: 'AwsSolutions::AwsSolutions-RDS3',
        reason: 'Single-AZ is the test environment; config validation requires Multi-AZ in prod.',
      });
    }
    if (!deletionProtection) {
      Validations.of(this.instance).acknowledge({
        id: 'AwsSolutions::AwsSolutions-RDS10',
        reason: 'Test databases are disposable; config validation requires deletion protection in prod.',
      });
    }
  }

  /** CDK's log retention function (one per stack, created by `cloudwatchLogsRetention`) is AWS-maintained code. */
  private acknowledgeLogRetentionFunction(): void {
    const fn = Stack.of(this)
      .node.children.filter((c) => c.node.id.startsWith('LogRetention'))
      .at(0);
    if (!fn) throw new Error('Database: the log retention function was not created');
    Validations.of(fn).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "CDK's log retention function writes only its own logs; AWS maintains this minimal policy for it.",
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          "CDK's log retention function grants logs:PutRetentionPolicy/DeleteRetentionPolicy on *; it only ever sets retention on the RDS log groups named here.",
      },
    );
  }

  /** Opens PostgreSQL to a peer. The rule lands in the peer's stack when it differs, so no reference cycle. */
  public allowFrom(
    peer: ec2.ISecurityGroup,
    description = 'PostgreSQL from the ECS container instances',
  ): void {
    this.securityGroup.addIngressRule(peer, ec2.Port.tcp(Database.PORT), description, true);
  }
}
