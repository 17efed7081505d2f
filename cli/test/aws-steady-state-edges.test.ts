/**
 * The edges of waitForSteadyState (cli/src/aws/wait-for-steady-state.ts) the main suite does not walk: each
 * condition of "settled" on its own, the deadline boundary, a failed rollout the circuit breaker did not
 * roll back, a service without a load balancer, and the real clock. Deployment fields and rollout states
 * follow the ECS API Reference ("Deployment": status PRIMARY/ACTIVE, rolloutState COMPLETED/FAILED/IN_PROGRESS).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Deployment } from '@aws-sdk/client-ecs';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { systemClock, waitForSteadyState } from '../src/aws/wait-for-steady-state.js';
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

const NEW = TASK_DEF(21);
const OLD = TASK_DEF(20);
const healthyTargets = (n: number) => ({
  TargetHealthDescriptions: Array.from({ length: n }, (_, i) => target(`i-0${i}`, 32770 + i, 'healthy')),
});

/** Polls the given service states in turn (the last repeats) with `targets` healthy targets; returns the sleeps. */
async function waitThrough(
  states: ReturnType<typeof service>[],
  targets = healthyTargets(2),
  options: { deadlineMs?: number; pollMs?: number } = {},
) {
  const { clients, stubs } = mockAws();
  let stub = stubs.ecs.on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] });
  // The first answer is read once before the loop to learn which task definition is ours.
  for (const state of [states[0]!, ...states.slice(0, -1)]) stub = stub.resolvesOnce(state);
  stub.resolves(states.at(-1)!);
  stubs.elbv2.on(DescribeTargetHealthCommand, { TargetGroupArn: TARGET_GROUP_ARN }).resolves(targets);
  const clock = new FakeClock();
  const progress = new RecordingProgress();
  const result = await waitForSteadyState(
    clients,
    {
      cluster: CLUSTER,
      service: SERVICE,
      deadline: clock.now() + (options.deadlineMs ?? 600_000),
      ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
    },
    progress,
    clock,
  );
  return { result, sleeps: clock.sleeps, progress: progress.lines, stubs };
}

const done = (overrides: Partial<Deployment> = {}) => deployment({ taskDefinition: NEW, ...overrides });

describe('waitForSteadyState: every condition of "settled" counts on its own', () => {
  it('waits while the old deployment is still listed, even with the primary COMPLETED', async () => {
    const { result, sleeps } = await waitThrough([
      service([
        done(),
        deployment({ id: 'ecs-svc/old', status: 'ACTIVE', taskDefinition: OLD, runningCount: 0 }),
      ]),
      service([done()]),
    ]);
    assert.deepEqual(result, { outcome: 'steady', taskDefinition: NEW });
    assert.deepEqual(sleeps, [5_000]);
  });

  it('waits while the primary is not COMPLETED', async () => {
    const { sleeps } = await waitThrough([
      service([done({ rolloutState: 'IN_PROGRESS' })]),
      service([done()]),
    ]);
    assert.deepEqual(sleeps, [5_000]);
  });

  it('waits while fewer tasks run than desired', async () => {
    const { sleeps } = await waitThrough([service([done({ runningCount: 1 })]), service([done()])]);
    assert.deepEqual(sleeps, [5_000]);
  });

  it('waits while a task is pending', async () => {
    const { sleeps } = await waitThrough([service([done({ pendingCount: 1 })]), service([done()])]);
    assert.deepEqual(sleeps, [5_000]);
  });

  it('waits until as many targets are healthy as tasks are desired', async () => {
    const { clients, stubs } = mockAws();
    stubs.ecs
      .on(DescribeServicesCommand, { cluster: CLUSTER, services: [SERVICE] })
      .resolves(service([done({ desiredCount: 3, runningCount: 3 })]));
    stubs.elbv2
      .on(DescribeTargetHealthCommand, { TargetGroupArn: TARGET_GROUP_ARN })
      .resolvesOnce(healthyTargets(2))
      .resolves(healthyTargets(3));
    const clock = new FakeClock();

    const result = await waitForSteadyState(
      clients,
      { cluster: CLUSTER, service: SERVICE, deadline: clock.now() + 600_000, pollMs: 4_000 },
      new RecordingProgress(),
      clock,
    );

    assert.deepEqual(result, { outcome: 'steady', taskDefinition: NEW });
    assert.deepEqual(clock.sleeps, [4_000]);
  });

  it('settles on ECS alone when the service has no load balancer, without asking for target health', async () => {
    const { result, sleeps, stubs, progress } = await waitThrough([service([done()], { loadBalancers: [] })]);
    assert.deepEqual(result, { outcome: 'steady', taskDefinition: NEW });
    assert.deepEqual(sleeps, []);
    assert.equal(stubs.elbv2.calls().length, 0);
    assert.deepEqual(progress, ['rollout COMPLETED, tasks 2/2 running (0 pending)']);
  });
});

