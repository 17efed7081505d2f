import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { followLogEvents, type LogLine } from '../src/aws/log-events.js';
import {
  fetchServiceLogs,
  followServiceLogs,
  formatServiceLogLine,
  type ServiceLogLine,
} from '../src/observe/logs.js';
import { environmentStatus, formatStatus } from '../src/observe/status.js';
import {
  CLUSTER,
  deployment,
  digest,
  FakeClock,
  fakeContext,
  givenServiceStackOutputs,
  LOG_GROUP,
  mockAws,
  REGION,
  type Stubs,
  service,
  TASK_DEF,
  target,
  URL_TEST,
} from './fixtures/aws.js';
import { ADMIN, WEB, WORKER, withServices } from './fixtures/services-config.js';

const WEB_SERVICE = 'Berth-Test-eu-west-1-Service-WebService1A2B3C-aaa111';
const WORKER_SERVICE = 'Berth-Test-eu-west-1-Service-WorkerService7A8B9C-ccc333';
const WEB_GROUP = `arn:aws:elasticloadbalancing:${REGION}:111122223333:targetgroup/Berth-Web/0a0a0a0a0a0a0a0a`;
const ADMIN_GROUP = `arn:aws:elasticloadbalancing:${REGION}:111122223333:targetgroup/Berth-Admin/0b0b0b0b0b0b0b0b`;

/**
 * The Service stack's outputs with web and worker deployed and admin (added to the config since) not yet:
 * output keys as serviceOutputs names them, written as literals so a change of naming shows here.
 */
function givenThreeServiceStacks(stubs: Stubs): void {
  givenServiceStackOutputs(stubs, {
    ServiceUrl: URL_TEST,
    ClusterName: CLUSTER,
    WebServiceName: WEB_SERVICE,
    WebUrl: URL_TEST,
    WebLogGroupName: 'Berth-Test-Web-Logs',
    WorkerServiceName: WORKER_SERVICE,
    WorkerLogGroupName: 'Berth-Test-Worker-Logs',
    AdminLogGroupName: 'Berth-Test-Admin-Logs',
  });
}

describe('berth status with several services', () => {
  it('shows every service: kind, running/desired, rollout, and for web its target health and URL', async () => {
    const { clients, stubs } = mockAws();
    givenThreeServiceStacks(stubs);
    stubs.ssm
      .on(GetParameterCommand, { Name: '/berth/test/image-digest' })
      .resolves({ Parameter: { Value: digest('d') } });
    stubs.ecs.on(DescribeServicesCommand, { cluster: CLUSTER, services: [WEB_SERVICE] }).resolves(
      service(
        [
          deployment({
            taskDefinition: TASK_DEF(9),
            runningCount: 1,
            pendingCount: 1,
            rolloutState: 'IN_PROGRESS',
          }),
        ],
        { serviceName: WEB_SERVICE, loadBalancers: [{ targetGroupArn: WEB_GROUP }] },
      ),
    );
    stubs.ecs.on(DescribeServicesCommand, { cluster: CLUSTER, services: [WORKER_SERVICE] }).resolves(
      service([deployment({ taskDefinition: TASK_DEF(4), desiredCount: 1, runningCount: 1 })], {
        serviceName: WORKER_SERVICE,
        loadBalancers: [],
      }),
    );
    stubs.elbv2.on(DescribeTargetHealthCommand, { TargetGroupArn: WEB_GROUP }).resolves({
      TargetHealthDescriptions: [
        target('i-1', 32768, 'healthy'),
        target('i-2', 32771, 'unhealthy', 'Target.Timeout', 'Request timed out'),
      ],
    });
    stubs.elbv2
      .on(DescribeTargetHealthCommand, { TargetGroupArn: ADMIN_GROUP })
      .rejects(new Error('admin is not deployed: its group must not be asked'));
    stubs.cloudwatch
      .on(DescribeAlarmsCommand, { AlarmNamePrefix: 'Berth-Test-', StateValue: 'ALARM' })
      .resolves({ MetricAlarms: [] });

    const config = withServices([WEB, WORKER, ADMIN]);
    const status = await environmentStatus(fakeContext(clients, { config }), { env: 'test' });

    assert.equal(status.url, URL_TEST);
    assert.equal(status.digest, digest('d'));
    assert.equal(status.deployed, true);
    assert.deepEqual(status.services, [
      {
        name: 'web',
        kind: 'web',
        url: URL_TEST,
        deployed: true,
        ecsName: WEB_SERVICE,
        running: 1,
        desired: 2,
        pending: 1,
        rolloutState: 'IN_PROGRESS',
        deployments: 1,
        taskDefinition: TASK_DEF(9),
        targets: {
          healthy: 1,
          total: 2,
          problems: ['i-2:32771 unhealthy Target.Timeout: Request timed out'],
        },
      },
      {
        name: 'worker',
        kind: 'worker',
        deployed: true,
        ecsName: WORKER_SERVICE,
        running: 1,
        desired: 1,
        pending: 0,
        rolloutState: 'COMPLETED',
        deployments: 1,
        taskDefinition: TASK_DEF(4),
      },
      { name: 'admin', kind: 'web', deployed: false },
    ]);
    assert.equal(
      formatStatus(status),
      [
        'test (eu-west-1)',
        `  url:      ${URL_TEST}`,
        `  image:    ${digest('d')}`,
        '  services:',
        '    web     web     1/2 running, 1 pending, rollout IN_PROGRESS',
        '                    targets 1/2 healthy',
        '                      i-2:32771 unhealthy Target.Timeout: Request timed out',
        `                    ${URL_TEST}`,
        '    worker  worker  1/1 running, rollout COMPLETED',
        '    admin   web     (not deployed)',
        '  alarms:   none in ALARM',
      ].join('\n'),
    );
  });

  it('nothing deployed: every service says so, and the environment is not deployed', async () => {
    const { clients, stubs } = mockAws();
    stubs.cfn.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('Stack with id Berth-Test-eu-west-1-Service does not exist'), {
        name: 'ValidationError',
      }),
    );
    stubs.ssm
      .on(GetParameterCommand, { Name: '/berth/test/image-digest' })
      .rejects(Object.assign(new Error('parameter not found'), { name: 'ParameterNotFound' }));
    stubs.cloudwatch.on(DescribeAlarmsCommand).resolves({});

    const config = withServices([WEB, WORKER]);
    const status = await environmentStatus(fakeContext(clients, { config }), { env: 'test' });

    assert.equal(status.deployed, false);
    assert.deepEqual(status.services, [
      { name: 'web', kind: 'web', deployed: false },
      { name: 'worker', kind: 'worker', deployed: false },
    ]);
    assert.equal(stubs.ecs.commandCalls(DescribeServicesCommand).length, 0);
  });
});

