/**
 * A background service: no load balancer, tasks in the private subnets behind a security group that admits
 * nothing, scaling on CPU (and on queue backlog per task when it consumes an SQS queue), a graceful stop, and
 * alarms for CPU and for tasks that do not run. Deployments roll back on the circuit breaker.
 */
import { Duration, Names, Stack, Tags, Token } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { createServiceLogGroup, createServiceTask } from './service-task.js';

/** ECS allows at most 120 s between SIGTERM and SIGKILL (Task definition parameters, "stopTimeout"). */
const MAX_STOP_TIMEOUT_SECONDS = 120;
const NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** Scale on the queue this worker consumes, as backlog per running task. */
export interface WorkerQueueScaling {
  /** Its consumer permissions (receive, delete, change visibility) go to the task role. */
  readonly queue: sqs.IQueue;
  /**
   * Messages each task should have waiting at most: how many it processes within the delay you accept
   * (AWS, "Scaling policy based on Amazon SQS": acceptable latency / processing time per message).
   */
  readonly messagesPerTask: number;
}

export interface WorkerServiceProps {
  readonly vpc: ec2.IVpc;
  /** Needs Container Insights: the running-task alarm and queue scaling read its RunningTaskCount. */
  readonly cluster: ecs.ICluster;
  readonly capacityProvider: ecs.AsgCapacityProvider;
  /** The service's name: its container name and log stream prefix (lower case, digits, dashes). */
  readonly name: string;
  /** The ECR repository `image` is in. @default - `image` is a full reference from a public registry */
  readonly repository?: ecr.IRepository;
  /** A digest (`sha256:…`) or a tag in `repository`. */
  readonly image: string;
  /** @default - the image's CMD */
  readonly command?: string[];
  /** CPU units of the container (1024 = one vCPU). */
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly logRetentionDays: number;
  /** Plain, non-secret settings. @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /** The user's secrets, as ECS secrets; the execution role may read exactly these. @default - none */
  readonly secrets?: Readonly<Record<string, ecs.Secret>>;
  /** The environment's database: credentials as ECS secrets. Admit `securityGroup` to it as well. @default - none */
  readonly databaseSecret?: secretsmanager.ISecret;
  /** @default - tracing off */
  readonly tracing?: { readonly sampleRatio: number };
  /** @default 1 */
  readonly minTasks?: number;
  /** @default 2 */
  readonly maxTasks?: number;
  /** Average CPU the task count is scaled to hold. @default 70 */
  readonly cpuTargetPercent?: number;
  /** @default - scale on CPU only */
  readonly queueScaling?: WorkerQueueScaling;
  /**
   * SIGTERM to SIGKILL: the worker finishes its job in hand within it.
   * @default Duration.seconds(30)
   */
  readonly stopTimeout?: Duration;
  /** The share of tasks that must keep running during a deploy. @default 100 */
  readonly minHealthyPercent?: number;
  /** The most tasks, as a share of the desired count, during a deploy. @default 200 */
  readonly maxHealthyPercent?: number;
  /**
   * Create the CPU and running-task alarms here. Off when another stack owns them (Berth's Monitoring stack
   * creates them with `workerAlarms`, beside its alarm topic).
   * @default true
   */
  readonly alarms?: boolean;
  /** Average CPU above which the CPU alarm fires (five minutes in a row). @default 90 */
  readonly cpuAlarmPercent?: number;
  /** Where the alarms notify. @default - alarms without actions */
  readonly alarmTopic?: sns.ITopic;
}

