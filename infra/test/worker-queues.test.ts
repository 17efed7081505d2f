/**
 * Worker queues and apps of workers only (#13 item 2), synthesized through the real app with cdk-nag on. Every
 * expectation is a literal written here (SQS and Application Auto Scaling documentation), not read from the
 * config the app was built from.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveConfig } from '../config/resolve.js';
import type { BerthConfig } from '../config/schema.js';
import { synthesize } from './fixtures/platform.js';
import { shopEnvironments } from './fixtures/shop-environments.js';

const ACCOUNT = '555566667777';
const IMAGE = { 'berth:image': `sha256:${'d'.repeat(64)}` };

/** `api` sends to `jobs`; `jobs` consumes its queue and sends to `mail`; `report` has no queue. */
const SHOP = {
  app: 'shop',
  github: { repository: 'acme/shop' },
  services: {
    api: { type: 'web', port: 8000, sendsTo: ['jobs'] },
    jobs: {
      type: 'worker',
      command: ['python', 'jobs.py'],
      stopTimeoutSeconds: 90,
      queue: {
        visibilityTimeoutSeconds: 120,
        retentionDays: 7,
        maxReceiveCount: 3,
        maxMessageAgeMinutes: 45,
      },
      scaling: { messagesPerTask: 40, cpuPercent: 55 },
      sendsTo: ['mail'],
    },
    mail: { type: 'worker', command: ['python', 'mail.py'], database: false, queue: {} },
    report: { type: 'worker', command: ['python', 'report.py'] },
  },
  environments: shopEnvironments(ACCOUNT),
} as const satisfies BerthConfig;

// biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON, read field by field
type Json = any;

const resourcesOf = (template: Json) => template.Resources as Record<string, Json>;
const ofType = (resources: Record<string, Json>, type: string) =>
  Object.entries(resources).filter(([, r]) => r.Type === type);

// GIVEN the shop with queues, WHEN synthesized (both environments, cdk-nag and schema checks on)
const app = synthesize({ config: resolveConfig(SHOP), context: IMAGE });
const service = app.json('Shop-Test-eu-west-1-Service');
const monitoring = app.json('Shop-Test-eu-west-1-Monitoring');
const resources = resourcesOf(service);

/** A worker's queue or dead-letter queue, by the logical id its construct path gives (`Jobs-Queue/Queue` → `JobsQueue…`). */
const queues = ofType(resources, 'AWS::SQS::Queue');
const queueId = (worker: string, dead = false) => {
  const pattern = new RegExp(`^${worker}Queue${dead ? 'DeadLetterQueue' : ''}[0-9A-F]{8}$`);
  const found = queues.filter(([id]) => pattern.test(id));
  assert.equal(
    found.length,
    1,
    `one ${dead ? 'dead-letter ' : ''}queue of ${worker}: ${queues.map(([i]) => i)}`,
  );
  return found[0]![0];
};
const containerOf = (name: string): Json =>
  ofType(resources, 'AWS::ECS::TaskDefinition')
    .flatMap(([, t]) => t.Properties.ContainerDefinitions)
    .find((c: Json) => c.Name === name);
const environmentOf = (name: string): Record<string, Json> =>
  Object.fromEntries((containerOf(name).Environment ?? []).map((e: Json) => [e.Name, e.Value]));
