/**
 * The WorkerQueue construct on its own: its SQS settings and its invariants (SQS API Reference,
 * SetQueueAttributes: VisibilityTimeout 0 to 43,200 s, MessageRetentionPeriod 60 s to 14 days; RedrivePolicy
 * maxReceiveCount 1 to 1,000), and the alarms workerQueueAlarms makes. Expectations are literals.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { WorkerQueue, type WorkerQueueProps, workerQueueAlarms } from '../lib/constructs/worker-queue.js';

const stackWith = (props?: WorkerQueueProps) => {
  const stack = new Stack(new App(), 'Queues');
  const queue = new WorkerQueue(stack, 'Jobs', props);
  return { stack, queue };
};

describe('WorkerQueue', () => {
  test('defaults: a queue with 30 s visibility, 4 days, 20 s long polling, redrive after 5 to a 14-day DLQ', () => {
    const { stack, queue } = stackWith();
    const queues = Template.fromStack(stack).findResources('AWS::SQS::Queue');
    const main = queues[stack.getLogicalId(queue.queue.node.defaultChild as never)]!.Properties;
    const dead = queues[stack.getLogicalId(queue.deadLetterQueue.node.defaultChild as never)]!.Properties;
    assert.equal(main.VisibilityTimeout ?? 30, 30);
    assert.equal(main.MessageRetentionPeriod ?? 345_600, 345_600);
    assert.equal(main.ReceiveMessageWaitTimeSeconds, 20);
    assert.equal(main.RedrivePolicy.maxReceiveCount, 5);
    assert.equal(main.SqsManagedSseEnabled, true);
    assert.equal(dead.MessageRetentionPeriod, 1_209_600);
    assert.equal(dead.SqsManagedSseEnabled, true);
  });

  const rejected: [string, WorkerQueueProps, RegExp][] = [
    [
      'a visibility timeout above 12 hours',
      { visibilityTimeout: Duration.seconds(43_201) },
      /^visibilityTimeout \(43201 s\) must be from 0 to 43200 seconds$/,
    ],
    [
      'a retention under a minute',
      { retentionPeriod: Duration.seconds(59) },
      /^retentionPeriod \(59 s\) must be from 60 seconds to 14 days$/,
    ],
    [
      'a retention above 14 days',
      { retentionPeriod: Duration.days(15) },
      /^retentionPeriod \(1296000 s\) must be from 60 seconds to 14 days$/,
    ],
    [
      'no receive before the dead-letter queue',
      { maxReceiveCount: 0 },
      /^maxReceiveCount \(0\) must be a whole number from 1 to 1000$/,
    ],
    [
      'more than 1000 receives',
      { maxReceiveCount: 1001 },
      /^maxReceiveCount \(1001\) must be a whole number from 1 to 1000$/,
    ],
    [
      'a fractional receive count',
      { maxReceiveCount: 2.5 },
      /^maxReceiveCount \(2\.5\) must be a whole number from 1 to 1000$/,
    ],
  ];
  for (const [what, props, message] of rejected) {
    test(`refuses ${what}`, () => assert.throws(() => stackWith(props), { message }));
  }

  test('accepts the limits themselves: 0 s and 12 hours, 60 s and 14 days, 1 and 1000 receives', () => {
    stackWith({
      visibilityTimeout: Duration.seconds(0),
      retentionPeriod: Duration.seconds(60),
      maxReceiveCount: 1,
    });
    stackWith({
      visibilityTimeout: Duration.seconds(43_200),
      retentionPeriod: Duration.days(14),
      maxReceiveCount: 1000,
    });
  });
});

describe('workerQueueAlarms', () => {
  test('dead letters above 0 and the oldest message above the age, both not breaching on missing data', () => {
    const { stack, queue } = stackWith();
    workerQueueAlarms(stack, {
      queue: queue.queue,
      deadLetterQueue: queue.deadLetterQueue,
      maxMessageAge: Duration.minutes(25),
    });
    const alarms = Object.entries(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'));
    const byMetric = Object.fromEntries(alarms.map(([, a]) => [a.Properties.MetricName, a.Properties]));
    assert.deepEqual(Object.keys(byMetric).sort(), [
      'ApproximateAgeOfOldestMessage',
      'ApproximateNumberOfMessagesVisible',
    ]);
    const dead = byMetric.ApproximateNumberOfMessagesVisible;
    assert.deepEqual(
      [dead.Threshold, dead.ComparisonOperator, dead.Statistic, dead.Period],
      [0, 'GreaterThanThreshold', 'Maximum', 60],
    );
    assert.deepEqual(dead.Dimensions, [
      {
        Name: 'QueueName',
        Value: {
          'Fn::GetAtt': [stack.getLogicalId(queue.deadLetterQueue.node.defaultChild as never), 'QueueName'],
        },
      },
    ]);
    const age = byMetric.ApproximateAgeOfOldestMessage;
    assert.deepEqual(
      [age.Threshold, age.ComparisonOperator, age.Statistic],
      [1500, 'GreaterThanThreshold', 'Maximum'],
    );
    assert.deepEqual(age.Dimensions, [
      {
        Name: 'QueueName',
        Value: { 'Fn::GetAtt': [stack.getLogicalId(queue.queue.node.defaultChild as never), 'QueueName'] },
      },
    ]);
    for (const [, a] of alarms) assert.equal(a.Properties.TreatMissingData, 'notBreaching');
  });

  test('each alarm says what it means and what to do, checks every minute, and is handed back by name', () => {
    const { stack, queue } = stackWith();
    const made = workerQueueAlarms(stack, {
      queue: queue.queue,
      deadLetterQueue: queue.deadLetterQueue,
      maxMessageAge: Duration.minutes(25),
    });
    const alarms = Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm');
    const dead = alarms[stack.getLogicalId(made.deadLetters.node.defaultChild as never)]!.Properties;
    const age = alarms[stack.getLogicalId(made.oldestMessage.node.defaultChild as never)]!.Properties;
    assert.equal(dead.MetricName, 'ApproximateNumberOfMessagesVisible');
    assert.equal(
      dead.AlarmDescription,
      'Messages in the dead-letter queue: the worker failed them repeatedly (inspect, fix, redrive)',
    );
    assert.equal(age.MetricName, 'ApproximateAgeOfOldestMessage');
    assert.equal(
      age.AlarmDescription,
      'A message has waited more than 25 minutes: the worker is down or cannot keep up',
    );
    assert.deepEqual([age.Period, age.EvaluationPeriods], [60, 1]);
  });

  test('both queues refuse requests without TLS (aws:SecureTransport false is denied)', () => {
    const { stack, queue } = stackWith();
    const policies = Object.values(Template.fromStack(stack).findResources('AWS::SQS::QueuePolicy'));
    const deniedQueues = policies
      .filter((p) =>
        p.Properties.PolicyDocument.Statement.some(
          (st: { Effect: string; Condition?: { Bool?: Record<string, string> } }) =>
            st.Effect === 'Deny' && st.Condition?.Bool?.['aws:SecureTransport'] === 'false',
        ),
      )
      .flatMap((p) => p.Properties.Queues.map((q: { Ref: string }) => q.Ref))
      .sort();
    assert.deepEqual(
      deniedQueues,
      [
        stack.getLogicalId(queue.deadLetterQueue.node.defaultChild as never),
        stack.getLogicalId(queue.queue.node.defaultChild as never),
      ].sort(),
    );
  });
});
