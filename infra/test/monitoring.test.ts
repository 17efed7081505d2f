import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import type { ServiceConfig } from '../config/environments.js';
import { Monitoring, type MonitoringProps } from '../lib/constructs/monitoring.js';
import { ENVIRONMENTS } from './fixtures/cart-config.js';
import { addWebService, createWebFixture, synthesize } from './support/web-fixture.js';
import { webService } from './support/web-services.js';

function build(overrides: Partial<MonitoringProps> = {}, service: Partial<ServiceConfig> = {}) {
  const fixture = createWebFixture();
  const web = addWebService(fixture, 'test', { service });
  const monitoring = new Monitoring(fixture.stack, 'Monitoring', {
    envName: 'test',
    loadBalancer: web.loadBalancer,
    webServices: [
      {
        name: 'web',
        service: web.service,
        targetGroupFullNames: [
          web.targetGroup,
          ...(web.alternateTargetGroup ? [web.alternateTargetGroup] : []),
        ].map((g) => g.targetGroupFullName),
      },
    ],
    cluster: fixture.cluster,
    autoScalingGroupName: fixture.autoScalingGroup.autoScalingGroupName,
    capacityProviderName: fixture.capacityProvider.capacityProviderName,
    database: fixture.database,
    alarmEmail: 'ops@example.com',
    ...overrides,
  });
  return { fixture, web, monitoring };
}

type MetricQuery = { Expression?: string; MetricStat?: { Metric: { MetricName: string } } };
type KeyStatement = { Principal?: { Service?: string } };

// One synthesis (with cdk-nag) shared by every assertion below; rolling, so one target group unless a test says.
const rolling = { deployment: { ...webService(ENVIRONMENTS.test).deployment, strategy: 'rolling' as const } };
const { fixture, monitoring } = build({}, rolling);
const template = synthesize(fixture);
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON, read field by field in the assertions.
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: any }>;
const topicId = Object.entries(resources).find(([, r]) => r.Type === 'AWS::SNS::Topic')![0];
const monitoringAlarms = Object.values(resources).filter(
  (r) =>
    r.Type === 'AWS::CloudWatch::Alarm' && JSON.stringify(r.Properties.AlarmActions ?? []).includes(topicId),
);

describe('Monitoring topic', () => {
  test('is encrypted with a rotating customer managed key CloudWatch may use', () => {
    const topic = resources[topicId]!.Properties;
    const keyId = topic.KmsMasterKeyId['Fn::GetAtt'][0];
    assert.equal(resources[keyId]!.Type, 'AWS::KMS::Key');
    assert.equal(resources[keyId]!.Properties.EnableKeyRotation, true);
    const statements = resources[keyId]!.Properties.KeyPolicy.Statement;
    assert.ok(statements.some((s: KeyStatement) => s.Principal?.Service === 'cloudwatch.amazonaws.com'));
  });

  test('denies publishing without TLS', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('GIVEN an alarm e-mail THEN it is subscribed', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: topicId },
    });
  });

  test('GIVEN no alarm e-mail THEN the template has no subscription at all', () => {
    const bare = synthesize(build({ alarmEmail: undefined }, rolling).fixture);
    bare.resourceCountIs('AWS::SNS::Subscription', 0);
    bare.resourceCountIs('AWS::SNS::Topic', 1);
  });
});