/** The SQS statements of the task role of the task definition whose container is `name`. */
function sqsStatementsOf(name: string): Json[] {
  const [, task] = ofType(resources, 'AWS::ECS::TaskDefinition').find(([, t]) =>
    t.Properties.ContainerDefinitions.some((c: Json) => c.Name === name),
  )!;
  const role = task.Properties.TaskRoleArn['Fn::GetAtt'][0];
  return ofType(resources, 'AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: Json) => r.Ref === role))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement)
    .filter((s: Json) => [s.Action].flat().some((a: string) => a.startsWith('sqs:')));
}
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const urlOf = (id: string) => ({ Ref: id });

describe('a worker queue synthesizes with its dead-letter queue', () => {
  test('no unacknowledged cdk-nag finding, no schema error', () => {
    assert.equal(app.synthError, null, String(app.synthError));
    assert.deepEqual(
      app.nagViolations,
      [],
      app.nagViolations.map((v) => `${v.rule} at ${v.path}`).join('\n'),
    );
  });

  test('four queues: jobs and mail, each with a dead-letter queue; report none', () => {
    assert.equal(queues.length, 4);
    assert.equal(queues.filter(([id]) => id.startsWith('Report')).length, 0);
  });

  test("jobs's queue: its visibility, retention (7 days), redrive after 3 receives, SSE-SQS", () => {
    const q = resources[queueId('Jobs')].Properties;
    assert.equal(q.VisibilityTimeout, 120);
    assert.equal(q.MessageRetentionPeriod, 7 * 86_400);
    assert.deepEqual(q.RedrivePolicy, {
      deadLetterTargetArn: arnOf(queueId('Jobs', true)),
      maxReceiveCount: 3,
    });
    assert.equal(q.SqsManagedSseEnabled, true);
    assert.equal(q.ReceiveMessageWaitTimeSeconds, 20);
  });

  test("mail's queue: SQS's defaults (30 s, 4 days) and 5 receives; dead letters kept 14 days", () => {
    const q = resources[queueId('Mail')].Properties;
    // SQS Developer Guide: VisibilityTimeout default 30 s; CDK leaves retention unset → SQS's 4 days.
    assert.ok(q.VisibilityTimeout === undefined || q.VisibilityTimeout === 30, String(q.VisibilityTimeout));
    assert.ok(
      q.MessageRetentionPeriod === undefined || q.MessageRetentionPeriod === 345_600,
      String(q.MessageRetentionPeriod),
    );
    assert.equal(q.RedrivePolicy.maxReceiveCount, 5);
    const dead = resources[queueId('Mail', true)].Properties;
    assert.equal(dead.MessageRetentionPeriod, 1_209_600);
    assert.equal(dead.SqsManagedSseEnabled, true);
    assert.equal(dead.RedrivePolicy, undefined);
  });

  test('every queue denies requests without TLS', () => {
    const policies = ofType(resources, 'AWS::SQS::QueuePolicy');
    const covered = policies.flatMap(([, p]) =>
      p.Properties.PolicyDocument.Statement.filter(
        (s: Json) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false',
      ).length > 0
        ? p.Properties.Queues.map((q: Json) => q.Ref)
        : [],
    );
    assert.deepEqual(covered.sort(), queues.map(([id]) => id).sort());
  });

  test('outputs: each queue-consuming worker its queue and dead-letter URLs', () => {
    assert.deepEqual(service.Outputs.JobsQueueUrl.Value, urlOf(queueId('Jobs')));
    assert.deepEqual(service.Outputs.JobsDeadLetterQueueUrl.Value, urlOf(queueId('Jobs', true)));
    assert.deepEqual(service.Outputs.MailQueueUrl.Value, urlOf(queueId('Mail')));
    assert.equal(service.Outputs.ReportQueueUrl, undefined);
  });
});

describe('least privilege: consume for the worker, send for the services that list it', () => {
  const CONSUME = [
    'sqs:ChangeMessageVisibility',
    'sqs:DeleteMessage',
    'sqs:GetQueueAttributes',
    'sqs:GetQueueUrl',
    'sqs:ReceiveMessage',
  ];
  const SEND = ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'];
  const grants = (name: string) =>
    sqsStatementsOf(name)
      .map((s) => ({ actions: [s.Action].flat().sort(), resource: s.Resource }))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

  test('api: send to jobs only', () => {
    assert.deepEqual(grants('api'), [{ actions: SEND, resource: arnOf(queueId('Jobs')) }]);
  });

  test('jobs: consume its own queue, send to mail', () => {
    assert.deepEqual(
      grants('jobs'),
      [
        { actions: CONSUME, resource: arnOf(queueId('Jobs')) },
        { actions: SEND, resource: arnOf(queueId('Mail')) },
      ].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );
  });

  test('mail: consume its own queue, send nowhere', () => {
    assert.deepEqual(grants('mail'), [{ actions: CONSUME, resource: arnOf(queueId('Mail')) }]);
  });

  test('report: no SQS permission at all', () => {
    assert.deepEqual(grants('report'), []);
  });
});

describe('queue URLs reach the containers as variables', () => {
  test('the worker its QUEUE_URL, a sender <NAME>_QUEUE_URL', () => {
    assert.deepEqual(environmentOf('jobs').QUEUE_URL, urlOf(queueId('Jobs')));
    assert.deepEqual(environmentOf('jobs').MAIL_QUEUE_URL, urlOf(queueId('Mail')));
    assert.deepEqual(environmentOf('api').JOBS_QUEUE_URL, urlOf(queueId('Jobs')));
    assert.deepEqual(environmentOf('mail').QUEUE_URL, urlOf(queueId('Mail')));
  });

  test('no queue variable where none was asked for', () => {
    const queueVariables = (name: string) =>
      Object.keys(environmentOf(name)).filter((n) => n.endsWith('QUEUE_URL'));
    assert.deepEqual(queueVariables('report'), []);
    assert.deepEqual(queueVariables('api'), ['JOBS_QUEUE_URL']);
    assert.deepEqual(queueVariables('mail'), ['QUEUE_URL']);
  });
});

describe('scaling: backlog per task (AWS: ApproximateNumberOfMessagesVisible / RunningTaskCount) and CPU', () => {
  const policies = ofType(resources, 'AWS::ApplicationAutoScaling::ScalingPolicy');
  const targetOf = (worker: string) =>
    ofType(resources, 'AWS::ApplicationAutoScaling::ScalableTarget').find(([id]) =>
      id.startsWith(`${worker}TaskCount`),
    )![0];
  const policiesOf = (worker: string) =>
    policies
      .filter(([, p]) => p.Properties.ScalingTargetId?.Ref === targetOf(worker))
      .map(([, p]) => p.Properties);

  test('jobs: 40 messages per task on its own queue, and CPU at 55%', () => {
    const [queuePolicy] = policiesOf('Jobs').filter(
      (p) => p.TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification,
    );
    const config = queuePolicy.TargetTrackingScalingPolicyConfiguration;
    assert.equal(config.TargetValue, 40);
    const metrics = config.CustomizedMetricSpecification.Metrics;
    const messages = metrics.find((m: Json) => m.Id === 'messages').MetricStat.Metric;
    assert.equal(messages.MetricName, 'ApproximateNumberOfMessagesVisible');
    assert.deepEqual(messages.Dimensions, [
      { Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId('Jobs'), 'QueueName'] } },
    ]);
    assert.equal(metrics.find((m: Json) => m.ReturnData === true).Expression, 'messages / tasks');
    const cpu = policiesOf('Jobs').find(
      (p) => p.TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification,
    );
    assert.equal(cpu.TargetTrackingScalingPolicyConfiguration.TargetValue, 55);
  });

  test('mail: the default 10 messages per task', () => {
    const [queuePolicy] = policiesOf('Mail').filter(
      (p) => p.TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification,
    );
    assert.equal(queuePolicy.TargetTrackingScalingPolicyConfiguration.TargetValue, 10);
  });

  test('report: CPU only', () => {
    const report = policiesOf('Report');
    assert.equal(report.length, 1);
    assert.ok(report[0].TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification);
  });
});

