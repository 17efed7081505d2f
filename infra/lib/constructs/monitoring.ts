/**
 * One dashboard and one alarm topic per environment: the load balancer, the service, the cluster's
 * capacity and the database, with alarms that page through an encrypted, SSL-only SNS topic.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { EnvName } from '../../config/environments.js';
import { targetGroupMetric } from './target-group-metric.js';

export interface MonitoringProps {
  readonly envName: EnvName;
  /**
   * Dashboard names are unique per account, not per region: include the region.
   * @default - `berth-<envName>-<region>`
   */
  readonly dashboardName?: string;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /**
   * Full names (`targetgroup/<name>/<id>`) of every target group the service may be live in: one for rolling,
   * two for blue/green and canary, where host counts are summed since either can be live after a swap.
   */
  readonly targetGroupFullNames: readonly string[];
  readonly cluster: ecs.ICluster;
  readonly service: ecs.IBaseService;
  /** Needs group metrics enabled on the ASG (`groupMetrics: [GroupMetrics.all()]`) to show instance counts. */
  readonly autoScalingGroupName: string;
  readonly capacityProviderName: string;
  readonly database: rds.IDatabaseInstance;
  /** The WAF web ACL on the load balancer: its blocked and counted requests are graphed. @default - no WAF */
  readonly webAclName?: string;
  /** Receives every alarm and recovery (the subscription must be confirmed). @default - no subscription */
  readonly alarmEmail?: string;
  /**
   * Share of requests answered with a 5xx (by the ALB or the targets), in percent.
   * @default 5
   */
  readonly max5xxPercent?: number;
  /**
   * p99 target response time, in seconds.
   * @default 2
   */
  readonly maxP99LatencySeconds?: number;
  /**
   * Average service CPU utilization, in percent (sustained for 10 minutes).
   * @default 85
   */
  readonly maxServiceCpuPercent?: number;
  /**
   * Average service memory utilization, in percent (sustained for 10 minutes).
   * @default 90
   */
  readonly maxServiceMemoryPercent?: number;
  /**
   * Minutes tasks may stay PENDING (no instance has room) before the alarm fires.
   * @default 10
   */
  readonly maxPendingMinutes?: number;
  /**
   * Database CPU utilization, in percent (sustained for 15 minutes).
   * @default 80
   */
  readonly maxDatabaseCpuPercent?: number;
  /**
   * Free database storage below which the alarm fires, in GiB.
   * @default 2
   */
  readonly minDatabaseFreeStorageGiB?: number;
}

const GIB = 1024 ** 3;