export class WorkerService extends Construct {
  readonly logGroup: logs.LogGroup;
  readonly taskDefinition: ecs.Ec2TaskDefinition;
  readonly container: ecs.ContainerDefinition;
  /** Admits nothing; allows all outbound (the database, AWS APIs and whatever the worker calls). */
  readonly securityGroup: ec2.SecurityGroup;
  readonly service: ecs.Ec2Service;
  readonly scaling: appscaling.ScalableTarget;
  /** Present unless `alarms: false`. */
  readonly cpuAlarm?: cloudwatch.Alarm;
  /**
   * Fires when fewer tasks run than ECS wants for ten minutes: crash loops, no capacity, image pull failures.
   * Present unless `alarms: false`.
   */
  readonly tasksBelowDesiredAlarm?: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: WorkerServiceProps) {
    super(scope, id);
    const minTasks = props.minTasks ?? 1;
    const maxTasks = props.maxTasks ?? 2;
    const stopTimeout = props.stopTimeout ?? Duration.seconds(30);
    validate(props, minTasks, maxTasks, stopTimeout);

    this.logGroup = createServiceLogGroup(this, props.logRetentionDays);
    const task = createServiceTask(this, 'TaskDefinition', {
      // awsvpc: the task has its own network interface and security group, so the database admits exactly it.
      // On EC2 each task takes one of the instance's ENIs (t3.small: 2 besides the primary).
      networkMode: ecs.NetworkMode.AWS_VPC,
      containerName: props.name,
      streamPrefix: props.name,
      repository: props.repository,
      image: props.image,
      cpu: props.cpu,
      memoryMiB: props.memoryMiB,
      logGroup: this.logGroup,
      stopTimeout,
      databaseSecret: props.databaseSecret,
      environment: props.environment,
      secrets: props.secrets,
      tracing: props.tracing,
      container: props.command ? { command: props.command } : undefined,
    });
    this.taskDefinition = task.taskDefinition;
    this.container = task.container;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Berth worker ${props.name}: no ingress; outbound to the database and AWS APIs`,
      allowAllOutbound: true,
    });

    this.service = new ecs.Ec2Service(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      capacityProviderStrategies: [
        { capacityProvider: props.capacityProvider.capacityProviderName, weight: 1 },
      ],
      securityGroups: [this.securityGroup],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      placementStrategies: [ecs.PlacementStrategy.spreadAcross(ecs.BuiltInAttributes.AVAILABILITY_ZONE)],
      // By default new tasks start before old ones stop: the work never pauses during a deploy.
      minHealthyPercent: props.minHealthyPercent ?? 100,
      maxHealthyPercent: props.maxHealthyPercent ?? 200,
      circuitBreaker: { enable: true, rollback: true },
      enableExecuteCommand: false,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });
    this.service.node.addDependency(props.capacityProvider);
    // As WebService: CloudFormation deletes the service before the cluster's capacity-provider association.
    this.service.node.addDependency(props.cluster);

    this.scaling = this.createScaling(props, minTasks, maxTasks);
    if (props.queueScaling) {
      props.queueScaling.queue.grantConsumeMessages(this.taskDefinition.taskRole);
      this.scaleOnQueueBacklog(props, props.queueScaling);
    }
    if (props.alarms ?? true) {
      const alarms = workerAlarms(this, {
        cluster: props.cluster,
        service: this.service,
        cpuAlarmPercent: props.cpuAlarmPercent,
      });
      this.cpuAlarm = alarms.cpu;
      this.tasksBelowDesiredAlarm = alarms.tasksBelowDesired;
      if (props.alarmTopic) {
        for (const alarm of [alarms.cpu, alarms.tasksBelowDesired]) {
          alarm.addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));
        }
      }
    }
    Tags.of(this).add('berth:service', props.name);
  }

  /**
   * The task count's scalable target, made here rather than with `autoScaleTaskCount` so the queue policy (an
   * L1: the L2 takes no metric math) can name it through the typed `scalableTargetId`. Same role as the L2:
   * ECS's service-linked role for Application Auto Scaling.
   */
  private createScaling(props: WorkerServiceProps, min: number, max: number): appscaling.ScalableTarget {
    const role = iam.Role.fromRoleArn(
      this,
      'ScalingRole',
      Stack.of(this).formatArn({
        region: '',
        service: 'iam',
        resource: 'role/aws-service-role/ecs.application-autoscaling.amazonaws.com',
        resourceName: 'AWSServiceRoleForApplicationAutoScaling_ECSService',
      }),
    );
    const target = new appscaling.ScalableTarget(this, 'TaskCount', {
      serviceNamespace: appscaling.ServiceNamespace.ECS,
      scalableDimension: 'ecs:service:DesiredCount',
      resourceId: `service/${props.cluster.clusterName}/${this.service.serviceName}`,
      minCapacity: min,
      maxCapacity: max,
      role,
    });
    target.scaleToTrackMetric('CpuScaling', {
      predefinedMetric: appscaling.PredefinedMetric.ECS_SERVICE_AVERAGE_CPU_UTILIZATION,
      targetValue: props.cpuTargetPercent ?? 70,
      // Scale out fast, scale in slowly, as the web service does.
      scaleOutCooldown: Duration.seconds(60),
      scaleInCooldown: Duration.seconds(300),
    });
    return target;
  }

  /**
   * Target tracking on the queue's backlog per task: ApproximateNumberOfMessagesVisible (Sum) divided by the
   * service's RunningTaskCount (Average), one-minute periods, exactly as AWS's example "Amazon SQS queue backlog
   * per task" (Application Auto Scaling User Guide, "Create a target tracking scaling policy for Application
   * Auto Scaling using metric math"); CloudFormation takes it as CustomizedMetricSpecification.Metrics.
   */
  private scaleOnQueueBacklog(props: WorkerServiceProps, queueScaling: WorkerQueueScaling): void {
    new appscaling.CfnScalingPolicy(this, 'QueueScaling', {
      policyName: `${Names.uniqueId(this)}QueueScaling`,
      policyType: 'TargetTrackingScaling',
      scalingTargetId: this.scaling.scalableTargetId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: queueScaling.messagesPerTask,
        scaleOutCooldown: 60,
        scaleInCooldown: 300,
        customizedMetricSpecification: {
          metrics: [
            {
              id: 'messages',
              label: 'Messages waiting in the queue',
              metricStat: {
                metric: {
                  namespace: 'AWS/SQS',
                  metricName: 'ApproximateNumberOfMessagesVisible',
                  dimensions: [{ name: 'QueueName', value: queueScaling.queue.queueName }],
                },
                stat: 'Sum',
              },
              returnData: false,
            },
            {
              id: 'tasks',
              label: 'Running tasks of the service',
              metricStat: {
                metric: {
                  namespace: 'ECS/ContainerInsights',
                  metricName: 'RunningTaskCount',
                  dimensions: [
                    { name: 'ClusterName', value: props.cluster.clusterName },
                    { name: 'ServiceName', value: this.service.serviceName },
                  ],
                },
                stat: 'Average',
              },
              returnData: false,
            },
            {
              id: 'backlogPerTask',
              label: 'Backlog per task',
              expression: 'messages / tasks',
              returnData: true,
            },
          ],
        },
      },
    });
  }
}

export interface WorkerAlarmsProps {
  readonly cluster: ecs.ICluster;
  readonly service: ecs.IBaseService;
  /** Average CPU above which the CPU alarm fires (five minutes in a row). @default 90 */
  readonly cpuAlarmPercent?: number;
}

/**
 * A worker's two alarms, in `scope`: CPU high for five minutes (scaling at its maximum or not keeping up), and
 * fewer tasks running than desired for ten (Container Insights' DesiredTaskCount - RunningTaskCount, per
 * service). Ids `CpuHighAlarm` and `TasksBelowDesiredAlarm`.
 */
export function workerAlarms(
  scope: Construct,
  props: WorkerAlarmsProps,
): { cpu: cloudwatch.Alarm; tasksBelowDesired: cloudwatch.Alarm } {
  const percent = props.cpuAlarmPercent ?? 90;
  const cpu = new cloudwatch.Alarm(scope, 'CpuHighAlarm', {
    alarmDescription: `Worker CPU above ${percent}% for five minutes: scaling is at its maximum or cannot keep up`,
    metric: new cloudwatch.Metric({
      namespace: 'AWS/ECS',
      metricName: 'CPUUtilization',
      dimensionsMap: { ClusterName: props.cluster.clusterName, ServiceName: props.service.serviceName },
      period: Duration.minutes(1),
      statistic: cloudwatch.Stats.AVERAGE,
    }),
    threshold: percent,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 5,
    datapointsToAlarm: 5,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  const metric = (metricName: string) =>
    new cloudwatch.Metric({
      namespace: 'ECS/ContainerInsights',
      metricName,
      dimensionsMap: { ClusterName: props.cluster.clusterName, ServiceName: props.service.serviceName },
      period: Duration.minutes(1),
      statistic: cloudwatch.Stats.AVERAGE,
    });
  const tasksBelowDesired = new cloudwatch.Alarm(scope, 'TasksBelowDesiredAlarm', {
    alarmDescription:
      'Fewer worker tasks running than desired for ten minutes (crash loop, no capacity, image)',
    metric: new cloudwatch.MathExpression({
      expression: 'desired - running',
      usingMetrics: { desired: metric('DesiredTaskCount'), running: metric('RunningTaskCount') },
      label: 'Tasks missing',
      period: Duration.minutes(1),
    }),
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    // A deployment or a scale-out starts tasks for a minute or two; ten minutes is a real shortfall.
    evaluationPeriods: 10,
    datapointsToAlarm: 10,
    // No data means Container Insights is not reporting: left as INSUFFICIENT_DATA, visible, never "OK".
    treatMissingData: cloudwatch.TreatMissingData.MISSING,
  });
  return { cpu, tasksBelowDesired };
}

/** The construct's own invariants, before any resource exists. */
function validate(props: WorkerServiceProps, min: number, max: number, stopTimeout: Duration): void {
  if (!NAME.test(props.name)) {
    throw new Error(
      `worker name "${props.name}" must be lower-case letters, digits and dashes, starting with a letter`,
    );
  }
  if (!Number.isInteger(min) || min < 0) throw new Error(`minTasks (${min}) must be a whole number >= 0`);
  if (!Number.isInteger(max) || max < 1) throw new Error(`maxTasks (${max}) must be a whole number >= 1`);
  if (min > max) throw new Error(`minTasks (${min}) must be <= maxTasks (${max})`);
  const seconds = stopTimeout.toSeconds();
  if (!Token.isUnresolved(seconds) && (seconds < 2 || seconds > MAX_STOP_TIMEOUT_SECONDS)) {
    throw new Error(`stopTimeout (${seconds} s) must be from 2 to ${MAX_STOP_TIMEOUT_SECONDS} seconds`);
  }
  const perTask = props.queueScaling?.messagesPerTask;
  if (perTask !== undefined && !(perTask > 0)) {
    throw new Error(`queueScaling.messagesPerTask (${perTask}) must be > 0`);
  }
  const cpuTarget = props.cpuTargetPercent;
  if (cpuTarget !== undefined && !(cpuTarget > 0 && cpuTarget <= 100)) {
    throw new Error(`cpuTargetPercent (${cpuTarget}) must be from 1 to 100`);
  }
}