describe('Monitoring alarms', () => {
  test('eight alarms, each notifying the topic on alarm and on recovery', () => {
    assert.equal(monitoring.alarms.length, 8);
    assert.equal(monitoringAlarms.length, 8);
    for (const alarm of monitoringAlarms) {
      assert.deepEqual(alarm.Properties.AlarmActions, [{ Ref: topicId }]);
      assert.deepEqual(alarm.Properties.OKActions, [{ Ref: topicId }]);
    }
  });

  /** Labelled metrics render as a one-query `Metrics` list, others as plain fields: read both shapes. */
  const metricOf = (alarm: { Properties: Record<string, unknown> }) => {
    const p = alarm.Properties as { MetricName?: string; Namespace?: string; ExtendedStatistic?: string };
    const stat = (p as { Metrics?: (MetricQuery & { MetricStat?: { Stat?: string } })[] }).Metrics;
    if (stat?.length === 1 && stat[0]?.MetricStat) {
      const m = stat[0].MetricStat as { Metric: { MetricName: string; Namespace: string }; Stat: string };
      return { name: m.Metric.MetricName, namespace: m.Metric.Namespace, stat: m.Stat };
    }
    return { name: p.MetricName, namespace: p.Namespace, stat: p.ExtendedStatistic };
  };
  const byMetric = (name: string, namespace?: string) => {
    const found = monitoringAlarms.filter(
      (a) => metricOf(a).name === name && (namespace === undefined || metricOf(a).namespace === namespace),
    );
    assert.equal(found.length, 1, `one alarm on ${name}`);
    return { ...found[0]!.Properties, metric: metricOf(found[0]!) };
  };

  test('the 5xx rate is a math expression over ALB and target 5xx divided by requests', () => {
    const rate = monitoringAlarms.find((a) => (a.Properties.Metrics?.length ?? 0) > 1)!.Properties;
    const expression = (rate.Metrics as MetricQuery[]).find((m) => m.Expression !== undefined);
    assert.match(expression?.Expression ?? '', /elb5xx.*target5xx.*\/ requests/);
    const names = (rate.Metrics as MetricQuery[]).flatMap((m) =>
      m.MetricStat ? [m.MetricStat.Metric.MetricName] : [],
    );
    assert.deepEqual(names.sort(), ['HTTPCode_ELB_5XX_Count', 'HTTPCode_Target_5XX_Count', 'RequestCount']);
    assert.equal(rate.Threshold, 5);
    assert.equal(rate.TreatMissingData, 'notBreaching');
  });

  test('p99 latency, unhealthy hosts, service CPU/memory and pending tasks', () => {
    const latency = byMetric('TargetResponseTime');
    assert.equal(latency.metric.stat, 'p99');
    assert.equal(latency.Threshold, 2);
    assert.equal(byMetric('UnHealthyHostCount').Threshold, 0);
    const cpu = byMetric('CPUUtilization', 'AWS/ECS');
    assert.equal(cpu.metric.namespace, 'AWS/ECS');
    assert.equal(cpu.Threshold, 85);
    assert.equal(byMetric('MemoryUtilization').Threshold, 90);
    const pending = byMetric('PendingTaskCount');
    assert.equal(pending.metric.namespace, 'ECS/ContainerInsights');
    assert.equal(pending.EvaluationPeriods, 10);
    assert.equal(pending.ComparisonOperator, 'GreaterThanThreshold');
  });

  test('database CPU and free storage treat silence as breaching (the instance is down)', () => {
    const dbCpu = byMetric('CPUUtilization', 'AWS/RDS');
    assert.equal(dbCpu.Threshold, 80);
    assert.equal(dbCpu.TreatMissingData, 'breaching');
    const storage = byMetric('FreeStorageSpace');
    assert.equal(storage.Threshold, 2 * 1024 ** 3);
    assert.equal(storage.ComparisonOperator, 'LessThanThreshold');
    assert.equal(storage.TreatMissingData, 'breaching');
  });

  test('a non-positive or above-100% threshold is rejected with its name', () => {
    assert.throws(() => build({ max5xxPercent: 0 }), /max5xxPercent \(0\) must be a positive number/);
    assert.throws(() => build({ maxServiceCpuPercent: 120 }), /maxServiceCpuPercent \(120\) is a percentage/);
    assert.throws(
      () => build({ maxPendingMinutes: 2.5 }),
      /maxPendingMinutes \(2.5\) must be a whole number/,
    );
  });
});

describe('Monitoring under blue/green', () => {
  test('host counts are summed over both target groups, since either may be live after a swap', () => {
    const blueGreen = { ...webService(ENVIRONMENTS.test).deployment, strategy: 'blue-green' as const };
    const built = build({}, { deployment: blueGreen });
    const alarms = Object.values(synthesize(built.fixture).findResources('AWS::CloudWatch::Alarm'));
    const unhealthy = alarms.find((a) =>
      (a.Properties.Metrics as MetricQuery[] | undefined)?.some(
        (q) => q.MetricStat?.Metric.MetricName === 'UnHealthyHostCount',
      ),
    );
    assert.ok(unhealthy, 'the unhealthy-hosts alarm is a metric math alarm');
    const queries = unhealthy.Properties.Metrics as MetricQuery[];
    assert.equal(queries.find((q) => q.Expression)?.Expression, 'FILL(unhealthy0, 0) + FILL(unhealthy1, 0)');
    const groups = queries.filter((q) => q.MetricStat?.Metric.MetricName === 'UnHealthyHostCount');
    assert.equal(groups.length, 2);
  });
});

describe('Monitoring dashboard', () => {
  const body = JSON.stringify(
    Object.values(resources).find((r) => r.Type === 'AWS::CloudWatch::Dashboard')!.Properties.DashboardBody,
  );
  /** Metric names as whole JSON strings in the body: "HealthyHostCount" never matches "UnHealthyHostCount". */
  const metricNames = new Set([...body.matchAll(/\\"([A-Za-z0-9_]+)\\"/g)].map((m) => m[1]));

  test('is named per environment and region: dashboard names are account-wide', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'berth-test-eu-west-1' });
  });

  for (const metric of [
    'RequestCount',
    'HTTPCode_Target_4XX_Count',
    'HTTPCode_Target_5XX_Count',
    'TargetResponseTime',
    'HealthyHostCount',
    'UnHealthyHostCount',
    'RunningTaskCount',
    'PendingTaskCount',
    'MemoryUtilization',
    'CapacityProviderReservation',
    'GroupInServiceInstances',
    'DatabaseConnections',
    'FreeStorageSpace',
  ]) {
    test(`shows ${metric}`, () => assert.ok(metricNames.has(metric), `${metric} missing from the dashboard`));
  }

  test('shows p50 and p99 latency', () => {
    assert.ok(body.includes('p50'));
    assert.ok(body.includes('p99'));
  });
});
