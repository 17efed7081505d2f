/**
 * The Monitoring construct with every threshold given, each a distinct value (so a swap or an ignored prop shows),
 * and a WAF web ACL: what each alarm watches and says, the topic's key policy, the dashboard's widgets, and the
 * edges of what it accepts. Expected values are literals: Berth's alarm design and AWS's names ("Using Amazon
 * CloudWatch alarms" TreatMissingData values, "AWS WAF metrics and dimensions", the SNS/KMS key policy CloudWatch
 * needs: "Encrypting Amazon SNS topics for CloudWatch alarms").
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Monitoring, type MonitoringProps } from '../lib/constructs/monitoring.js';
import { ENVIRONMENTS } from './fixtures/cart-config.js';
import { addWebService, createWebFixture, synthesize } from './support/web-fixture.js';
import { webService } from './support/web-services.js';

// biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON
type Json = any;

const THRESHOLDS = {
  max5xxPercent: 7,
  maxP99LatencySeconds: 1.5,
  maxServiceCpuPercent: 81,
  maxServiceMemoryPercent: 88,
  maxPendingMinutes: 6,
  maxDatabaseCpuPercent: 77,
  minDatabaseFreeStorageGiB: 3,
} as const;

let built = 0;
function build(overrides: Partial<MonitoringProps> = {}) {
  const fixture = createWebFixture(`Monitoring${built++}`);
  const web = addWebService(fixture, 'test', {
    service: { deployment: { ...webService(ENVIRONMENTS.test).deployment, strategy: 'rolling' } },
  });
  new Monitoring(fixture.stack, 'Monitoring', {
    envName: 'test',
    loadBalancer: web.loadBalancer,
    webServices: [
      { name: 'web', service: web.service, targetGroupFullNames: [web.targetGroup.targetGroupFullName] },
    ],
    cluster: fixture.cluster,
    autoScalingGroupName: fixture.autoScalingGroup.autoScalingGroupName,
    capacityProviderName: fixture.capacityProvider.capacityProviderName,
    database: fixture.database,
    ...overrides,
  });
  return fixture;
}

// GIVEN every threshold set and a web ACL to graph
const template = synthesize(build({ ...THRESHOLDS, webAclName: 'berth-test-acl' }));
const resources = template.toJSON().Resources as Record<string, Json>;
const topicId = Object.keys(template.findResources('AWS::SNS::Topic'))[0]!;
const alarms = Object.values(resources).filter(
  (r) =>
    r.Type === 'AWS::CloudWatch::Alarm' && JSON.stringify(r.Properties.AlarmActions ?? []).includes(topicId),
);

/** The alarm whose description starts with `prefix`, without the fields every alarm shares. */
function alarm(prefix: string) {
  const found = alarms.filter((a) => String(a.Properties.AlarmDescription).startsWith(prefix));
  assert.equal(found.length, 1, `one alarm described "${prefix}…"`);
  const { AlarmActions, OKActions, Metrics, MetricName, Namespace, Dimensions, Tags, ...rest } =
    found[0]!.Properties;
  return { rest, metrics: Metrics as Json[] | undefined, metricName: MetricName, namespace: Namespace };
}

describe('Monitoring contract: alarms', () => {
  test('5xx rate: above the given percent in 3 of 5 minutes; no requests is not an error', () => {
    const { rest, metrics } = alarm('More than 7%');
    assert.deepEqual(rest, {
      AlarmDescription: 'More than 7% of requests got a 5xx in 3 of the last 5 minutes',
      ComparisonOperator: 'GreaterThanThreshold',
      DatapointsToAlarm: 3,
      EvaluationPeriods: 5,
      Threshold: 7,
      TreatMissingData: 'notBreaching',
    });
    const expression = metrics!.find((m) => m.Expression);
    assert.equal(expression.Expression, '100 * (FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests');
    assert.equal(expression.Label, '5xx %');
  });

  test('p99 latency: above the given seconds in 3 of 5 minutes', () => {
    assert.deepEqual(alarm('p99 response time').rest, {
      AlarmDescription: 'p99 response time above 1.5 s in 3 of the last 5 minutes',
      ComparisonOperator: 'GreaterThanThreshold',
      DatapointsToAlarm: 3,
      EvaluationPeriods: 5,
      Threshold: 1.5,
      TreatMissingData: 'notBreaching',
    });
  });

  test('unhealthy hosts: any, for 3 minutes, highest count of the minute', () => {
    const { rest, metrics } = alarm('web: a target has failed');
    assert.deepEqual(rest, {
      AlarmDescription: 'web: a target has failed its health checks for 3 minutes',
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      Threshold: 0,
      TreatMissingData: 'notBreaching',
    });
    assert.equal(metrics![0].MetricStat.Stat, 'Maximum');
    assert.equal(metrics![0].MetricStat.Period, 60);
  });

  test('service CPU and memory: above the given percents for 10 minutes; silence keeps the last state', () => {
    const cpu = alarm('web: CPU');
    assert.deepEqual(cpu.rest, {
      AlarmDescription: 'web: CPU above 81% for 10 minutes: autoscaling is at its limit or stuck',
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 10,
      Period: 60,
      Statistic: 'Average',
      Threshold: 81,
      TreatMissingData: 'missing',
    });
    assert.deepEqual([cpu.namespace, cpu.metricName], ['AWS/ECS', 'CPUUtilization']);
    const memory = alarm('web: memory');
    assert.deepEqual(memory.rest, {
      AlarmDescription: 'web: memory above 88% for 10 minutes: tasks are close to OOM kills',
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 10,
      Period: 60,
      Statistic: 'Average',
      Threshold: 88,
      TreatMissingData: 'missing',
    });
    assert.deepEqual([memory.namespace, memory.metricName], ['AWS/ECS', 'MemoryUtilization']);
  });

  test('pending tasks: any, for the given minutes (the highest count each minute)', () => {
    const pending = alarm('web: tasks have waited');
    assert.deepEqual(pending.rest, {
      AlarmDescription: 'web: tasks have waited 6 minutes for an instance with room',
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 6,
      Period: 60,
      Statistic: 'Maximum',
      Threshold: 0,
      TreatMissingData: 'notBreaching',
    });
    assert.deepEqual([pending.namespace, pending.metricName], ['ECS/ContainerInsights', 'PendingTaskCount']);
  });

  test('database CPU above the given percent for 15 minutes; free storage below the given GiB', () => {
    assert.deepEqual(alarm('Database CPU').rest, {
      AlarmDescription: 'Database CPU above 77% for 15 minutes',
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      Period: 300,
      Statistic: 'Average',
      Threshold: 77,
      TreatMissingData: 'breaching',
    });
    assert.deepEqual(alarm('Database free storage').rest, {
      AlarmDescription: 'Database free storage below 3 GiB',
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 1,
      Period: 300,
      Statistic: 'Average',
      Threshold: 3 * 1024 ** 3,
      TreatMissingData: 'breaching',
    });
  });
});

