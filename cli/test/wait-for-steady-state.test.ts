import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { waitForSteadyState } from '../src/aws/wait-for-steady-state.js';
import { RecordingProgress } from '../src/ui/progress.js';
import {
  CLUSTER,
  deployment,
  FakeClock,
  mockAws,
  SERVICE,
  service,
  TARGET_GROUP_ARN,
  TASK_DEF,
  target,
} from './fixtures/aws.js';

const NEW = TASK_DEF(9);
const OLD = TASK_DEF(8);
const rolling = (running: number, pending: number) => [
  deployment({
    status: 'PRIMARY',
    taskDefinition: NEW,
    rolloutState: 'IN_PROGRESS',
    runningCount: running,
    pendingCount: pending,
  }),
  deployment({ id: 'ecs-svc/old', status: 'ACTIVE', taskDefinition: OLD, runningCount: 2 - running }),
];

describe('waitForSteadyState', () => {
  it('reports progress while the rollout runs, then succeeds once the new revision alone is healthy', async () => {
    // GIVEN a rolling deployment that starts one task, then two, then retires the old deployment
    const { clients, stubs } = mockAws();
    stubs.ecs
      .on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] })
      .resolvesOnce(service(rolling(0, 1)))
      .resolvesOnce(service(rolling(0, 1)))
      .resolvesOnce(service(rolling(1, 1)))
      .resolvesOnce(service(rolling(2, 0)))
      .resolves(service([deployment({ taskDefinition: NEW })]));
    stubs.elbv2
      .on(DescribeTargetHealthCommand, { TargetGroupArn: TARGET_GROUP_ARN })
      .resolvesOnce({
        TargetHealthDescriptions: [
          target('i-0a1', 32768, 'healthy'),
          target('i-0a1', 32771, 'initial', 'Elb.RegistrationInProgress'),
        ],
      })
      .resolvesOnce({
        TargetHealthDescriptions: [
          target('i-0a1', 32771, 'healthy'),
          target('i-0a1', 32768, 'draining', 'Target.DeregistrationInProgress'),
        ],
      })
      .resolves({
        TargetHealthDescriptions: [target('i-0a1', 32771, 'healthy'), target('i-0b2', 32772, 'healthy')],
      });
    const progress = new RecordingProgress();
    const clock = new FakeClock();

    // WHEN we wait
    const result = await waitForSteadyState(
      clients,
      {
        cluster: CLUSTER,
        service: SERVICE,
        deadline: clock.now() + 600_000,
        pollMs: 5_000,
      },
      progress,
      clock,
    );

    // THEN it succeeds for the new revision after showing each intermediate state
    assert.deepEqual(result, { outcome: 'steady', taskDefinition: NEW });
    assert.equal(
      progress.lines[0],
      'rollout IN_PROGRESS, tasks 0/2 running (1 pending), targets 1/2 healthy',
    );
    assert.ok(
      progress.lines.includes('rollout IN_PROGRESS, tasks 2/2 running (0 pending), targets 2/2 healthy'),
    );
    assert.equal(
      progress.lines.at(-1),
      'rollout COMPLETED, tasks 2/2 running (0 pending), targets 2/2 healthy',
    );
    assert.ok(clock.sleeps.length >= 3 && clock.sleeps.every((ms) => ms === 5_000));
  });

  it('times out at the deadline with the last state it saw', async () => {
    const { clients, stubs } = mockAws();
    stubs.ecs
      .on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] })
      .resolves(service(rolling(1, 1)));
    stubs.elbv2
      .on(DescribeTargetHealthCommand, { TargetGroupArn: TARGET_GROUP_ARN })
      .resolves({ TargetHealthDescriptions: [] });
    const clock = new FakeClock();
    const started = clock.now();

    const result = await waitForSteadyState(
      clients,
      {
        cluster: CLUSTER,
        service: SERVICE,
        deadline: started + 60_000,
        pollMs: 5_000,
      },
      new RecordingProgress(),
      clock,
    );

    assert.equal(result.outcome, 'timeout');
    assert.ok(result.outcome === 'timeout' && result.lastState.includes('tasks 1/2 running'));
    assert.ok(clock.now() - started <= 60_000, 'never sleeps past the deadline');
  });

  it('stops early when the circuit breaker fails the rollout and rolls back', async () => {
    // GIVEN the new revision fails and ECS makes the old one primary again
    const { clients, stubs } = mockAws();
    stubs.ecs
      .on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] })
      .resolvesOnce(service(rolling(0, 1)))
      .resolvesOnce(service(rolling(0, 1)))
      .resolves(
        service([
          deployment({ status: 'PRIMARY', taskDefinition: OLD, rolloutState: 'IN_PROGRESS' }),
          deployment({
            id: 'ecs-svc/new',
            status: 'ACTIVE',
            taskDefinition: NEW,
            rolloutState: 'FAILED',
            rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
            runningCount: 0,
            failedTasks: 3,
          }),
        ]),
      );
    stubs.elbv2
      .on(DescribeTargetHealthCommand, { TargetGroupArn: TARGET_GROUP_ARN })
      .resolves({ TargetHealthDescriptions: [] });

    const clock = new FakeClock();
    const result = await waitForSteadyState(
      clients,
      {
        cluster: CLUSTER,
        service: SERVICE,
        deadline: clock.now() + 600_000,
      },
      new RecordingProgress(),
      clock,
    );

    assert.deepEqual(result, {
      outcome: 'failed',
      taskDefinition: NEW,
      reason: 'ECS deployment circuit breaker: tasks failed to start.',
      rolledBackTo: OLD,
    });
  });

  it('does not call a COMPLETED rollout steady while a target still drains or fails health checks', async () => {
    // GIVEN ECS reports COMPLETED at once, but the live group still has a draining, then an unhealthy target
    const { clients, stubs } = mockAws();
    stubs.ecs
      .on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] })
      .resolves(service([deployment({ taskDefinition: NEW })]));
    stubs.elbv2
      .on(DescribeTargetHealthCommand, { TargetGroupArn: TARGET_GROUP_ARN })
      .resolvesOnce({
        TargetHealthDescriptions: [
          target('i-0a1', 32771, 'healthy'),
          target('i-0b2', 32772, 'healthy'),
          target('i-0a1', 32768, 'draining', 'Target.DeregistrationInProgress'),
        ],
      })
      .resolvesOnce({
        TargetHealthDescriptions: [
          target('i-0a1', 32771, 'healthy'),
          target('i-0b2', 32772, 'unhealthy', 'Target.FailedHealthChecks'),
        ],
      })
      .resolves({
        TargetHealthDescriptions: [target('i-0a1', 32771, 'healthy'), target('i-0b2', 32772, 'healthy')],
      });
    const clock = new FakeClock();

    const result = await waitForSteadyState(
      clients,
      { cluster: CLUSTER, service: SERVICE, deadline: clock.now() + 600_000, pollMs: 5_000 },
      new RecordingProgress(),
      clock,
    );

    // THEN it waited through both polls before calling it steady
    assert.deepEqual(result, { outcome: 'steady', taskDefinition: NEW });
    assert.deepEqual(clock.sleeps, [5_000, 5_000]);
  });

  it('follows the live group ECS reports after a blue/green swap, not a fixed ARN', async () => {
    const GREEN = TARGET_GROUP_ARN.replace('Berth-Web', 'Berth-Web-Green');
    const { clients, stubs } = mockAws();
    stubs.ecs.on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] }).resolves(
      service([deployment({ taskDefinition: NEW })], {
        loadBalancers: [
          {
            targetGroupArn: GREEN,
            containerName: 'web',
            containerPort: 80,
            advancedConfiguration: { alternateTargetGroupArn: TARGET_GROUP_ARN },
          },
        ],
      }),
    );
    stubs.elbv2.on(DescribeTargetHealthCommand, { TargetGroupArn: GREEN }).resolves({
      TargetHealthDescriptions: [target('i-1', 32771, 'healthy'), target('i-2', 32772, 'healthy')],
    });
    stubs.elbv2.on(DescribeTargetHealthCommand, { TargetGroupArn: TARGET_GROUP_ARN }).resolves({
      TargetHealthDescriptions: [target('i-1', 32768, 'draining', 'Target.DeregistrationInProgress')],
    });
    const clock = new FakeClock();

    const result = await waitForSteadyState(
      clients,
      { cluster: CLUSTER, service: SERVICE, deadline: clock.now() + 60_000 },
      new RecordingProgress(),
      clock,
    );

    assert.deepEqual(result, { outcome: 'steady', taskDefinition: NEW });
  });
});
