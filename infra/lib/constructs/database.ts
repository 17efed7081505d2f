import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
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
 * RDS PostgreSQL 16 in the private subnets: encrypted, backed up, TLS enforced, credentials generated into
 * Secrets Manager (host, port, username, password, dbname), and closed to every client until `allowFrom`.
 */
export class Database extends Construct {
  public static readonly PORT = 5432;
  public readonly instance: rds.DatabaseInstance;
  public readonly secret: secretsmanager.ISecret;
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly logGroups: readonly logs.LogGroup[];

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

    const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 });

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

    // Created here (not by RDS on first write) so retention is ours and the groups outlive a test teardown.
    const logTypes = ['postgresql', 'upgrade'];
    this.logGroups = logTypes.map(
      (type) =>
        new logs.LogGroup(this, `Log-${type}`, {
          logGroupName: `/aws/rds/instance/${props.identifier}/${type}`,
          retention: logRetention,
          removalPolicy: RemovalPolicy.RETAIN,
        }),
    );

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
      cloudwatchLogsExports: logTypes,
      enablePerformanceInsights: supportsPerformanceInsights(props.instanceClass),
      iamAuthentication: props.iamAuthentication ?? false,
      // Protected (prod) databases leave a final snapshot; unprotected (test) ones are disposable by design,
      // so `berth destroy` on test leaves nothing billable behind.
      removalPolicy: deletionProtection ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
    });
    for (const logGroup of this.logGroups) this.instance.node.addDependency(logGroup);
    this.secret = this.instance.secret!;

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

  /** Opens PostgreSQL to a peer. The rule lands in the peer's stack when it differs, so no reference cycle. */
  public allowFrom(
    peer: ec2.ISecurityGroup,
    description = 'PostgreSQL from the ECS container instances',
  ): void {
    this.securityGroup.addIngressRule(peer, ec2.Port.tcp(Database.PORT), description, true);
  }
}
