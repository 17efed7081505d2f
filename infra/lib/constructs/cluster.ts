import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { AmiSource, Architecture, EnvName, Region } from '../../config/environments.js';
import { type AppNames, COMPONENTS } from '../naming.js';

export interface ClusterProps {
  readonly envName: EnvName;
  /** The app's names: its AMI parameter (`amiSource: 'berth'`) and the stacks `berth exec` operators may read. */
  readonly names: AppNames;
  readonly vpc: ec2.IVpc;
  /** EC2 instance type of the container instances, e.g. `t3.small`; must match `architecture`. */
  readonly instanceType: string;
  /**
   * CPU architecture; picks the ECS-optimized AMI variant or the Berth AMI parameter.
   * @default 'x86_64'
   */
  readonly architecture?: Architecture;
  /**
   * Where the AMI id comes from. Both resolve an SSM parameter at deploy time, so a changed parameter
   * shows up as a new launch template version on the next deploy (never at synth, never a lookup).
   * @default 'aws-ecs-al2023' - AWS's public ECS-optimized Amazon Linux 2023 parameter
   */
  readonly amiSource?: AmiSource;
  /** Smallest Auto Scaling group size. */
  readonly minInstances: number;
  /** Largest Auto Scaling group size; the capacity provider scales between the two. */
  readonly maxInstances: number;
  /**
   * Managed scaling target: share of the group's capacity ECS keeps reserved by tasks.
   * @default 100 - no idle instance is kept warm
   */
  readonly targetCapacityPercent?: number;
  /**
   * Size of the encrypted gp3 root volume (images and container logs live there).
   * @default 30
   */
  readonly rootVolumeGiB?: number;
  /**
   * ECS Exec (`berth exec`): sessions encrypted with a KMS key and logged to an encrypted log group kept this
   * many days. The service must also turn `enableExecuteCommand` on (WebService `exec`).
   * @default - no exec configuration, key or log group
   */
  readonly exec?: {
    readonly logRetentionDays: number;
    /** The app containers operators may open a session in (the services' names). */
    readonly containerNames: readonly string[];
  };
}

/** What the task role needs to know about the cluster's ECS Exec setup. */
export interface ExecSetup {
  /** Encrypts the session data channel (and the log group). */
  readonly key: kms.Key;
  /** Receives every session's output. */
  readonly logGroup: logs.LogGroup;
}

/** ECS Exec's setup once the cluster exists: plus the policy operators attach to use `berth exec`. */
export interface ClusterExec extends ExecSetup {
  readonly operatorPolicy: iam.ManagedPolicy;
}

/**
 * The ECS cluster and its EC2 capacity: a launch template (IMDSv2, encrypted gp3 root volume, no public IP),
 * an Auto Scaling group in the private subnets, and a capacity provider with managed scaling,
 * termination protection and draining. Instances are reached with Session Manager, never SSH.
 */
export class Cluster extends Construct {
  public readonly cluster: ecs.Cluster;
  public readonly capacityProvider: ecs.AsgCapacityProvider;
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  public readonly instanceSecurityGroup: ec2.SecurityGroup;
  public readonly launchTemplate: ec2.LaunchTemplate;
  public readonly instanceRole: iam.Role;
  /** Present when `exec` is set. */
  public readonly exec?: ClusterExec;

