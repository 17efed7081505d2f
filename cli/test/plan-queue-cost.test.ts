/**
 * `berth plan` prices worker queues (#13 item 2). Amazon SQS pricing (aws.amazon.com/sqs/pricing): a standard
 * queue bills $0.40 per million requests, a request per 64 KB of payload, empty receives included; a queue
 * costs nothing to exist. Expectations are computed here by hand from those figures.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WorkerServiceConfig } from '@berth/infra';
import { DEFAULT_USAGE, estimateCost } from '../src/plan/cost.js';
import { PRICES_2026_11_21 as PRICES } from '../src/plan/prices.js';
import type { StackTemplate } from '../src/plan/template.js';
import { synthesizeWith } from './fixtures/plan/config-change.js';

const cents = (n: number) => Math.round(n * 100) / 100;

/** A queue redriving to its dead-letter queue, as the WorkerQueue construct synthesizes them. */
const QUEUES: StackTemplate[] = [
  {
    stackName: 'Fixture-Queues',
    region: 'eu-west-2',
    template: {
      Resources: {
        JobsQueueDead: { Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriod: 1_209_600 } },
        JobsQueueMain: {
          Type: 'AWS::SQS::Queue',
          Properties: {
            RedrivePolicy: {
              deadLetterTargetArn: { 'Fn::GetAtt': ['JobsQueueDead', 'Arn'] },
              maxReceiveCount: 5,
            },
          },
        },
        JobsQueuePolicy: { Type: 'AWS::SQS::QueuePolicy', Properties: {} },
      },
    },
  },
];

describe('SQS queues in the cost estimate', () => {
  it('the queue: (3 × 1 million messages + 0.1314 million idle receives) × $0.40 = $1.25 a month, usage', () => {
    const report = estimateCost(QUEUES, PRICES);
    const [queue] = report.lines.filter((l) => l.logicalId === 'JobsQueueMain');
    assert.equal(queue?.kind, 'usage');
    assert.equal(queue?.unitPrice, 0.4);
    assert.equal(cents(queue!.quantity * 1e4) / 1e4, 3.1314);
    assert.equal(cents(queue!.monthly), 1.25);
    assert.match(queue!.assumption ?? '', /1 million messages\/month × 3 requests/);
  });

  it('the dead-letter queue: a line with no assumed requests, and its reason', () => {
    const report = estimateCost(QUEUES, PRICES);
    const [dead] = report.lines.filter((l) => l.logicalId === 'JobsQueueDead');
    assert.equal(dead?.monthly, 0);
    assert.match(dead!.assumption ?? '', /failed/);
  });

  it('scales with the stated message volume: 10 million → (30 + 0.1314) × $0.40 = $12.05', () => {
    const report = estimateCost(QUEUES, PRICES, { ...DEFAULT_USAGE, queueMessagesMillions: 10 });
    assert.equal(cents(report.lines.find((l) => l.logicalId === 'JobsQueueMain')!.monthly), 12.05);
  });

  it('the queue policy is free; nothing is left unpriced', () => {
    const report = estimateCost(QUEUES, PRICES);
    assert.deepEqual(report.notPriced, []);
    assert.equal(report.free.find((f) => f.type === 'AWS::SQS::QueuePolicy')?.count, 1);
  });
});

describe('the cart with a queue on its worker, synthesized', () => {
  it('prices the queue and its dead-letter queue, and leaves nothing unpriced', async () => {
    const stacks = await synthesizeWith('test', (config) => ({
      ...config,
      services: config.services.map((s) =>
        s.kind === 'worker'
          ? ({
              ...s,
              queue: {
                visibilityTimeoutSeconds: 30,
                retentionDays: 4,
                maxReceiveCount: 5,
                maxMessageAgeMinutes: 15,
              },
            } satisfies WorkerServiceConfig)
          : s,
      ),
    }));
    const report = estimateCost(stacks, PRICES);
    assert.deepEqual(report.notPriced, []);
    const sqs = report.lines.filter((l) => l.type === 'AWS::SQS::Queue');
    assert.deepEqual(sqs.map((l) => cents(l.monthly)).sort(), [0, 1.25]);
  });
});
