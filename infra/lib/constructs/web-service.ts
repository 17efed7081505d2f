/**
 * The public face of Berth: an internet-facing ALB in front of an ECS service on EC2 (bridge mode,
 * dynamic host ports), with rolling, blue/green or canary deployments that roll back on alarms.
 */
import { Duration, RemovalPolicy, Size, Tags, Token, Validations } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { EnvName, ServiceConfig, TracingConfig } from '../../config/environments.js';
import { CONTAINER, PLACEHOLDER_IMAGE } from '../naming.js';
import type { ExecSetup } from './cluster.js';
import { targetGroupMetric } from './target-group-metric.js';
import { addTracingSidecar } from './tracing-sidecar.js';

/** Docker's ephemeral range: where bridge mode maps `hostPort: 0`, and the only range the ALB may reach. */
export const EPHEMERAL_PORTS = { from: 32768, to: 65535 } as const;
/** The image ships the RDS CA bundle here, so `verify-full` needs no download at start-up. */
export const RDS_CA_BUNDLE = '/etc/ssl/certs/rds-global-bundle.pem';
const MAX_STOP_TIMEOUT_SECONDS = 30;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Traffic shares of the production listener rule, as ALB weights (0-999 each). */
export interface ProductionWeights {
  /** Weight of `targetGroup`. */
  readonly primary: number;
  /** Weight of `alternateTargetGroup`. */
  readonly alternate: number;
}

/** Where the ECS Exec agent writes inside the container: its binaries' state, its data and its logs. */
const EXEC_AGENT_PATHS = [
  ['exec-managed-agents', '/managed-agents'],
  ['exec-ssm-data', '/var/lib/amazon/ssm'],
  ['exec-ssm-logs', '/var/log/amazon/ssm'],
] as const;

export interface WebServiceProps {
  readonly envName: EnvName;
  /**
   * Key prefix of the load balancer's access logs in their bucket.
   * @default - `berth-<envName>`
   */
  readonly accessLogPrefix?: string;
  readonly vpc: ec2.IVpc;
  readonly cluster: ecs.ICluster;
  readonly capacityProvider: ecs.AsgCapacityProvider;
  /** The container instances' group; this construct adds the one ingress rule the ALB needs. */
  readonly instanceSecurityGroup: ec2.ISecurityGroup;
  readonly repository: ecr.IRepository;
  /** `sha256:<64 hex>` digest, a tag, or PLACEHOLDER_IMAGE (synth-only; `berth deploy` refuses it). */
  readonly image: string;
  /** RDS-generated JSON secret with username, password, host, port, dbname. */
  readonly databaseSecret: secretsmanager.ISecret;
  readonly service: ServiceConfig;
  readonly logRetentionDays: number;
  /** The ADOT collector sidecar and X-Ray permissions (tracing-sidecar.ts). @default - tracing off */
  readonly tracing?: TracingConfig;
  /**
   * ACM certificate in this region (an ARN or a token): serves 443 and redirects 80 to it. The `Domain` construct
   * supplies it with the name that makes the URL pass TLS name checks. @default - plain HTTP on 80
   */
  readonly certificateArn?: string;
  /**
   * Blue/green and canary: the weights the production rule carries right now. ECS moves them on every deploy,
   * so the template renders what is live (`berth deploy` reads it from the running rule) and a template update
   * never sends traffic back to a group ECS has emptied.
   * @default - primary 100, alternate 0: right for a first deploy only
   */
  readonly productionWeights?: ProductionWeights;
  /**
   * Target 5xx responses per minute that fail a deployment (alarm → rollback).
   * @default 10
   */
  readonly deploymentMax5xxPerMinute?: number;
  /**
   * Days the ALB access logs are kept.
   * @default 90
   */
  readonly accessLogRetentionDays?: number;
  /**
   * ECS Exec: the cluster's session key and log group. Turns `enableExecuteCommand` on and grants the task role
   * what the in-task Session Manager agent needs, nothing more.
   * @default - exec off: no permission, no agent
   */
  readonly exec?: ExecSetup;
}