  constructor(scope: Construct, id: string, props: ClusterProps) {
    super(scope, id);
    const architecture = props.architecture ?? 'x86_64';
    const amiSource = props.amiSource ?? 'aws-ecs-al2023';
    const targetCapacityPercent = props.targetCapacityPercent ?? 100;
    const rootVolumeGiB = props.rootVolumeGiB ?? 30;

    if (!Number.isInteger(props.minInstances) || props.minInstances < 0) {
      throw new Error(`Cluster minInstances (${props.minInstances}) must be a whole number >= 0`);
    }
    if (!Number.isInteger(props.maxInstances) || props.maxInstances < Math.max(1, props.minInstances)) {
      throw new Error(
        `Cluster maxInstances (${props.maxInstances}) must be >= 1 and >= minInstances (${props.minInstances})`,
      );
    }
    if (
      !Number.isInteger(targetCapacityPercent) ||
      targetCapacityPercent < 1 ||
      targetCapacityPercent > 100
    ) {
      throw new Error(
        `Cluster targetCapacityPercent (${targetCapacityPercent}) must be an integer from 1 to 100`,
      );
    }
    if (!Number.isInteger(rootVolumeGiB) || rootVolumeGiB < 30) {
      throw new Error(
        `Cluster rootVolumeGiB (${rootVolumeGiB}) must be >= 30, the ECS-optimized AMI's snapshot size`,
      );
    }
    const instanceType = new ec2.InstanceType(props.instanceType);
    const isArm = instanceType.architecture === ec2.InstanceArchitecture.ARM_64;
    if (isArm !== (architecture === 'arm64')) {
      throw new Error(
        `Cluster instanceType ${props.instanceType} is ${isArm ? 'arm64' : 'x86_64'} but architecture is ${architecture}; change one of them`,
      );
    }

    const exec = props.exec ? createExecSetup(this, props.exec.logRetentionDays) : undefined;
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENHANCED,
      executeCommandConfiguration: exec && {
        kmsKey: exec.key,
        // OVERRIDE sends session output to our group rather than the task's awslogs group.
        logging: ecs.ExecuteCommandLogging.OVERRIDE,
        logConfiguration: { cloudWatchLogGroup: exec.logGroup, cloudWatchEncryptionEnabled: true },
      },
    });
    this.exec = exec && {
      ...exec,
      operatorPolicy: createExecOperatorPolicy(
        this,
        props.names,
        props.envName,
        this.cluster,
        exec.key,
        props.exec!.containerNames,
      ),
    };

    this.instanceSecurityGroup = new ec2.SecurityGroup(this, 'InstanceSecurityGroup', {
      vpc: props.vpc,
      description: 'ECS container instances: no ingress until the load balancer is allowed in',
      allowAllOutbound: true,
    });

    this.instanceRole = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'ECS container instance: agent registration, Session Manager, CloudWatch agent',
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore'),
        iam.ManagedPolicy.fromAwsManagedPolicyName('CloudWatchAgentServerPolicy'),
      ],
    });
    Validations.of(this.instanceRole).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
        reason: 'Session Manager replaces SSH; AWS maintains this policy as the minimum for the SSM agent.',
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/CloudWatchAgentServerPolicy]',
        reason:
          "The Berth AMI's CloudWatch agent ships memory/disk metrics and node logs; AWS maintains this minimal policy for it.",
      },
    );

    const machineImage =
      amiSource === 'berth'
        ? // A CloudFormation parameter of SSM type: resolved on every deploy, so a new AMI id changes the launch template.
          ec2.MachineImage.fromSsmParameter(props.names.parameters.ami(props.envName, architecture), {
            os: ec2.OperatingSystemType.LINUX,
          })
        : ecs.EcsOptimizedImage.amazonLinux2023(
            architecture === 'arm64' ? ecs.AmiHardwareType.ARM : ecs.AmiHardwareType.STANDARD,
          );

    const userData = ec2.UserData.forLinux();
    // Tasks get credentials from their task role only; IMDS is out of reach for bridge-mode containers
    // because their packets cross the docker0 NAT and the hop limit below is 1.
    userData.addCommands('echo ECS_ENABLE_TASK_IAM_ROLE=true >> /etc/ecs/ecs.config');

    this.launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      instanceType,
      machineImage,
      userData,
      role: this.instanceRole,
      securityGroup: this.instanceSecurityGroup,
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      associatePublicIpAddress: false,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(rootVolumeGiB, {
            encrypted: true,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            deleteOnTermination: true,
          }),
        },
      ],
    });

    // No updatePolicy on purpose: AMI changes roll out through an instance refresh (`berth ami rollout`),
    // not a CloudFormation replacement of the group that would kill every task at once.
    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'AutoScalingGroup', {
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      launchTemplate: this.launchTemplate,
      minCapacity: props.minInstances,
      maxCapacity: props.maxInstances,
      // Managed termination protection needs it: ECS decides which instance is empty enough to go.
      newInstancesProtectedFromScaleIn: true,
      // The dashboard graphs in-service instances; ASG metrics are off unless asked for.
      groupMetrics: [autoscaling.GroupMetrics.all()],
    });
    Validations.of(this.autoScalingGroup).acknowledge({
      id: 'AwsSolutions::AwsSolutions-AS3',
      reason:
        'Scaling is driven by the ECS capacity provider; its activity is visible in ECS events and the Monitoring dashboard.',
    });

    this.capacityProvider = new ecs.AsgCapacityProvider(this, 'CapacityProvider', {
      autoScalingGroup: this.autoScalingGroup,
      enableManagedScaling: true,
      targetCapacityPercent,
      enableManagedTerminationProtection: true,
      enableManagedDraining: true,
    });
    this.cluster.addAsgCapacityProvider(this.capacityProvider);
    // The ECS agent's own policy (added by addAsgCapacityProvider above) is AWS's documented minimum.
    Validations.of(this.instanceRole).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Action::ecs:Submit*]',
        reason: 'ECS agent state-change reporting; AWS documents ecs:Submit* as the agent requirement.',
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'ecs:DiscoverPollEndpoint, ecr:GetAuthorizationToken and logs actions have no resource-level scoping.',
      },
    );
  }
}