describe('berth logs of several services', () => {
  const event = (id: string, timestamp: number, stream: string, message: string) => ({
    eventId: id,
    timestamp,
    logStreamName: stream,
    message,
  });

  it('interleaves every group by time and tags each line with its service (and another container by name)', async () => {
    const { clients, stubs } = mockAws();
    stubs.logs.on(FilterLogEventsCommand, { logGroupName: 'Web-Logs' }).resolves({
      events: [
        event('w1', 1_000, 'web/web/7f3c2a9e4b1d4c8e', 'GET /readyz 200'),
        event('w2', 3_000, 'release/release/0badc0de11', 'migrations applied'),
      ],
    });
    stubs.logs.on(FilterLogEventsCommand, { logGroupName: 'Worker-Logs' }).resolves({
      events: [event('k1', 2_000, 'worker/worker/5e5e5e5e5e5e', 'expired 3 carts')],
    });

    const lines = await fetchServiceLogs(
      clients.logs,
      [
        { service: 'web', logGroupName: 'Web-Logs' },
        { service: 'worker', logGroupName: 'Worker-Logs' },
      ],
      500,
    );

    assert.deepEqual(lines.map(formatServiceLogLine), [
      '1970-01-01T00:00:01.000Z web 7f3c2a9e GET /readyz 200',
      '1970-01-01T00:00:02.000Z worker 5e5e5e5e expired 3 carts',
      '1970-01-01T00:00:03.000Z web/release 0badc0de migrations applied',
    ]);
    assert.deepEqual(
      stubs.logs
        .commandCalls(FilterLogEventsCommand)
        .map((c) => [c.args[0].input.logGroupName, c.args[0].input.startTime]),
      [
        ['Web-Logs', 500],
        ['Worker-Logs', 500],
      ],
    );
  });

  it('--follow polls every group and tags what each returns', async () => {
    const { clients, stubs } = mockAws();
    stubs.logs
      .on(FilterLogEventsCommand, { logGroupName: 'Web-Logs' })
      .resolvesOnce({ events: [event('w1', 1_000, 'web/web/aaaa1111', 'first web')] })
      .resolves({ events: [event('w1', 1_000, 'web/web/aaaa1111', 'first web')] });
    stubs.logs
      .on(FilterLogEventsCommand, { logGroupName: 'Worker-Logs' })
      .resolvesOnce({ events: [] })
      .resolves({ events: [event('k1', 4_000, 'worker/worker/bbbb2222', 'late worker')] });
    const printed: ServiceLogLine[] = [];

    await followServiceLogs(
      clients.logs,
      [
        { service: 'web', logGroupName: 'Web-Logs' },
        { service: 'worker', logGroupName: 'Worker-Logs' },
      ],
      { startTime: 0, intervalMs: 1_000, maxPolls: 2 },
      (l) => printed.push(l),
      new FakeClock(),
    );

    assert.deepEqual(printed.map((l) => `${l.service}: ${l.message}`).sort(), [
      'web: first web',
      'worker: late worker',
    ]);
  });
});

describe('berth logs --follow (one group)', () => {
  it('prints each event once across polls, including late events at the same millisecond', async () => {
    const { clients, stubs } = mockAws();
    const event = (id: string, timestamp: number, message: string) => ({
      eventId: id,
      timestamp,
      message,
      logStreamName: 'web/web/7f3c2a9e4b1d4c8e9a0b1c2d3e4f5a6b',
    });
    stubs.logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({
        events: [event('1', 1000, 'GET /readyz 200'), event('2', 2000, 'GET /api/products 200')],
      })
      .resolvesOnce({
        events: [event('2', 2000, 'GET /api/products 200'), event('3', 2000, 'POST /api/carts 201')],
      })
      .resolves({ events: [event('3', 2000, 'POST /api/carts 201'), event('4', 3500, 'GET / 200')] });
    const printed: LogLine[] = [];
    const clock = new FakeClock();

    await followLogEvents(
      clients.logs,
      { logGroupName: LOG_GROUP, startTime: 0, intervalMs: 50, maxPolls: 3 },
      (l) => printed.push(l),
      clock,
    );

    assert.deepEqual(
      printed.map((l) => l.message),
      ['GET /readyz 200', 'GET /api/products 200', 'POST /api/carts 201', 'GET / 200'],
    );
    const starts = stubs.logs.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input.startTime);
    assert.deepEqual(starts, [0, 2000, 2000]);
    assert.deepEqual(clock.sleeps, [1000, 1000], 'interval clamped to at least 1 s');
  });
});
