/**
 * The failure diagnosis (cli/src/aws/diagnose.ts) in detail: which calls it makes with which limits, how it
 * orders what ECS returns, and the exact text the user reads. Stubs answer only the inputs they expect.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { type Diagnosis, diagnoseService, formatDiagnosis, revertService } from '../src/aws/diagnose.js';
import {
  CLUSTER,
  deployment,
  LOG_GROUP,
  mockAws,
  REGION,
  SERVICE,
  service,
  TASK_DEF,
  target,
} from './fixtures/aws.js';

const REF = { cluster: CLUSTER, service: SERVICE, container: 'web' };
const taskArn = (id: string) => `arn:aws:ecs:${REGION}:111122223333:task/${CLUSTER}/${id}`;
const at = (minute: number) => new Date(Date.UTC(2026, 10, 30, 21, minute));

function givenEvents(stubs: ReturnType<typeof mockAws>['stubs'], minutes: number[]) {
  stubs.ecs.on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] }).resolves(
    service([deployment()], {
      events: minutes.map((m) => ({ id: `e${m}`, createdAt: at(m), message: `event at minute ${m}` })),
    }),
  );
}

describe('diagnoseService: events', () => {
  it('keeps the 5 newest events, newest first, each as "<ISO time> <message>"', async () => {
    const { clients, stubs } = mockAws();
    givenEvents(stubs, [3, 9, 1, 7, 5, 8, 2]);
    stubs.ecs.on(ListTasksCommand).resolves({ taskArns: [] });

    const d = await diagnoseService(clients, REF);

    assert.deepEqual(d.events, [
      '2026-11-30T21:09:00.000Z event at minute 9',
      '2026-11-30T21:08:00.000Z event at minute 8',
      '2026-11-30T21:07:00.000Z event at minute 7',
      '2026-11-30T21:05:00.000Z event at minute 5',
      '2026-11-30T21:03:00.000Z event at minute 3',
    ]);
    assert.deepEqual(d.stoppedTasks, []);
    assert.deepEqual(d.targetProblems, []);
    // No stopped task listed: nothing to describe.
    assert.equal(stubs.ecs.commandCalls(DescribeTasksCommand).length, 0);
  });

  it('takes as many events as asked, and tolerates events without time or message', async () => {
    const { clients, stubs } = mockAws();
    stubs.ecs.on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] }).resolves(
      service([deployment()], {
        events: [
          { id: 'a', message: 'undated' },
          { id: 'b', createdAt: at(4) },
          { id: 'c', createdAt: at(6), message: 'later' },
        ],
      }),
    );
    stubs.ecs.on(ListTasksCommand).resolves({});

    assert.deepEqual((await diagnoseService(clients, { ...REF, events: 2 })).events, [
      '2026-11-30T21:06:00.000Z later',
      '2026-11-30T21:04:00.000Z',
    ]);
    assert.deepEqual((await diagnoseService(clients, { ...REF, events: 3 })).events.at(-1), 'undated');
  });
});

describe('diagnoseService: stopped tasks', () => {
  it('asks ECS for at most 3 STOPPED tasks of this service, newest stop first, with containers and last 20 log lines', async () => {
    const { clients, stubs } = mockAws();
    givenEvents(stubs, []);
    stubs.ecs
      .on(
        ListTasksCommand,
        { cluster: CLUSTER, serviceName: SERVICE, desiredStatus: 'STOPPED', maxResults: 3 },
        true,
      )
      .resolves({ taskArns: [taskArn('aaaa1111'), taskArn('bbbb2222'), taskArn('cccc3333')] });
    stubs.ecs
      .on(
        DescribeTasksCommand,
        { cluster: CLUSTER, tasks: [taskArn('aaaa1111'), taskArn('bbbb2222'), taskArn('cccc3333')] },
        true,
      )
      .resolves({
        tasks: [
          {
            taskArn: taskArn('aaaa1111'),
            stoppedReason: 'Task failed ELB health checks',
            stoppedAt: at(10),
            containers: [
              {
                name: 'web',
                exitCode: 137,
                reason: 'OutOfMemoryError: Container killed due to memory usage',
              },
              { name: 'xray' },
            ],
          },
          { taskArn: taskArn('bbbb2222'), stoppedAt: at(20), containers: [{ exitCode: 1 }] },
          { taskArn: taskArn('cccc3333'), stoppedAt: at(15), containers: [] },
        ],
      });
    for (const id of ['aaaa1111', 'bbbb2222', 'cccc3333']) {
      stubs.logs
        .on(
          GetLogEventsCommand,
          { logGroupName: LOG_GROUP, logStreamName: `web/web/${id}`, limit: 20, startFromHead: false },
          true,
        )
        .resolves({ events: [{ timestamp: 1, message: `last words of ${id}  \n` }, { timestamp: 2 }] });
    }

    const d = await diagnoseService(clients, { ...REF, logGroupName: LOG_GROUP });

    assert.deepEqual(d.stoppedTasks, [
      {
        taskId: 'bbbb2222',
        stoppedReason: 'unknown',
        containers: ['? exit 1'],
        logLines: ['last words of bbbb2222', ''],
      },
      {
        taskId: 'cccc3333',
        stoppedReason: 'unknown',
        containers: [],
        logLines: ['last words of cccc3333', ''],
      },
      {
        taskId: 'aaaa1111',
        stoppedReason: 'Task failed ELB health checks',
        containers: [
          'web exit 137 (OutOfMemoryError: Container killed due to memory usage)',
          'xray exit none',
        ],
        logLines: ['last words of aaaa1111', ''],
      },
    ]);
  });

  it('honours the task and log-line limits, even when ECS lists more than asked', async () => {
    const { clients, stubs } = mockAws();
    givenEvents(stubs, []);
    stubs.ecs
      .on(ListTasksCommand, { desiredStatus: 'STOPPED', maxResults: 1 })
      .resolves({ taskArns: [taskArn('cccc3333'), taskArn('dddd4444')] });
    stubs.ecs
      .on(DescribeTasksCommand, { cluster: CLUSTER, tasks: [taskArn('cccc3333')] }, true)
      .resolves({ tasks: [{ taskArn: taskArn('cccc3333'), stoppedAt: at(1) }] });
    stubs.logs
      .on(GetLogEventsCommand, { logStreamName: 'web/web/cccc3333', limit: 7 })
      .resolves({ events: [{ message: 'only line' }] });

    const d = await diagnoseService(clients, { ...REF, logGroupName: LOG_GROUP, tasks: 1, logLines: 7 });

    assert.deepEqual(d.stoppedTasks, [
      { taskId: 'cccc3333', stoppedReason: 'unknown', containers: [], logLines: ['only line'] },
    ]);
  });

  it('reads no logs without a log group', async () => {
    const { clients, stubs } = mockAws();
    givenEvents(stubs, []);
    stubs.ecs.on(ListTasksCommand).resolves({ taskArns: [taskArn('eeee5555')] });
    stubs.ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: taskArn('eeee5555') }] });

    const d = await diagnoseService(clients, REF);

    assert.deepEqual(d.stoppedTasks[0]?.logLines, []);
    assert.equal(stubs.logs.calls().length, 0);
  });

  it('lets a log error other than a missing stream through', async () => {
    const { clients, stubs } = mockAws();
    givenEvents(stubs, []);
    stubs.ecs.on(ListTasksCommand).resolves({ taskArns: [taskArn('ffff6666')] });
    stubs.ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: taskArn('ffff6666') }] });
    stubs.logs
      .on(GetLogEventsCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    await assert.rejects(diagnoseService(clients, { ...REF, logGroupName: LOG_GROUP }), {
      name: 'ThrottlingException',
    });
  });
});

describe("diagnoseService: the service's own log stream", () => {
  it("reads a worker task's last lines from worker/worker/<task id>, not from the web prefix", async () => {
    const { clients, stubs } = mockAws();
    givenEvents(stubs, []);
    stubs.ecs
      .on(ListTasksCommand, { desiredStatus: 'STOPPED' })
      .resolves({ taskArns: [taskArn('dddd4444')] });
    stubs.ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        { taskArn: taskArn('dddd4444'), stoppedAt: at(5), containers: [{ name: 'worker', exitCode: 0 }] },
      ],
    });
    stubs.logs
      .on(
        GetLogEventsCommand,
        { logGroupName: 'Shop-Worker-Logs', logStreamName: 'worker/worker/dddd4444' },
        false,
      )
      .resolves({ events: [{ timestamp: 1, message: 'expired 3 carts' }] });

    const d = await diagnoseService(clients, {
      ...REF,
      container: 'worker',
      logGroupName: 'Shop-Worker-Logs',
    });

    assert.deepEqual(d.stoppedTasks[0]?.logLines, ['expired 3 carts']);
  });
});

describe('diagnoseService: fields AWS leaves out', () => {
  it('no events, no described tasks, no log events, a task without ARN: empty lists, never made-up entries', async () => {
    const { clients, stubs } = mockAws();
    stubs.ecs
      .on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] })
      .resolves(service([deployment()], { events: undefined }));
    stubs.ecs.on(ListTasksCommand).resolves({ taskArns: [taskArn('gggg7777')] });
    stubs.ecs
      .on(DescribeTasksCommand)
      .resolvesOnce({})
      .resolves({ tasks: [{ stoppedReason: 'Task stopped by user' }] });
    stubs.logs.on(GetLogEventsCommand).resolves({});

    assert.deepEqual(await diagnoseService(clients, { ...REF, logGroupName: LOG_GROUP }), {
      events: [],
      stoppedTasks: [],
      targetProblems: [],
    });
    assert.deepEqual((await diagnoseService(clients, { ...REF, logGroupName: LOG_GROUP })).stoppedTasks, [
      { taskId: '', stoppedReason: 'Task stopped by user', containers: [], logLines: [] },
    ]);
  });
});

describe('diagnoseService: target health', () => {
  it('lists the problems of the given target group only', async () => {
    const { clients, stubs } = mockAws();
    givenEvents(stubs, []);
    stubs.ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    const group = `arn:aws:elasticloadbalancing:${REGION}:111122223333:targetgroup/Berth-Web-Green/fedcba9876543210`;
    stubs.elbv2.on(DescribeTargetHealthCommand, { TargetGroupArn: group }, true).resolves({
      TargetHealthDescriptions: [
        target('i-0aaa', 32770, 'healthy'),
        target('i-0bbb', 32771, 'draining', 'Target.DeregistrationInProgress'),
      ],
    });

    const d = await diagnoseService(clients, { ...REF, targetGroupArn: group });

    assert.deepEqual(d.targetProblems, ['i-0bbb:32771 draining Target.DeregistrationInProgress']);
  });
});

describe('formatDiagnosis', () => {
  it('prints every section with "(none)" markers when there is nothing to say', () => {
    assert.equal(
      formatDiagnosis({ events: [], stoppedTasks: [], targetProblems: [] }),
      [
        'Service events (newest first):',
        '  (none)',
        'Stopped tasks:',
        '  (none)',
        'Target health:',
        '  (no unhealthy targets)',
      ].join('\n'),
    );
  });

  it('indents events, tasks, containers, log lines and target problems', () => {
    const d: Diagnosis = {
      events: ['2026-11-30T21:09:00.000Z (service web) has started 1 tasks'],
      stoppedTasks: [
        {
          taskId: 'aaaa1111',
          stoppedReason: 'Essential container in task exited',
          containers: ['web exit 1'],
          logLines: ['boom', 'exit'],
        },
        { taskId: 'bbbb2222', stoppedReason: 'Scaling activity initiated', containers: [], logLines: [] },
      ],
      targetProblems: ['i-0bbb:32771 unhealthy Target.Timeout'],
    };
    assert.equal(
      formatDiagnosis(d),
      [
        'Service events (newest first):',
        '  2026-11-30T21:09:00.000Z (service web) has started 1 tasks',
        'Stopped tasks:',
        '  aaaa1111: Essential container in task exited',
        '    container web exit 1',
        '    last log lines:',
        '      boom',
        '      exit',
        '  bbbb2222: Scaling activity initiated',
        'Target health:',
        '  i-0bbb:32771 unhealthy Target.Timeout',
      ].join('\n'),
    );
  });
});

describe('revertService', () => {
  it('forces a new deployment of the given task definition on exactly this service', async () => {
    const { clients, stubs } = mockAws();
    stubs.ecs.on(UpdateServiceCommand).resolves({});

    await revertService(clients.ecs, REF, TASK_DEF(7));

    assert.deepEqual(
      stubs.ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input),
      [{ cluster: CLUSTER, service: SERVICE, taskDefinition: TASK_DEF(7), forceNewDeployment: true }],
    );
  });
});