describe('graceful stop holds for workers', () => {
  test("jobs's container gets its 90 s between SIGTERM and SIGKILL; report the default 30", () => {
    assert.equal(containerOf('jobs').StopTimeout, 90);
    assert.equal(containerOf('report').StopTimeout, 30);
  });

  test('a deploy starts new worker tasks before stopping old ones (100% / 200%)', () => {
    for (const [, s] of ofType(resources, 'AWS::ECS::Service').filter(([id]) =>
      /^(Jobs|Mail|Report)/.test(id),
    )) {
      assert.equal(s.Properties.DeploymentConfiguration.MinimumHealthyPercent, 100);
      assert.equal(s.Properties.DeploymentConfiguration.MaximumPercent, 200);
    }
  });
});

describe('queue alarms in the Monitoring stack, on the alarm topic', () => {
  const alarms = ofType(resourcesOf(monitoring), 'AWS::CloudWatch::Alarm');
  const alarm = (prefix: string) => {
    const found = alarms.filter(([id]) => id.startsWith(prefix));
    assert.equal(found.length, 1, `${prefix}: ${alarms.map(([id]) => id).join(', ')}`);
    return found[0]![1].Properties;
  };

  test('jobs: a message in the dead-letter queue (max > 0 in a minute)', () => {
    const a = alarm('MonitoringJobsDeadLetterMessagesAlarm');
    assert.equal(a.MetricName, 'ApproximateNumberOfMessagesVisible');
    assert.equal(a.Namespace, 'AWS/SQS');
    assert.equal(a.Statistic, 'Maximum');
    assert.equal(a.Threshold, 0);
    assert.equal(a.ComparisonOperator, 'GreaterThanThreshold');
    assert.equal(a.TreatMissingData, 'notBreaching');
    assert.ok(JSON.stringify(a.Dimensions).includes('DeadLetterQueue'), JSON.stringify(a.Dimensions));
    assert.equal(a.AlarmActions.length, 1);
  });

  test('jobs: the oldest message older than 45 minutes (2700 s)', () => {
    const a = alarm('MonitoringJobsOldestMessageAgeAlarm');
    assert.equal(a.MetricName, 'ApproximateAgeOfOldestMessage');
    assert.equal(a.Threshold, 2700);
    assert.equal(a.TreatMissingData, 'notBreaching');
  });

  test('mail: the default 15 minutes (900 s); report has no queue alarm', () => {
    assert.equal(alarm('MonitoringMailOldestMessageAgeAlarm').Threshold, 900);
    assert.equal(alarms.filter(([id]) => id.startsWith('MonitoringReport') && /Message/.test(id)).length, 0);
  });
});

