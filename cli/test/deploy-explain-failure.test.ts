/**
 * What `berth deploy` and `berth rollback` print under a failure (explain-failure.ts), with every AWS answer
 * stubbed for its exact input: which service's tasks stopped on their own since the command began, their last
 * log lines, then the diagnosis of that service only (or of every service when none failed).
 * Stop codes: ECS Developer Guide, "Amazon ECS stopped tasks error codes"; a missing log stream is
 * ResourceNotFoundException (CloudWatch Logs API Reference, "GetLogEvents").
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { explainFailure } from '../src/deploy/explain-failure.js';
import { targetFor } from '../src/target.js';
import { fakeContext, target as healthOf, mockAws } from './fixtures/aws.js';
import { ADMIN, WORKER, withServices } from './fixtures/services-config.js';

const TWO = withServices([ADMIN, WORKER]);
const TARGET = targetFor(TWO.names, TWO.environments.test, 'eu-west-1');
const WORKER_ONLY = withServices([WORKER]);
const SERVICE_STACK = 'Berth-Test-eu-west-1-Service';

const OUTPUTS: Record<string, string> = {
  ClusterName: 'cluster-c1',
  AdminServiceName: 'svc-admin',
  AdminLogGroupName: 'logs-admin',
  // The group the stack attached first; ECS has since swapped to green (DescribeServices below).
  AdminTargetGroupArn: 'tg-admin-blue',
  WorkerServiceName: 'svc-worker',
  WorkerLogGroupName: 'logs-worker',
};

const SINCE = Date.parse('2026-11-21T10:00:00Z');
const at = (seconds: number) => new Date(SINCE + seconds * 1000);
const taskArn = (id: string) => `arn:aws:ecs:eu-west-1:123456789012:task/cluster-c1/${id}`;

/** Crashed in this deploy. */
const NEW_CRASH: Task = {
  taskArn: taskArn('task-new'),
  taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/BerthTestWorker:7',
  lastStatus: 'STOPPED',
  stopCode: 'EssentialContainerExited',
  stoppedReason: 'Essential container in task exited',
  createdAt: at(5),
  stoppedAt: at(40),
  containers: [{ name: 'worker', exitCode: 3 }],
};
/** Crashed before this deploy began: an earlier deploy's, not counted as this one's failure. */
const OLD_CRASH: Task = {
  ...NEW_CRASH,
  taskArn: taskArn('task-old'),
  taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/BerthTestWorker:6',
  createdAt: at(-60),
  stoppedAt: at(-30),
  containers: [{ name: 'worker', exitCode: 137 }],
};

interface Given {
  outputs?: Record<string, string>;
  workerTasks?: Task[];
  /** What GetLogEvents of task-new's stream answers (`'no events'`: an answer without `events`), or the error it throws. */
  newLog?: string[] | Error | 'no events';
}

