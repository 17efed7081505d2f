/**
 * One dashboard and one alarm topic per environment: the load balancer, each service (web: targets, CPU,
 * memory, tasks; worker: CPU and running tasks), the cluster's capacity and the database, with alarms that
 * page through an encrypted, SSL-only SNS topic.
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
import { pascalCase } from '../naming.js';
import { targetGroupMetric } from './target-group-metric.js';
import { type WorkerQueueAlarmsProps, workerQueueAlarms } from './worker-queue.js';
import { workerAlarms } from './worker-service.js';

/** A web service as the dashboard and its alarms see it. */
export interface MonitoredWebService {
  /** Its name in the config: titles the widgets, and its Pascal case scopes its alarms. */
  readonly name: string;
  readonly service: ecs.IBaseService;
  /**
   * Full names (`targetgroup/<name>/<id>`) of every target group the service may be live in: one for rolling,
   * two for blue/green and canary, where host counts are summed since either can be live after a swap.
   */
  readonly targetGroupFullNames: readonly string[];
}

/** A worker as the dashboard and its alarms see it. */
export interface MonitoredWorker {
  readonly name: string;
  readonly service: ecs.IBaseService;
  /** The queue it consumes: backlog graphs, dead-letter and message-age alarms. @default - no queue */
  readonly queue?: WorkerQueueAlarmsProps;
}

export interface MonitoringProps {
  readonly envName: EnvName;
  /**
   * Dashboard names are unique per account, not per region: include the region.
   * @default - `berth-<envName>-<region>`
   */
  readonly dashboardName?: string;
  /**
   * The environment's load balancer: request, error and latency graphs and alarms.
   * @default - none (an app of workers only; then `webServices` is empty)
   */
  readonly loadBalancer?: elbv2.ApplicationLoadBalancer;
  /** The web services behind the load balancer (at least one when there is a load balancer). */
  readonly webServices: readonly MonitoredWebService[];
  /** @default - none */
  readonly workers?: readonly MonitoredWorker[];
  readonly cluster: ecs.ICluster;
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

