import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { followLogEvents, type LogLine } from '../src/aws/log-events.js';
import { environmentStatus, formatStatus } from '../src/observe/status.js';
import {
  CLUSTER,
  deployment,
  digest,
  FakeClock,
  fakeContext,
  givenDeployedStacks,
  LOG_GROUP,
  mockAws,
  SERVICE,
  service,
  TARGET_GROUP_ARN,
  TASK_DEF,
  target,
  URL_TEST,
} from './fixtures/aws.js';

describe('berth status', () => {
  it('combines the recorded digest, task counts, rollout, target health, firing alarms and the URL', async () => {
    const { clients, stubs } = mockAws();
    givenDeployedStacks(stubs);
    stubs.ssm
      .on(GetParameterCommand, { Name: '/berth/test/image-digest' })
      .resolves({ Parameter: { Value: digest('d') } });
    stubs.ecs.on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] }).resolves(
      service([
        deployment({
          taskDefinition: TASK_DEF(9),
          runningCount: 1,
          pendingCount: 1,
          rolloutState: 'IN_PROGRESS',
        }),
      ]),
    );
    stubs.elbv2.on(DescribeTargetHealthCommand, { TargetGroupArn: TARGET_GROUP_ARN }).resolves({
      TargetHealthDescriptions: [
        target('i-1', 32768, 'healthy'),
        target('i-2', 32771, 'unhealthy', 'Target.Timeout', 'Request timed out'),
      ],
    });
    stubs.cloudwatch
      .on(DescribeAlarmsCommand, { AlarmNamePrefix: 'Berth-Test-', StateValue: 'ALARM' })
      .resolves({
        MetricAlarms: [
          {
            AlarmName: 'Berth-Test-UnhealthyHosts',
            StateValue: 'ALARM',
            StateReason:
              'Threshold Crossed: 1 datapoint [1.0] was greater than or equal to the threshold (1.0).',
          },
        ],
      });

    const status = await environmentStatus(fakeContext(clients), { env: 'test' });

    assert.equal(status.url, URL_TEST);
    assert.equal(status.digest, digest('d'));
    assert.deepEqual(status.service, {
      name: 'Berth-Test-eu-west-1-Service-WebServiceC2F3A1B0-def456',
      running: 1,
      desired: 2,
      pending: 1,
      rolloutState: 'IN_PROGRESS',
      deployments: 1,
      taskDefinition: TASK_DEF(9),
    });
    assert.deepEqual(status.targets, {
      healthy: 1,
      total: 2,
      problems: ['i-2:32771 unhealthy Target.Timeout: Request timed out'],
    });
    assert.deepEqual(
      status.alarms.map((a) => a.name),
      ['Berth-Test-UnhealthyHosts'],
    );
    const text = formatStatus(status);
    assert.match(text, /service: +1\/2 running, 1 pending, rollout IN_PROGRESS/);
    assert.match(text, /alarms: +1 in ALARM/);
  });
});

describe('berth logs --follow', () => {
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