function given({ outputs = OUTPUTS, workerTasks = [], newLog = [] }: Given = {}) {
  const { clients, stubs } = mockAws();
  stubs.cfn.on(DescribeStacksCommand).callsFake((input: { StackName: string }) => ({
    Stacks: [
      {
        StackName: input.StackName,
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: at(-3600),
        Outputs:
          input.StackName === SERVICE_STACK
            ? Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue }))
            : [],
      },
    ],
  }));
  stubs.ecs.on(DescribeServicesCommand, { cluster: 'cluster-c1', services: ['svc-admin'] }, true).resolves({
    services: [
      {
        serviceName: 'svc-admin',
        status: 'ACTIVE',
        events: [],
        loadBalancers: [{ targetGroupArn: 'tg-admin-green', containerName: 'admin', containerPort: 9000 }],
      },
    ],
  });
  stubs.ecs.on(DescribeServicesCommand, { cluster: 'cluster-c1', services: ['svc-worker'] }, true).resolves({
    services: [
      {
        serviceName: 'svc-worker',
        status: 'ACTIVE',
        events: [{ id: 'e1', createdAt: at(60), message: '(service svc-worker) has started 1 tasks.' }],
        loadBalancers: [],
      },
    ],
  });
  stubs.ecs
    .on(ListTasksCommand, { cluster: 'cluster-c1', serviceName: 'svc-admin', desiredStatus: 'STOPPED' })
    .resolves({ taskArns: [] });
  stubs.ecs
    .on(ListTasksCommand, { cluster: 'cluster-c1', serviceName: 'svc-worker', desiredStatus: 'STOPPED' })
    .resolves({ taskArns: workerTasks.map((t) => t.taskArn!) });
  stubs.ecs
    .on(DescribeTasksCommand, { cluster: 'cluster-c1', tasks: workerTasks.map((t) => t.taskArn!) }, true)
    .resolves({ tasks: workerTasks });
  stubs.elbv2.on(DescribeTargetHealthCommand, { TargetGroupArn: 'tg-admin-green' }, true).resolves({
    TargetHealthDescriptions: [
      healthOf('10.0.3.7', 32770, 'unhealthy', 'Target.FailedHealthChecks', 'Health checks failed'),
    ],
  });
  const stream = (id: string) => ({
    logGroupName: 'logs-worker',
    logStreamName: `worker/worker/${id}`,
    limit: 20,
    startFromHead: false,
  });
  const newStream = stubs.logs.on(GetLogEventsCommand, stream('task-new'), true);
  if (newLog instanceof Error) newStream.rejects(newLog);
  else if (newLog === 'no events') newStream.resolves({});
  else
    newStream.resolves({ events: newLog.map((message, i) => ({ timestamp: i, message: `${message}\n` })) });
  stubs.logs
    .on(GetLogEventsCommand, stream('task-old'), true)
    .rejects(notFound('The specified log stream does not exist.'));
  return { ctx: fakeContext(clients, { config: TWO }), stubs };
}

const notFound = (message: string) =>
  Object.assign(new Error(message), { name: 'ResourceNotFoundException' });

const WORKER_DIAGNOSIS_WITH_CRASHES = [
  'worker (svc-worker):',
  '  Service events (newest first):',
  '    2026-11-21T10:01:00.000Z (service svc-worker) has started 1 tasks.',
  '  Stopped tasks:',
  '    task-new: Essential container in task exited',
  '      container worker exit 3',
  '      last log lines:',
  '        worker: starting',
  '        worker: DATABASE_URL refused',
  '    task-old: Essential container in task exited',
  '      container worker exit 137',
  '      last log lines:',
  '        (no log stream: the container never started)',
  '  Target health:',
  '    (no unhealthy targets)',
];