describe('waitForSteadyState: failure and time', () => {
  it('a FAILED rollout the circuit breaker did not roll back ends the wait without rolledBackTo', async () => {
    const { result, sleeps } = await waitThrough([
      service([done({ rolloutState: 'IN_PROGRESS' })]),
      service([
        done({
          rolloutState: 'FAILED',
          rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
        }),
      ]),
    ]);
    assert.deepEqual(result, {
      outcome: 'failed',
      taskDefinition: NEW,
      reason: 'ECS deployment circuit breaker: tasks failed to start.',
    });
    assert.deepEqual(sleeps, [5_000]);
  });

  it('says "the deployment failed" when ECS gives no reason', async () => {
    const { result } = await waitThrough([
      service([done({ rolloutState: 'FAILED', rolloutStateReason: undefined })]),
    ]);
    assert.deepEqual(result, { outcome: 'failed', taskDefinition: NEW, reason: 'the deployment failed' });
  });

  it('a primary on another task definition is a rollback even while ours is not marked FAILED', async () => {
    const { result } = await waitThrough([
      service([done({ rolloutState: 'IN_PROGRESS' })]),
      service([
        deployment({ taskDefinition: OLD, rolloutState: 'IN_PROGRESS' }),
        done({
          id: 'ecs-svc/ours',
          status: 'ACTIVE',
          rolloutState: 'IN_PROGRESS',
          rolloutStateReason: undefined,
        }),
      ]),
    ]);
    assert.deepEqual(result, {
      outcome: 'failed',
      taskDefinition: NEW,
      reason: 'the deployment failed',
      rolledBackTo: OLD,
    });
  });

  it('polls every 5 s by default while the next poll fits before the deadline, then times out with the last state', async () => {
    const { result, sleeps } = await waitThrough(
      [service([done({ rolloutState: 'IN_PROGRESS', runningCount: 1, pendingCount: 1 })])],
      healthyTargets(1),
      { deadlineMs: 10_000 },
    );
    assert.deepEqual(sleeps, [5_000, 5_000]);
    assert.deepEqual(result, {
      outcome: 'timeout',
      taskDefinition: NEW,
      lastState: 'rollout IN_PROGRESS, tasks 1/2 running (1 pending), targets 1/1 healthy',
    });
  });
});

describe('waitForSteadyState: no primary deployment', () => {
  it('never counts as steady and times out saying so', async () => {
    const { result } = await waitThrough(
      [service([deployment({ status: 'ACTIVE', taskDefinition: OLD })], { loadBalancers: [] })],
      healthyTargets(0),
      { deadlineMs: 9_000, pollMs: 3_000 },
    );
    assert.deepEqual(result, { outcome: 'timeout', taskDefinition: '', lastState: 'no primary deployment' });
  });
});

describe('systemClock', () => {
  it('tells the time and sleeps for real, and an aborted sleep ends at once without throwing', async () => {
    const before = Date.now();
    assert.ok(Math.abs(systemClock.now() - before) < 1_000);
    const started = performance.now();
    await systemClock.sleep(30);
    assert.ok(performance.now() - started >= 25, 'slept about 30 ms');

    const stop = new AbortController();
    const sleeping = systemClock.sleep(60_000, stop.signal);
    stop.abort();
    const abortedAt = performance.now();
    await sleeping;
    assert.ok(performance.now() - abortedAt < 5_000, 'an aborted sleep returns at once');
  });
});