describe('Monitoring contract: topic', () => {
  test('named for its environment; its key lets only CloudWatch of this account decrypt and generate data keys', () => {
    const topic = resources[topicId].Properties;
    assert.equal(topic.DisplayName, 'Berth test alarms');
    const keyId = topic.KmsMasterKeyId['Fn::GetAtt'][0];
    const key = resources[keyId].Properties;
    assert.equal(key.Description, 'Berth test alarm topic');
    const cloudwatch = key.KeyPolicy.Statement.filter(
      (s: Json) => s.Principal?.Service === 'cloudwatch.amazonaws.com',
    );
    assert.deepEqual(cloudwatch, [
      {
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Resource: '*',
      },
    ]);
  });
});

describe('Monitoring contract: dashboard', () => {
  const dashboard = Object.values(resources).find((r) => r.Type === 'AWS::CloudWatch::Dashboard')!;
  // The body is a Fn::Join of JSON text and tokens: the text parts are enough to read titles and settings.
  const text = (dashboard.Properties.DashboardBody['Fn::Join'][1] as unknown[])
    .filter((part): part is string => typeof part === 'string')
    .join('');

  test('opens on the last 3 hours', () => {
    assert.match(text, /"start":"-PT3H"/);
  });

  test('one widget per concern, titled, then the alarm status', () => {
    const titles = [...text.matchAll(/"title":"([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(titles, [
      'Requests and errors',
      'Latency (target response time)',
      'Cluster capacity',
      'web: targets',
      'web: CPU and memory (%)',
      'web: tasks',
      'Database CPU (%)',
      'Database connections',
      'Database free storage (bytes)',
      'WAF (blocked; counted in count mode)',
      'Alarms',
    ]);
  });

  test('the WAF widget graphs the web ACL totals (Rule ALL) of blocked and counted requests', () => {
    for (const [metric, label] of [
      ['BlockedRequests', 'Blocked'],
      ['CountedRequests', 'Counted'],
    ]) {
      const series = `["AWS/WAFV2","${metric}","Region","eu-west-1","Rule","ALL","WebACL","berth-test-acl",{"label":"${label}","period":60,"stat":"Sum"}]`;
      assert.ok(text.includes(series), series);
    }
  });

  test('series carry readable labels', () => {
    for (const label of [
      'Requests',
      'ALB 5xx',
      'Target 5xx',
      'Target 4xx',
      'p50 latency',
      'p99 latency',
      'Healthy',
      'Unhealthy',
    ]) {
      assert.ok(text.includes(`"label":"${label}"`), label);
    }
  });
});

describe('Monitoring contract: what it refuses', () => {
  const refuses = (overrides: Partial<MonitoringProps>, message: string) =>
    assert.throws(
      () => build(overrides),
      (error: Error) => error.message === message,
      JSON.stringify(overrides),
    );

  test('every percentage threshold above 100; 100 itself is accepted', () => {
    for (const name of [
      'max5xxPercent',
      'maxServiceCpuPercent',
      'maxServiceMemoryPercent',
      'maxDatabaseCpuPercent',
    ]) {
      refuses({ [name]: 101 }, `Monitoring threshold ${name} (101) is a percentage: <= 100`);
      assert.doesNotThrow(() => build({ [name]: 100 }), name);
    }
  });

  test('a threshold that is not a finite positive number', () => {
    refuses(
      { maxP99LatencySeconds: Number.POSITIVE_INFINITY },
      'Monitoring threshold maxP99LatencySeconds (Infinity) must be a positive number',
    );
    refuses(
      { minDatabaseFreeStorageGiB: -1 },
      'Monitoring threshold minDatabaseFreeStorageGiB (-1) must be a positive number',
    );
  });

  test('no web service, or one with no target group, to watch', () => {
    refuses({ webServices: [] }, 'Monitoring webServices must name at least one web service');
    refuses(
      { webServices: [{ name: 'api', service: undefined as never, targetGroupFullNames: [] }] },
      'Monitoring web service api must name at least one target group',
    );
  });
});