    const loadBalancer = props.loadBalancer;
    if (loadBalancer !== undefined && props.webServices.length === 0) {
      throw new Error('Monitoring webServices must name at least one web service');
    }
    if (loadBalancer === undefined && props.webServices.length > 0) {
      throw new Error('Monitoring webServices need the loadBalancer they are behind');
    }
    for (const web of props.webServices) {
      if (web.targetGroupFullNames.length === 0) {
        throw new Error(`Monitoring web service ${web.name} must name at least one target group`);
      }
    }
    const minute = Duration.minutes(1);
    /** A host count over every target group a service may be live in. */
    const hosts = (
      groups: readonly string[],
      label: string,
      statistic: string,
      metricName: 'HealthyHostCount' | 'UnHealthyHostCount',
    ): cloudwatch.IMetric => {
      const perGroup = groups.map((group) =>
        targetGroupMetric(loadBalancer!.loadBalancerFullName, group, metricName, {
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
    // No labels: an alarm on a labelled metric is rendered as a metric query; the widgets' titles name the service.
    const serviceMetrics = (service: ecs.IBaseService) => {
      const dims = { ClusterName: props.cluster.clusterName, ServiceName: service.serviceName };
      const ecsMetric = (metricName: string) =>
        new cloudwatch.Metric({ namespace: 'AWS/ECS', metricName, dimensionsMap: dims, period: minute });
      const insights = (metricName: string) =>
        new cloudwatch.Metric({
          namespace: 'ECS/ContainerInsights',
          metricName,
          dimensionsMap: dims,
          statistic: cloudwatch.Stats.MAXIMUM,
          period: minute,
        });
      return {
        cpu: ecsMetric('CPUUtilization'),
        memory: ecsMetric('MemoryUtilization'),
        running: insights('RunningTaskCount'),
        pending: insights('PendingTaskCount'),
      };
    };

    const lb = loadBalancer && loadBalancerMetrics(loadBalancer.metrics, minute);
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

    const alarm = (
      scope: Construct,
      name: string,
      options: cloudwatch.CreateAlarmOptions,
      metric: cloudwatch.IMetric,
    ) => new cloudwatch.Alarm(scope, `${name}Alarm`, { metric, ...options });
    // The load balancer's: what every client of the environment sees (none without one).
    const environmentAlarms = !lb
      ? []
      : [
          alarm(
            this,
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
            lb.errorRate,
          ),
          alarm(
            this,
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
            lb.latency('p99'),
          ),
        ];

    // Per web service, in a scope named after it: its targets, CPU, memory and placement.
    const webWidgets: cloudwatch.IWidget[][] = [];
    const webAlarms = props.webServices.flatMap((web) => {
      const scope = new Construct(this, pascalCase(web.name));
      const m = serviceMetrics(web.service);
      const healthy = hosts(
        web.targetGroupFullNames,
        'Healthy',
        cloudwatch.Stats.MINIMUM,
        'HealthyHostCount',
      );
      const unhealthy = hosts(
        web.targetGroupFullNames,
        'Unhealthy',
        cloudwatch.Stats.MAXIMUM,
        'UnHealthyHostCount',
      );
      webWidgets.push([
        graph(`${web.name}: targets`, [healthy, unhealthy]),
        graph(`${web.name}: CPU and memory (%)`, [m.cpu, m.memory]),
        graph(`${web.name}: tasks`, [m.running, m.pending]),
      ]);
      return [
        alarm(
          scope,
          'UnhealthyHosts',
          {
            alarmDescription: `${web.name}: a target has failed its health checks for 3 minutes`,
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
          scope,
          'ServiceCpuHigh',
          {
            alarmDescription: `${web.name}: CPU above ${maxCpu}% for 10 minutes: autoscaling is at its limit or stuck`,
            threshold: maxCpu,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluationPeriods: 10,
            // No data means no running tasks: keep the last state rather than report CPU as fine or bad.
            treatMissingData: cloudwatch.TreatMissingData.MISSING,
          },
          m.cpu,
        ),
        alarm(
          scope,
          'ServiceMemoryHigh',
          {
            alarmDescription: `${web.name}: memory above ${maxMemory}% for 10 minutes: tasks are close to OOM kills`,
            threshold: maxMemory,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluationPeriods: 10,
            treatMissingData: cloudwatch.TreatMissingData.MISSING,
          },
          m.memory,
        ),
        alarm(
          scope,
          'TasksPending',
          {
            alarmDescription: `${web.name}: tasks have waited ${maxPendingMinutes} minutes for an instance with room`,
            threshold: 0,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluationPeriods: maxPendingMinutes,
            // Container Insights may skip minutes with nothing to report; a gap is not a stuck task.
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          },
          m.pending,
        ),
      ];
    });

    // Per worker: CPU and tasks that do not run (the alarms WorkerService would make, beside the topic).
    const workerWidgets: cloudwatch.IWidget[] = [];
    const workerAlarmList = (props.workers ?? []).flatMap((worker) => {
      const scope = new Construct(this, pascalCase(worker.name));
      const m = serviceMetrics(worker.service);
      workerWidgets.push(
        graph(`${worker.name} (worker): CPU and memory (%)`, [m.cpu, m.memory]),
        graph(`${worker.name} (worker): tasks`, [m.running, m.pending]),
      );
      const { cpu, tasksBelowDesired } = workerAlarms(scope, {
        cluster: props.cluster,
        service: worker.service,
      });
      if (worker.queue === undefined) return [cpu, tasksBelowDesired];
      const { queue, deadLetterQueue } = worker.queue;
      workerWidgets.push(
        graph(
          `${worker.name} (worker): queue`,
          [queue.metricApproximateNumberOfMessagesVisible({ period: minute, label: 'Waiting' })],
          [
            deadLetterQueue.metricApproximateNumberOfMessagesVisible({
              period: minute,
              label: 'Dead letters',
            }),
          ],
        ),
      );
      const { deadLetters, oldestMessage } = workerQueueAlarms(scope, worker.queue);
      return [cpu, tasksBelowDesired, deadLetters, oldestMessage];
    });

    const databaseAlarms = [
      alarm(
        this,
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
        this,
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
    this.alarms = [...environmentAlarms, ...webAlarms, ...workerAlarmList, ...databaseAlarms];
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
    this.dashboard.addWidgets(
      ...(lb
        ? [
            graph('Requests and errors', [lb.requests], [lb.target4xx, lb.target5xx, lb.elb5xx]),
            graph('Latency (target response time)', [lb.latency('p50'), lb.latency('p99')]),
          ]
        : []),
      graph('Cluster capacity', [capacityReservation], [instances]),
    );
    for (const row of webWidgets) this.dashboard.addWidgets(...row);
    if (workerWidgets.length > 0) this.dashboard.addWidgets(...workerWidgets);
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

/** The load balancer's request, error and latency metrics. */
function loadBalancerMetrics(alb: elbv2.IApplicationLoadBalancerMetrics, minute: Duration) {
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
  const errorRate = new cloudwatch.MathExpression({
    // FILL: a minute with requests but no 5xx publishes no 5xx datapoint, which is a 0% rate.
    expression: '100 * (FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests',
    usingMetrics: { elb5xx, target5xx, requests },
    period: minute,
    label: '5xx %',
  });
  return { requests, elb5xx, target5xx, target4xx, latency, errorRate };
}

const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []) =>
  new cloudwatch.GraphWidget({ title, left, right, width: 8, height: 6 });

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