describe('explainFailure', () => {
  it("names the service whose tasks crashed since the command began, its newest task's log, and diagnoses only it", async () => {
    const { ctx, stubs } = given({
      workerTasks: [OLD_CRASH, NEW_CRASH],
      newLog: ['worker: starting', 'worker: DATABASE_URL refused'],
    });

    const explained = await explainFailure(ctx, TARGET, SINCE);

    assert.deepStrictEqual(explained.failed, ['worker']);
    assert.deepStrictEqual(explained.detail?.split('\n'), [
      'worker failed: 1 of its tasks stopped on their own (svc-worker):',
      '  task-new (BerthTestWorker:7): Essential container in task exited; worker exit 3',
      '  last 2 log lines of task-new:',
      '    worker: starting',
      '    worker: DATABASE_URL refused',
      ...WORKER_DIAGNOSIS_WITH_CRASHES,
    ]);
    assert.equal(stubs.elbv2.commandCalls(DescribeTargetHealthCommand).length, 0, 'admin is not diagnosed');
  });

  it('diagnoses every service, each under its name, when no task stopped on its own', async () => {
    const { ctx } = given();

    const explained = await explainFailure(ctx, TARGET, SINCE);

    assert.deepStrictEqual(explained.failed, []);
    assert.deepStrictEqual(explained.detail?.split('\n'), [
      'admin (svc-admin):',
      '  Service events (newest first):',
      '    (none)',
      '  Stopped tasks:',
      '    (none)',
      '  Target health:',
      // the live group ECS reports (green), not the stack output's first group (blue)
      '    10.0.3.7:32770 unhealthy Target.FailedHealthChecks: Health checks failed',
      'worker (svc-worker):',
      '  Service events (newest first):',
      '    2026-11-21T10:01:00.000Z (service svc-worker) has started 1 tasks.',
      '  Stopped tasks:',
      '    (none)',
      '  Target health:',
      '    (no unhealthy targets)',
    ]);
  });

  it('prints the diagnosis without a heading when the environment has one service', async () => {
    const { ctx } = given();
    const one = targetFor(WORKER_ONLY.names, WORKER_ONLY.environments.test, 'eu-west-1');

    const explained = await explainFailure(ctx, one, SINCE);

    assert.deepStrictEqual(explained, {
      failed: [],
      detail: [
        'Service events (newest first):',
        '  2026-11-21T10:01:00.000Z (service svc-worker) has started 1 tasks.',
        'Stopped tasks:',
        '  (none)',
        'Target health:',
        '  (no unhealthy targets)',
      ].join('\n'),
    });
  });

  it('says nothing and asks ECS nothing when the Service stack does not exist', async () => {
    const { ClusterName: _, ...outputs } = OUTPUTS;
    const { ctx, stubs } = given({ outputs });

    assert.deepStrictEqual(await explainFailure(ctx, TARGET, SINCE), { failed: [] });
    assert.equal(stubs.ecs.calls().length, 0);
  });

  it('leaves out the log lines of a crashed task that wrote no stream (it never started)', async () => {
    const { ctx } = given({
      workerTasks: [NEW_CRASH],
      newLog: notFound('The specified log stream does not exist.'),
    });

    const explained = await explainFailure(ctx, TARGET, SINCE);

    assert.deepStrictEqual(explained.detail?.split('\n').slice(0, 3), [
      'worker failed: 1 of its tasks stopped on their own (svc-worker):',
      '  task-new (BerthTestWorker:7): Essential container in task exited; worker exit 3',
      'worker (svc-worker):',
    ]);
  });

  it('reads no log when the service has no log group output', async () => {
    const { WorkerLogGroupName: _, ...outputs } = OUTPUTS;
    const { ctx, stubs } = given({ outputs, workerTasks: [NEW_CRASH], newLog: ['never read'] });

    const explained = await explainFailure(ctx, TARGET, SINCE);

    assert.deepStrictEqual(explained.failed, ['worker']);
    assert.deepStrictEqual(explained.detail?.split('\n').slice(0, 3), [
      'worker failed: 1 of its tasks stopped on their own (svc-worker):',
      '  task-new (BerthTestWorker:7): Essential container in task exited; worker exit 3',
      'worker (svc-worker):',
    ]);
    assert.equal(stubs.logs.commandCalls(GetLogEventsCommand).length, 0);
  });

  it('reports a diagnosis that itself failed in one line, and names no service', async () => {
    const denied = Object.assign(new Error('User is not authorized to perform: logs:GetLogEvents'), {
      name: 'AccessDeniedException',
    });
    const { ctx } = given({ workerTasks: [NEW_CRASH], newLog: denied });

    assert.deepStrictEqual(await explainFailure(ctx, TARGET, SINCE), {
      failed: [],
      detail: '(could not collect a diagnosis: User is not authorized to perform: logs:GetLogEvents)',
    });
  });

  it('lists every container of a crashed task, and reads an answer without events as no lines', async () => {
    const twoContainers: Task = {
      ...NEW_CRASH,
      containers: [
        { name: 'worker', exitCode: 3 },
        { name: 'otel', exitCode: 0 },
      ],
    };
    const { ctx } = given({ workerTasks: [twoContainers], newLog: 'no events' });

    const explained = await explainFailure(ctx, TARGET, SINCE);

    assert.deepStrictEqual(explained.detail?.split('\n').slice(0, 3), [
      'worker failed: 1 of its tasks stopped on their own (svc-worker):',
      '  task-new (BerthTestWorker:7): Essential container in task exited; worker exit 3, otel exit 0',
      '  last 0 log lines of task-new:',
    ]);
  });
});