export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[];
  readonly topicKey: kms.Key;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const max5xxPercent = props.max5xxPercent ?? 5;
    const maxP99 = props.maxP99LatencySeconds ?? 2;
    const maxCpu = props.maxServiceCpuPercent ?? 85;
    const maxMemory = props.maxServiceMemoryPercent ?? 90;
    const maxPendingMinutes = props.maxPendingMinutes ?? 10;
    const maxDbCpu = props.maxDatabaseCpuPercent ?? 80;
    const minFreeGiB = props.minDatabaseFreeStorageGiB ?? 2;
    validateMonitoringProps({
      max5xxPercent,
      maxP99LatencySeconds: maxP99,
      maxServiceCpuPercent: maxCpu,
      maxServiceMemoryPercent: maxMemory,
      maxPendingMinutes,
      maxDatabaseCpuPercent: maxDbCpu,
      minDatabaseFreeStorageGiB: minFreeGiB,
    });

    // A customer managed key: CloudWatch cannot publish to a topic under the AWS managed SNS key.
    this.topicKey = new kms.Key(this, 'AlarmTopicKey', {
      description: `Berth ${props.envName} alarm topic`,
      enableKeyRotation: true,
    });
    this.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `Berth ${props.envName} alarms`,
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    if (props.alarmEmail !== undefined) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }

    const alb = props.loadBalancer.metrics;
    if (props.targetGroupFullNames.length === 0) {
      throw new Error('Monitoring targetGroupFullNames must name at least one target group');
    }
    /** A host count over every target group the service may be live in. */
    const hosts = (
      label: string,
      statistic: string,
      metricName: 'HealthyHostCount' | 'UnHealthyHostCount',
    ): cloudwatch.IMetric => {
      const perGroup = props.targetGroupFullNames.map((group) =>
        targetGroupMetric(props.loadBalancer.loadBalancerFullName, group, metricName, {
          period: minute,
          statistic,
          label,
        }),
      );
      if (perGroup.length === 1) return perGroup[0]!;
      const usingMetrics = Object.fromEntries(perGroup.map((m, i) => [`${label.toLowerCase()}${i}`, m]));
      const expression = Object.keys(usingMetrics)
        .map((id) => `FILL(${id}, 0)`)
        .join(' + ');
      return new cloudwatch.MathExpression({ expression, usingMetrics, label, period: minute });
    };
    const minute = Duration.minutes(1);
    const serviceDims = { ClusterName: props.cluster.clusterName, ServiceName: props.service.serviceName };
    const ecsMetric = (metricName: string) =>
      new cloudwatch.Metric({ namespace: 'AWS/ECS', metricName, dimensionsMap: serviceDims, period: minute });
    const insights = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'ECS/ContainerInsights',
        metricName,
        dimensionsMap: serviceDims,
        statistic: cloudwatch.Stats.MAXIMUM,
        period: minute,
      });

    const requests = alb.requestCount({ period: minute, label: 'Requests' });
    const elb5xx = alb.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period: minute, label: 'ALB 5xx' });
    const target5xx = alb.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
      period: minute,
      label: 'Target 5xx',
    });
    const target4xx = alb.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_4XX_COUNT, {
      period: minute,
      label: 'Target 4xx',
    });
    const latency = (statistic: string) =>
      alb.targetResponseTime({ period: minute, statistic, label: `${statistic} latency` });
    const healthy = hosts('Healthy', cloudwatch.Stats.MINIMUM, 'HealthyHostCount');
    const unhealthy = hosts('Unhealthy', cloudwatch.Stats.MAXIMUM, 'UnHealthyHostCount');
    const cpu = ecsMetric('CPUUtilization');
    const memory = ecsMetric('MemoryUtilization');
    const running = insights('RunningTaskCount');
    const pending = insights('PendingTaskCount');
    const capacityReservation = new cloudwatch.Metric({
      namespace: 'AWS/ECS/ManagedScaling',
      metricName: 'CapacityProviderReservation',
      dimensionsMap: {
        ClusterName: props.cluster.clusterName,
        CapacityProviderName: props.capacityProviderName,
      },
      period: minute,
    });
    const instances = new cloudwatch.Metric({
      namespace: 'AWS/AutoScaling',
      metricName: 'GroupInServiceInstances',
      dimensionsMap: { AutoScalingGroupName: props.autoScalingGroupName },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: minute,
    });
    const dbCpu = props.database.metricCPUUtilization({ period: Duration.minutes(5) });
    const dbConnections = props.database.metricDatabaseConnections({ period: minute });
    const dbFreeStorage = props.database.metricFreeStorageSpace({ period: Duration.minutes(5) });

    const errorRate = new cloudwatch.MathExpression({
      // FILL: a minute with requests but no 5xx publishes no 5xx datapoint, which is a 0% rate.
      expression: '100 * (FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests',
      usingMetrics: { elb5xx, target5xx, requests },
      period: minute,
      label: '5xx %',
    });

    const alarm = (name: string, options: cloudwatch.CreateAlarmOptions, metric: cloudwatch.IMetric) =>
      new cloudwatch.Alarm(this, `${name}Alarm`, { metric, ...options });
    this.alarms = [
      alarm(
        'Error5xxRate',
        {
          alarmDescription: `More than ${max5xxPercent}% of requests got a 5xx in 3 of the last 5 minutes`,
          threshold: max5xxPercent,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 5,
          datapointsToAlarm: 3,
          // No requests: no rate, and nothing failing.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        errorRate,
      ),
      alarm(
        'LatencyP99',
        {
          alarmDescription: `p99 response time above ${maxP99} s in 3 of the last 5 minutes`,
          threshold: maxP99,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 5,
          datapointsToAlarm: 3,
          // No requests: no latency to judge.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        latency('p99'),
      ),
      alarm(
        'UnhealthyHosts',
        {
          alarmDescription: 'A target has failed its health checks for 3 minutes',
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 3,
          // Published every minute while targets are registered; no data means no targets to be unhealthy,
          // an outage the 5xx and pending-task alarms report.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        unhealthy,
      ),
      alarm(
        'ServiceCpuHigh',
        {
          alarmDescription: `Service CPU above ${maxCpu}% for 10 minutes: autoscaling is at its limit or stuck`,
          threshold: maxCpu,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 10,
          // No data means no running tasks: keep the last state rather than report CPU as fine or bad.
          treatMissingData: cloudwatch.TreatMissingData.MISSING,
        },
        cpu,
      ),
      alarm(
        'ServiceMemoryHigh',
        {
          alarmDescription: `Service memory above ${maxMemory}% for 10 minutes: tasks are close to OOM kills`,
          threshold: maxMemory,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 10,
          treatMissingData: cloudwatch.TreatMissingData.MISSING,
        },
        memory,
      ),
      alarm(
        'TasksPending',
        {
          alarmDescription: `Tasks have waited ${maxPendingMinutes} minutes for an instance with room`,
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: maxPendingMinutes,
          // Container Insights may skip minutes with nothing to report; a gap is not a stuck task.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        pending,
      ),
      alarm(
        'DatabaseCpuHigh',
        {
          alarmDescription: `Database CPU above ${maxDbCpu}% for 15 minutes`,
          threshold: maxDbCpu,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 3,
          // RDS always publishes CPU; silence means the instance is down.
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        },
        dbCpu,
      ),
      alarm(
        'DatabaseStorageLow',
        {
          alarmDescription: `Database free storage below ${minFreeGiB} GiB`,
          threshold: minFreeGiB * GIB,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        },
        dbFreeStorage,
      ),
    ];
    const action = new cloudwatchActions.SnsAction(this.topic);
    for (const a of this.alarms) {
      a.addAlarmAction(action);
      a.addOkAction(action);
    }

    // Dashboard names are unique per account, not per region: the region keeps a second region's dashboard
    // from colliding with (or overwriting) the first.
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? `berth-${props.envName}-${Stack.of(this).region}`,
      defaultInterval: Duration.hours(3),
    });
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []) =>
      new cloudwatch.GraphWidget({ title, left, right, width: 8, height: 6 });
    this.dashboard.addWidgets(
      graph('Requests and errors', [requests], [target4xx, target5xx, elb5xx]),
      graph('Latency (target response time)', [latency('p50'), latency('p99')]),
      graph('Targets', [healthy, unhealthy]),
    );
    this.dashboard.addWidgets(
      graph('Service CPU and memory (%)', [cpu, memory]),
      graph('Tasks', [running, pending]),
      graph('Cluster capacity', [capacityReservation], [instances]),
    );
    this.dashboard.addWidgets(
      graph('Database CPU (%)', [dbCpu]),
      graph('Database connections', [dbConnections]),
      graph('Database free storage (bytes)', [dbFreeStorage]),
    );
    if (props.webAclName !== undefined) {
      // AWS WAF Developer Guide, "AWS WAF metrics and dimensions": web ACL totals carry Rule=ALL.
      const waf = (metricName: string, label: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/WAFV2',
          metricName,
          dimensionsMap: { WebACL: props.webAclName!, Region: Stack.of(this).region, Rule: 'ALL' },
          statistic: cloudwatch.Stats.SUM,
          period: minute,
          label,
        });
      this.dashboard.addWidgets(
        graph('WAF (blocked; counted in count mode)', [
          waf('BlockedRequests', 'Blocked'),
          waf('CountedRequests', 'Counted'),
        ]),
      );
    }
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 4 }),
    );
  }
}

function validateMonitoringProps(t: Record<string, number>): void {
  for (const [name, value] of Object.entries(t)) {
    if (!Number.isFinite(value) || value <= 0) {
      throw new Error(`Monitoring threshold ${name} (${value}) must be a positive number`);
    }
  }
  for (const name of [
    'max5xxPercent',
    'maxServiceCpuPercent',
    'maxServiceMemoryPercent',
    'maxDatabaseCpuPercent',
  ]) {
    if ((t[name] ?? 0) > 100)
      throw new Error(`Monitoring threshold ${name} (${t[name]}) is a percentage: <= 100`);
  }
  if (!Number.isInteger(t.maxPendingMinutes)) {
    throw new Error(`maxPendingMinutes (${t.maxPendingMinutes}) must be a whole number of minutes`);
  }
}