/**
 * The KMS key and log group of ECS Exec (AWS, "Monitor Amazon ECS containers with ECS Exec": "Logging and
 * Auditing using ECS Exec" and "Encrypting ECS Exec data using your own KMS key"). Both are kept when exec is
 * turned off or the stack destroyed: the log group is the audit trail, and the key is needed to read it.
 */
function createExecSetup(scope: Construct, logRetentionDays: number): ExecSetup {
  const key = new kms.Key(scope, 'ExecKey', {
    description: 'Encrypts ECS Exec sessions and their log group',
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const stack = Stack.of(scope);
  // CloudWatch Logs encrypts the group with the key only if the key policy lets the regional logs principal
  // use it, limited to log groups of this account and region (CloudWatch Logs User Guide, "Encrypt log data in
  // CloudWatch Logs using AWS Key Management Service", step 2). Naming the group itself would be a cycle.
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`,
        },
      },
    }),
  );
  const logGroup = new logs.LogGroup(scope, 'ExecLogGroup', {
    encryptionKey: key,
    retention: logRetentionDays as logs.RetentionDays,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  return { key, logGroup };
}

/**
 * What a human needs for `berth exec` in this environment and nothing more (attach it to an operator role or
 * SSO permission set): ExecuteCommand on this cluster's tasks, `web` container only (ECS Developer Guide,
 * "Monitor Amazon ECS containers with ECS Exec": "Using IAM policies to limit access to ECS Exec"), the reads
 * that find a task, and kms:GenerateDataKey on the session key (same guide, "Encrypting ECS Exec data using
 * your own KMS key"). ECS opens the Session Manager session itself: no ssm:StartSession is needed.
 */
function createExecOperatorPolicy(
  scope: Construct,
  names: AppNames,
  envName: EnvName,
  cluster: ecs.Cluster,
  key: kms.IKey,
  containerNames: readonly string[],
): iam.ManagedPolicy {
  const stack = Stack.of(scope);
  const policy = new iam.ManagedPolicy(scope, 'ExecOperatorPolicy', {
    // The description is kept as first written although the policy now names every service's container: a new
    // description replaces a managed policy, and operators would lose the attachment they made by ARN.
    description: "berth exec: a shell in the web container of this environment's tasks (ECS Exec)",
    statements: [
      new iam.PolicyStatement({
        actions: ['ecs:ExecuteCommand'],
        resources: [
          cluster.clusterArn,
          `arn:${stack.partition}:ecs:${stack.region}:${stack.account}:task/${cluster.clusterName}/*`,
        ],
        conditions: {
          StringEquals: {
            'ecs:container-name': containerNames.length === 1 ? containerNames[0]! : [...containerNames],
          },
        },
      }),
      new iam.PolicyStatement({
        actions: ['ecs:DescribeServices', 'ecs:ListTasks', 'ecs:DescribeTasks'],
        resources: ['*'],
        conditions: { ArnEquals: { 'ecs:cluster': cluster.clusterArn } },
      }),
      new iam.PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [key.keyArn] }),
      new iam.PolicyStatement({
        actions: ['cloudformation:DescribeStacks'],
        // The CLI reads the outputs of the environment's stacks in this region (stack ids are unknown ahead).
        resources: COMPONENTS.map(
          (c) =>
            `arn:${stack.partition}:cloudformation:${stack.region}:${stack.account}:stack/${names.stackName(envName, stack.region as Region, c)}/*`,
        ),
      }),
    ],
  });
  // cdk-nag names each wildcard resource; the finding ids render tokens as <LogicalId> and the partition as
  // <AWS::Partition>. Task ids are unknown ahead, the ECS reads are limited by the ecs:cluster condition, and
  // stack ids (the ARN's last part) are assigned by CloudFormation.
  const clusterId = stack.getLogicalId(cluster.node.defaultChild as ecs.CfnCluster);
  const wildcards = [
    '*',
    `arn:<AWS::Partition>:ecs:${stack.region}:${stack.account}:task/<${clusterId}>/*`,
    ...COMPONENTS.map(
      (c) =>
        `arn:<AWS::Partition>:cloudformation:${stack.region}:${stack.account}:stack/${names.stackName(envName, stack.region as Region, c)}/*`,
    ),
  ];
  Validations.of(policy).acknowledge(
    ...wildcards.map((resource) => ({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::${resource}]`,
      reason:
        "berth exec operators: this cluster's tasks (ids unknown ahead) in the web container only, ECS reads " +
        "limited by the ecs:cluster condition, and this environment's own stacks (ids assigned by CloudFormation).",
    })),
  );
  return policy;
}