export class WebService extends Construct {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly loadBalancerSecurityGroup: ec2.SecurityGroup;
  /** The listener that serves production traffic (443 with a certificate, else 80). */
  readonly listener: elbv2.ApplicationListener;
  /** The primary (blue) target group; what rolling deployments and the scaling policy use. */
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The green target group, present for blue-green and canary. */
  readonly alternateTargetGroup?: elbv2.ApplicationTargetGroup;
  /** Blue/green and canary: the rule on the production listener whose weights ECS shifts. */
  readonly productionRule?: elbv2.ApplicationListenerRule;
  readonly taskDefinition: ecs.Ec2TaskDefinition;
  readonly service: ecs.Ec2Service;
  readonly logGroup: logs.LogGroup;
  readonly accessLogBucket: s3.Bucket;
  /** Alarms watched during each deployment; any of them firing rolls the deployment back. */
  readonly deploymentAlarms: cloudwatch.Alarm[];
  readonly url: string;

  constructor(scope: Construct, id: string, props: WebServiceProps) {
    super(scope, id);
    validateWebServiceProps(props);
    const cfg = props.service;
    const https = props.certificateArn !== undefined;
    const max5xx = props.deploymentMax5xxPerMinute ?? 10;

    this.loadBalancerSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: props.vpc,
      description: `Berth ${props.envName} ALB: HTTP(S) from the internet, ephemeral ports to the instances`,
      allowAllOutbound: false,
    });
    this.loadBalancerSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP from anywhere');
    if (https) {
      this.loadBalancerSecurityGroup.addIngressRule(
        ec2.Peer.anyIpv4(),
        ec2.Port.tcp(443),
        'HTTPS from anywhere',
      );
    }
    Validations.of(this.loadBalancerSecurityGroup).acknowledge({
      id: 'AwsSolutions::AwsSolutions-EC23',
      reason: 'An internet-facing load balancer must accept 80/443 from anywhere; nothing else is open.',
    });
    const ephemeral = ec2.Port.tcpRange(EPHEMERAL_PORTS.from, EPHEMERAL_PORTS.to);
    props.instanceSecurityGroup.addIngressRule(
      this.loadBalancerSecurityGroup,
      ephemeral,
      'Dynamic host ports of bridge-mode tasks, from the ALB only',
    );
    this.loadBalancerSecurityGroup.addEgressRule(
      props.instanceSecurityGroup,
      ephemeral,
      'To bridge-mode tasks on the instances',
    );

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      // ALB log delivery supports SSE-S3 only, not KMS.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(props.accessLogRetentionDays ?? 90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogBucket).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason: 'This bucket only receives ALB access logs; logging access to the log bucket would recurse.',
    });

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroup: this.loadBalancerSecurityGroup,
      dropInvalidHeaderFields: true,
      deletionProtection: props.envName === 'prod',
      // Below the service's 65 s keep-alive so the ALB, not Node, closes idle connections (no 502 races).
      idleTimeout: Duration.seconds(60),
    });
    this.loadBalancer.logAccessLogs(this.accessLogBucket, props.accessLogPrefix ?? `berth-${props.envName}`);

    this.targetGroup = this.createTargetGroup('TargetGroup', props);
    // One port-80 listener with a stable logical id whatever the certificate: turning HTTPS on changes its
    // default action (forward → redirect) in place. A second port-80 listener would be created before the
    // first is deleted, and the load balancer refuses a duplicate port (DuplicateListener).
    const http = this.loadBalancer.addListener('HttpListener', {
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      defaultAction: https
        ? elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true })
        : elbv2.ListenerAction.forward([this.targetGroup]),
      open: false,
    });
    this.listener = https
      ? this.loadBalancer.addListener('HttpsListener', {
          port: 443,
          protocol: elbv2.ApplicationProtocol.HTTPS,
          certificates: [elbv2.ListenerCertificate.fromArn(props.certificateArn!)],
          // ELBSecurityPolicy-TLS13-1-2-2021-06: TLS 1.3 and 1.2 only. AWS "Security policies for your Application
          // Load Balancer" (docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html):
          // without one, CloudFormation defaults to ELBSecurityPolicy-2016-08, which still accepts TLS 1.0.
          sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
          defaultAction: elbv2.ListenerAction.forward([this.targetGroup]),
          open: false,
        })
      : http;

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetentionDays as logs.RetentionDays,
      // Keeps the reason a first deploy failed even after CloudFormation rolls the stack back.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.taskDefinition = this.createTaskDefinition(props);
    const strategy = cfg.deployment.strategy;
    const progressive = strategy !== 'rolling';
    // Blue/green swaps which group is live on every deploy, so nothing below may assume it is targetGroup.
    if (progressive) {
      this.alternateTargetGroup = this.createTargetGroup('AlternateTargetGroup', props);
      this.productionRule = this.createProductionRule(
        this.alternateTargetGroup,
        props.productionWeights ?? { primary: 100, alternate: 0 },
      );
    }
    this.deploymentAlarms = this.createDeploymentAlarms(max5xx);
    this.service = new ecs.Ec2Service(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      // desiredCount stays unset: with @aws-cdk/aws-ecs:removeDefaultDesiredCount the template omits it,
      // so a redeploy never resets the count the autoscaler chose.
      capacityProviderStrategies: [
        { capacityProvider: props.capacityProvider.capacityProviderName, weight: 1 },
      ],
      placementStrategies: [
        ecs.PlacementStrategy.spreadAcross(ecs.BuiltInAttributes.AVAILABILITY_ZONE),
        ecs.PlacementStrategy.packedByMemory(),
      ],
      minHealthyPercent: cfg.deployment.minHealthyPercent,
      maxHealthyPercent: cfg.deployment.maxPercent,
      circuitBreaker: { enable: true, rollback: true },
      deploymentAlarms: {
        alarmNames: this.deploymentAlarms.map((alarm) => alarm.alarmName),
        behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM,
      },
      healthCheckGracePeriod: Duration.seconds(cfg.healthCheckGracePeriodSeconds),
      // Set below on the CloudFormation resource when exec is on (see grantExec).
      enableExecuteCommand: false,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      deploymentStrategy: {
        rolling: ecs.DeploymentStrategy.ROLLING,
        'blue-green': ecs.DeploymentStrategy.BLUE_GREEN,
        canary: ecs.DeploymentStrategy.CANARY,
      }[strategy],
      bakeTime: progressive ? Duration.minutes(cfg.deployment.bakeTimeMinutes) : undefined,
      canaryConfiguration:
        strategy === 'canary'
          ? {
              stepPercent: cfg.deployment.canaryPercent,
              stepBakeTime: Duration.minutes(cfg.deployment.bakeTimeMinutes),
            }
          : undefined,
    });
    if (props.exec) this.grantExec(props.exec);
    // Placement must wait for the capacity provider, not race it on a first deploy.
    this.service.node.addDependency(props.capacityProvider);
    // The cluster's capacity-provider association is created by an aspect inside the cluster construct at
    // synth, so depend on the construct: then CloudFormation deletes the service before the association, and
    // never both at once ("The specified capacity provider is in use", DELETE_FAILED).
    this.service.node.addDependency(props.cluster);

    if (this.alternateTargetGroup && this.productionRule) {
      this.attachBlueGreen(props, this.alternateTargetGroup, this.productionRule);
    } else {
      this.service.attachToApplicationTargetGroup(this.targetGroup);
    }

    const scaling = this.service.autoScaleTaskCount({ minCapacity: cfg.minTasks, maxCapacity: cfg.maxTasks });
    // Scale out fast, scale in slowly: a flapping count costs more than a few idle minutes.
    const cooldowns = { scaleOutCooldown: Duration.seconds(60), scaleInCooldown: Duration.seconds(300) };
    scaling.scaleOnCpuUtilization('CpuScaling', {
      targetUtilizationPercent: cfg.scaling.cpuPercent,
      ...cooldowns,
    });
    scaling.scaleOnMemoryUtilization('MemoryScaling', {
      targetUtilizationPercent: cfg.scaling.memoryPercent,
      ...cooldowns,
    });
    if (this.alternateTargetGroup) {
      this.scaleOnLoadBalancerRequestsPerTask(scaling, props, cooldowns);
    } else {
      scaling.scaleOnRequestCount('RequestScaling', {
        requestsPerTarget: cfg.scaling.requestsPerTarget,
        targetGroup: this.targetGroup,
        ...cooldowns,
      });
    }

    Tags.of(this).add('berth:env', props.envName);
    this.url = `${https ? 'https' : 'http'}://${this.loadBalancer.loadBalancerDnsName}`;
  }

  /**
   * ECS Exec on, with the task role statements AWS documents (ECS Developer Guide, "Task IAM role": "ECS Exec
   * permissions", and "Monitor Amazon ECS containers with ECS Exec": "Logging and Auditing using ECS Exec",
   * "Encrypting ECS Exec data using your own KMS key"). The L2's `enableExecuteCommand: true` would add its own,
   * wider set (kms:GenerateDataKey for the task, kms:* in the key policy), so the flag is set on the resource.
   */
  private grantExec(exec: ExecSetup): void {
    (this.service.node.defaultChild as ecs.CfnService).enableExecuteCommand = true;
    const task = this.taskDefinition;
    task.addToTaskRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'ssmmessages:CreateControlChannel',
          'ssmmessages:CreateDataChannel',
          'ssmmessages:OpenControlChannel',
          'ssmmessages:OpenDataChannel',
        ],
        resources: ['*'],
      }),
    );
    task.addToTaskRolePolicy(
      new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [exec.key.keyArn] }),
    );
    task.addToTaskRolePolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
        resources: [`${exec.logGroup.logGroupArn}`],
      }),
    );
    // With cloudWatchEncryptionEnabled the agent checks the group is encrypted before it sends anything.
    task.addToTaskRolePolicy(
      new iam.PolicyStatement({ actions: ['logs:DescribeLogGroups'], resources: ['*'] }),
    );
    Validations.of(task.taskRole).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'ECS Exec: the ssmmessages channel actions and logs:DescribeLogGroups support only Resource "*" ' +
        '(Service Authorization Reference); the key and the session log group are named exactly.',
    });
    // The root filesystem stays read-only: the agent ECS bind-mounts for exec writes only under these paths
    // (aws/containers-roadmap#1359, amazon-ecs-exec-checker#21: a read-only root otherwise stops the agent),
    // so each gets a task-scoped writable volume, as /tmp does.
    for (const [name, containerPath] of EXEC_AGENT_PATHS) {
      task.addVolume({ name });
      task.defaultContainer?.addMountPoints({ containerPath, sourceVolume: name, readOnly: false });
    }
  }

  private createTargetGroup(id: string, props: WebServiceProps): elbv2.ApplicationTargetGroup {
    const cfg = props.service;
    const hc = cfg.healthCheck;
    return new elbv2.ApplicationTargetGroup(this, id, {
      vpc: props.vpc,
      protocol: elbv2.ApplicationProtocol.HTTP,
      // ECS registers each task with its dynamic host port; this port is only the group's default.
      port: cfg.containerPort,
      targetType: elbv2.TargetType.INSTANCE,
      deregistrationDelay: Duration.seconds(cfg.deregistrationDelaySeconds),
      healthCheck: {
        path: hc.path,
        interval: Duration.seconds(hc.intervalSeconds),
        timeout: Duration.seconds(hc.timeoutSeconds),
        healthyThresholdCount: hc.healthyThreshold,
        unhealthyThresholdCount: hc.unhealthyThreshold,
        healthyHttpCodes: '200',
      },
    });
  }

  private createTaskDefinition(props: WebServiceProps): ecs.Ec2TaskDefinition {
    const cfg = props.service;
    const taskDefinition = new ecs.Ec2TaskDefinition(this, 'TaskDefinition', {
      networkMode: ecs.NetworkMode.BRIDGE,
      // The root filesystem is read-only; this Docker-managed scratch volume is the writable /tmp.
      volumes: [{ name: 'tmp' }],
    });
    const secret = (field: string) => ecs.Secret.fromSecretsManager(props.databaseSecret, field);
    const port = cfg.containerPort;
    const container = taskDefinition.addContainer(CONTAINER.name, {
      containerName: CONTAINER.name,
      image: ecs.ContainerImage.fromEcrRepository(props.repository, props.image),
      cpu: cfg.cpu,
      memoryReservationMiB: cfg.memoryMiB,
      memoryLimitMiB: cfg.memoryMiB,
      portMappings: [{ containerPort: port, hostPort: 0, protocol: ecs.Protocol.TCP }],
      logging: ecs.LogDrivers.awsLogs({
        logGroup: this.logGroup,
        streamPrefix: CONTAINER.logStreamPrefix,
        // A CloudWatch Logs hiccup must not block the event loop; the buffer absorbs bursts.
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(25),
      }),
      secrets: {
        PGHOST: secret('host'),
        PGPORT: secret('port'),
        PGUSER: secret('username'),
        PGPASSWORD: secret('password'),
        PGDATABASE: secret('dbname'),
      },
      environment: {
        PGSSLMODE: 'verify-full',
        PGSSLROOTCERT: RDS_CA_BUNDLE,
        PORT: String(port),
        SHUTDOWN_DRAIN_SECONDS: String(cfg.drainSeconds),
        LOG_LEVEL: 'info',
      },
      readonlyRootFilesystem: true,
      user: '1000',
      // Lets the non-root user bind port 80 inside its own network namespace, with no capabilities.
      systemControls: [{ namespace: 'net.ipv4.ip_unprivileged_port_start', value: '0' }],
      stopTimeout: Duration.seconds(cfg.stopTimeoutSeconds),
      healthCheck: {
        // The image has node but no curl.
        command: [
          'CMD',
          'node',
          '-e',
          `fetch('http://127.0.0.1:${port}/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
        ],
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(Math.min(300, Math.max(10, cfg.healthCheckGracePeriodSeconds))),
      },
    });
    container.addMountPoints({ containerPath: '/tmp', sourceVolume: 'tmp', readOnly: false });
    if (props.tracing?.enabled) {
      addTracingSidecar(taskDefinition, container, {
        sampleRatio: props.tracing.sampleRatio,
        logGroup: this.logGroup,
      });
    }

    Validations.of(taskDefinition).acknowledge({
      id: 'AwsSolutions::AwsSolutions-ECS2',
      reason:
        'Only non-secret settings are plain environment variables; credentials come from Secrets Manager.',
    });
    // GetAuthorizationToken has no resource-level permissions; image pulls are scoped to the repository.
    Validations.of(taskDefinition).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken supports only Resource "*"; layer pulls are scoped to the repository.',
    });
    return taskDefinition;
  }

  /**
   * Short-period alarms ECS watches during a deployment (and its bake); firing rolls it back.
   * 5xx is counted on the load balancer (this service is its only backend), so it holds whichever target
   * group is live; unhealthy hosts get one alarm per group, so a failing green group rolls back too.
   */
  private createDeploymentAlarms(max5xx: number): cloudwatch.Alarm[] {
    const target5xx = new cloudwatch.Alarm(this, 'Deployment5xxAlarm', {
      alarmDescription: `Rolls a deployment back: more than ${max5xx} target 5xx responses in a minute, twice`,
      metric: this.loadBalancer.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.SUM,
      }),
      threshold: max5xx,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      // No requests means no errors.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const groups = [this.targetGroup, ...(this.alternateTargetGroup ? [this.alternateTargetGroup] : [])];
    const unhealthy = groups.map(
      (group, i) =>
        new cloudwatch.Alarm(
          this,
          i === 0 ? 'DeploymentUnhealthyHostsAlarm' : 'DeploymentUnhealthyHostsAlarmAlternate',
          {
            alarmDescription: 'Rolls a deployment back: a target failed its health checks for two minutes',
            metric: targetGroupMetric(
              this.loadBalancer.loadBalancerFullName,
              group.targetGroupFullName,
              'UnHealthyHostCount',
              { period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM },
            ),
            threshold: 0,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluationPeriods: 2,
            datapointsToAlarm: 2,
            // ELB publishes this metric every minute while the group is attached; a gap says nothing about health.
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          },
        ),
    );
    return [target5xx, ...unhealthy];
  }

  /**
   * Requests per task that holds across blue/green swaps: the load balancer's request count (this service
   * is its only backend) over the service's running tasks. The L2 only takes a single metric, so the
   * metric math goes into the policy's CloudFormation properties.
   */
  private scaleOnLoadBalancerRequestsPerTask(
    scaling: ecs.ScalableTaskCount,
    props: WebServiceProps,
    cooldowns: { scaleOutCooldown: Duration; scaleInCooldown: Duration },
  ): void {
    const requests = this.loadBalancer.metrics.requestCount({ period: Duration.minutes(1) });
    scaling.scaleToTrackCustomMetric('RequestScaling', {
      metric: requests,
      targetValue: props.service.scaling.requestsPerTarget,
      ...cooldowns,
    });
    // The L2 returns nothing, so find the policy it just created.
    const cfn = this.service.node
      .findAll()
      .find(
        (c): c is appscaling.CfnScalingPolicy =>
          c instanceof appscaling.CfnScalingPolicy && c.node.path.includes('/RequestScaling/'),
      );
    if (!cfn) throw new Error('WebService: the request scaling policy was not created');
    const spec = 'TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification';
    cfn.addPropertyOverride(spec, {
      Metrics: [
        {
          Id: 'requests',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/ApplicationELB',
              MetricName: 'RequestCount',
              Dimensions: [{ Name: 'LoadBalancer', Value: this.loadBalancer.loadBalancerFullName }],
            },
            Stat: 'Sum',
          },
          ReturnData: false,
        },
        {
          Id: 'tasks',
          MetricStat: {
            Metric: {
              Namespace: 'ECS/ContainerInsights',
              MetricName: 'RunningTaskCount',
              Dimensions: [
                { Name: 'ClusterName', Value: props.cluster.clusterName },
                { Name: 'ServiceName', Value: this.service.serviceName },
              ],
            },
            Stat: 'Average',
          },
          ReturnData: false,
        },
        {
          Id: 'perTask',
          Expression: 'requests / tasks',
          Label: 'ALB requests per running task',
          ReturnData: true,
        },
      ],
    });
    // A customized metric is either one metric or a math query, never both.
    for (const single of ['Dimensions', 'MetricName', 'Namespace', 'Statistic', 'Unit']) {
      cfn.addPropertyDeletionOverride(`${spec}.${single}`);
    }
  }

  /**
   * ECS native blue/green (also carries canary): ECS registers the new revision in the alternate target group,
   * then shifts the production rule's weights. ECS only shifts traffic on a listener rule, so production traffic
   * goes through one catching every path. Its weights are whatever is live (see `productionWeights`): CloudFormation
   * sends the whole action whenever the rule changes (e.g. it moves to the HTTPS listener), and weights pinned to
   * 100/0 would then send every request to the group ECS emptied after the last swap.
   */
  private createProductionRule(
    alternate: elbv2.ApplicationTargetGroup,
    weights: ProductionWeights,
  ): elbv2.ApplicationListenerRule {
    return new elbv2.ApplicationListenerRule(this, 'ProductionRule', {
      listener: this.listener,
      priority: 1,
      conditions: [elbv2.ListenerCondition.pathPatterns(['/*'])],
      action: elbv2.ListenerAction.weightedForward([
        { targetGroup: this.targetGroup, weight: weights.primary },
        { targetGroup: alternate, weight: weights.alternate },
      ]),
    });
  }

  private attachBlueGreen(
    props: WebServiceProps,
    alternate: elbv2.ApplicationTargetGroup,
    productionRule: elbv2.ApplicationListenerRule,
  ): void {
    const role = new iam.Role(this, 'TrafficShiftRole', {
      assumedBy: new iam.ServicePrincipal('ecs.amazonaws.com'),
      description: 'Lets ECS shift the ALB traffic of this service between its blue and green target groups',
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonECSInfrastructureRolePolicyForLoadBalancers'),
      ],
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers]',
      reason:
        'AWS documents this managed policy for the ECS blue/green infrastructure role and updates it when ECS calls new ' +
        'ELB actions; a hand-trimmed copy would fail a deploy midway the day ECS needs one more action.',
    });

    this.service
      .loadBalancerTarget({
        containerName: CONTAINER.name,
        containerPort: props.service.containerPort,
        alternateTarget: new ecs.AlternateTarget('AlternateTarget', {
          alternateTargetGroup: alternate,
          productionListener: ecs.ListenerRuleConfiguration.applicationListenerRule(productionRule),
          role,
        }),
      })
      .attachToApplicationTargetGroup(this.targetGroup);
  }
}

/** Throws with the field, the value and what to change, before any resource is created. */
export function validateWebServiceProps(props: WebServiceProps): void {
  const s = props.service;
  const image = props.image;
  if (!Token.isUnresolved(image) && image !== PLACEHOLDER_IMAGE && !DIGEST.test(image) && !TAG.test(image)) {
    throw new Error(
      `image "${image}" is neither a digest (sha256: followed by 64 lowercase hex characters) nor an image tag; ` +
        'pass the digest `berth build` printed',
    );
  }
  if (s.stopTimeoutSeconds > MAX_STOP_TIMEOUT_SECONDS || s.stopTimeoutSeconds < 2) {
    throw new Error(
      `service.stopTimeoutSeconds (${s.stopTimeoutSeconds}) must be from 2 to ${MAX_STOP_TIMEOUT_SECONDS}: ` +
        'ECS on EC2 SIGKILLs after this, and Berth promises shutdown within 30 s',
    );
  }
  if (s.drainSeconds >= s.stopTimeoutSeconds) {
    throw new Error(
      `service.drainSeconds (${s.drainSeconds}) must be < stopTimeoutSeconds (${s.stopTimeoutSeconds}) ` +
        'so the task exits before it is killed',
    );
  }
  if (s.minTasks > s.maxTasks) {
    throw new Error(`service.minTasks (${s.minTasks}) must be <= service.maxTasks (${s.maxTasks})`);
  }
  if (props.envName === 'prod' && s.minTasks < 2) {
    throw new Error(
      `service.minTasks (${s.minTasks}) must be >= 2 in prod so one AZ can fail without an outage`,
    );
  }
  if (s.containerPort !== 80 && s.containerPort < 1024) {
    // Only 80 is covered by the image's non-root setup; other privileged ports are a mistake.
    throw new Error(`service.containerPort (${s.containerPort}) must be 80 or >= 1024`);
  }
  const w = props.productionWeights;
  if (w !== undefined) {
    const ok = (n: number) => Number.isInteger(n) && n >= 0 && n <= 999;
    if (!ok(w.primary) || !ok(w.alternate) || w.primary + w.alternate === 0) {
      throw new Error(
        `productionWeights (${w.primary}/${w.alternate}) must be two ALB weights from 0 to 999, not both 0`,
      );
    }
  }
  const d = s.deployment;
  if (d.strategy === 'canary' && (d.canaryPercent < 0.1 || d.canaryPercent > 100)) {
    throw new Error(`service.deployment.canaryPercent (${d.canaryPercent}) must be from 0.1 to 100`);
  }
  if (
    props.logRetentionDays !== undefined &&
    !Object.values(logs.RetentionDays).includes(props.logRetentionDays as logs.RetentionDays)
  ) {
    throw new Error(
      `logRetentionDays (${props.logRetentionDays}) is not a CloudWatch Logs retention such as 14 or 90`,
    );
  }
}