describe('an app of workers only: no load balancer, no URL', () => {
  const { api: _api, ...workers } = SHOP.services;
  const workersOnly = {
    ...SHOP,
    services: { ...workers, jobs: { ...workers.jobs, sendsTo: ['mail'] } },
  } as const satisfies BerthConfig;
  const only = synthesize({ config: resolveConfig(workersOnly), context: IMAGE });
  const types = (stack: string) =>
    new Set(Object.values(resourcesOf(only.json(stack))).map((r: Json) => r.Type as string));

  test('cdk-nag clean, no schema error', () => {
    assert.equal(only.synthError, null, String(only.synthError));
    assert.deepEqual(
      only.nagViolations,
      [],
      only.nagViolations.map((v) => `${v.rule} at ${v.path}`).join('\n'),
    );
  });

  test('test and prod: no load balancer, listener, target group or web ACL', () => {
    for (const stack of ['Shop-Test-eu-west-1-Service', 'Shop-Prod-eu-west-1-Service']) {
      const present = types(stack);
      for (const type of [
        'AWS::ElasticLoadBalancingV2::LoadBalancer',
        'AWS::ElasticLoadBalancingV2::Listener',
        'AWS::ElasticLoadBalancingV2::TargetGroup',
        'AWS::WAFv2::WebACL',
      ]) {
        assert.equal(present.has(type), false, `${stack} has ${type}`);
      }
      assert.equal(present.has('AWS::ECS::Service'), true);
    }
  });

  test('no URL outputs; the workers and queues still output theirs', () => {
    const outputs = Object.keys(only.json('Shop-Prod-eu-west-1-Service').Outputs);
    assert.deepEqual(outputs.filter((k) => k.endsWith('Url')).sort(), [
      'JobsDeadLetterQueueUrl',
      'JobsQueueUrl',
      'MailDeadLetterQueueUrl',
      'MailQueueUrl',
    ]);
    assert.ok(outputs.includes('JobsServiceName'));
  });

  test('Monitoring: no request or latency alarm; the worker and database ones stay', () => {
    const ids = Object.entries(resourcesOf(only.json('Shop-Prod-eu-west-1-Monitoring')))
      .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')
      .map(([id]) => id.replace(/[0-9A-F]{8}$/, ''));
    assert.equal(
      ids.some((id) => /Error5xx|LatencyP99/.test(id)),
      false,
      ids.join(', '),
    );
    assert.ok(ids.includes('MonitoringJobsDeadLetterMessagesAlarm'), ids.join(', '));
    assert.ok(ids.includes('MonitoringDatabaseCpuHighAlarm'), ids.join(', '));
  });
});
