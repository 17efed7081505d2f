/**
 * The SQS queue a worker consumes, with a dead-letter queue for the messages it keeps failing on: encrypted at
 * rest with SQS-managed keys, TLS-only access, and the two alarms an on-call needs (a message dead-lettered,
 * a message waiting too long). Who may send and consume is granted by the caller, per service.
 */
import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** SQS's limits (SQS API Reference, SetQueueAttributes; RedrivePolicy `maxReceiveCount`). */
const MAX_VISIBILITY_SECONDS = 43_200;
const MAX_RETENTION = Duration.days(14);
const MAX_RECEIVE_COUNT = 1000;

export interface WorkerQueueProps {
  /**
   * How long a received message stays hidden from other consumers: longer than processing one takes.
   * @default Duration.seconds(30) (SQS's default)
   */
  readonly visibilityTimeout?: Duration;
  /**
   * How long an unprocessed message is kept.
   * @default Duration.days(4) (SQS's default)
   */
  readonly retentionPeriod?: Duration;
  /**
   * Receives without a delete after which SQS moves a message to the dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
}

export class WorkerQueue extends Construct {
  /** What the worker consumes and senders send to. */
  readonly queue: sqs.Queue;
  /** Messages received `maxReceiveCount` times without a delete; kept 14 days (SQS's maximum) for a look. */
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: WorkerQueueProps = {}) {
    super(scope, id);
    const visibilityTimeout = props.visibilityTimeout ?? Duration.seconds(30);
    const retentionPeriod = props.retentionPeriod ?? Duration.days(4);
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    validate(visibilityTimeout, retentionPeriod, maxReceiveCount);

    // SSE-SQS: encrypted at rest with keys SQS manages, so senders and consumers need no KMS permission
    // (SQS Developer Guide, "Encryption at rest in Amazon SQS"). enforceSSL denies any request without TLS.
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // A dead-letter queue's retention counts from the original enqueue (SQS Developer Guide, "Using
      // dead-letter queues"): the maximum leaves the most time to inspect and redrive.
      retentionPeriod: MAX_RETENTION,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout,
      retentionPeriod,
      // Long polling by default: a receive waits up to 20 s (the maximum) for a message instead of returning
      // empty at once, so an idle consumer makes 3 billed requests a minute, not one per loop (SQS Developer
      // Guide, "Amazon SQS short and long polling": ReceiveMessageWaitTimeSeconds).
      receiveMessageWaitTime: Duration.seconds(20),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
    });
  }
}

export interface WorkerQueueAlarmsProps {
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  /** Age of the oldest message above which the age alarm fires. */
  readonly maxMessageAge: Duration;
}

/**
 * A queue's two alarms, in `scope`: a message in the dead-letter queue (the worker failed it
 * `maxReceiveCount` times), and the oldest message older than `maxMessageAge` (the worker is down or cannot
 * keep up). SQS publishes these only while a queue is active, i.e. holds messages or is called ("Available
 * CloudWatch metrics for Amazon SQS"): a missing datapoint is an empty queue, not breaching. Ids
 * `DeadLetterMessagesAlarm` and `OldestMessageAgeAlarm`.
 */
export function workerQueueAlarms(
  scope: Construct,
  props: WorkerQueueAlarmsProps,
): { deadLetters: cloudwatch.Alarm; oldestMessage: cloudwatch.Alarm } {
  const minute = Duration.minutes(1);
  const deadLetters = new cloudwatch.Alarm(scope, 'DeadLetterMessagesAlarm', {
    alarmDescription:
      'Messages in the dead-letter queue: the worker failed them repeatedly (inspect, fix, redrive)',
    metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: minute,
      statistic: cloudwatch.Stats.MAXIMUM,
    }),
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  const seconds = props.maxMessageAge.toSeconds();
  const oldestMessage = new cloudwatch.Alarm(scope, 'OldestMessageAgeAlarm', {
    alarmDescription: `A message has waited more than ${props.maxMessageAge.toHumanString()}: the worker is down or cannot keep up`,
    metric: props.queue.metricApproximateAgeOfOldestMessage({
      period: minute,
      statistic: cloudwatch.Stats.MAXIMUM,
    }),
    threshold: seconds,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    // The threshold is already the wait the user accepts: one minute above it is the news.
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  return { deadLetters, oldestMessage };
}

function validate(visibility: Duration, retention: Duration, maxReceiveCount: number): void {
  const v = visibility.toSeconds();
  if (!Token.isUnresolved(v) && (v < 0 || v > MAX_VISIBILITY_SECONDS)) {
    throw new Error(`visibilityTimeout (${v} s) must be from 0 to ${MAX_VISIBILITY_SECONDS} seconds`);
  }
  const r = retention.toSeconds();
  if (!Token.isUnresolved(r) && (r < 60 || r > MAX_RETENTION.toSeconds())) {
    throw new Error(`retentionPeriod (${r} s) must be from 60 seconds to 14 days`);
  }
  if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > MAX_RECEIVE_COUNT) {
    throw new Error(
      `maxReceiveCount (${maxReceiveCount}) must be a whole number from 1 to ${MAX_RECEIVE_COUNT}`,
    );
  }
}
