import { setTimeout as delay } from 'node:timers/promises';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Progress } from '../ui/progress.js';
import {
  describeRollout,
  describeService,
  primaryDeployment,
  type ServiceRef,
  serviceTargetGroups,
  targetHealth,
} from './service-state.js';

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or as soon as `signal` aborts, so a finished command leaves no timer behind. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(ms, undefined, signal ? { signal } : {}).catch(() => undefined),
};

export interface WaitOptions extends ServiceRef {
  /** Absolute deadline (epoch ms): the whole command shares one hard timeout. */
  readonly deadline: number;
  /** ECS updates deployment counters every few seconds; polling faster only costs API calls. */
  readonly pollMs?: number;
  /** Starts every progress line (`worker: rollout …`): the service's name when an environment has several. */
  readonly label?: string;
}

export type WaitResult =
  | { readonly outcome: 'steady'; readonly taskDefinition: string }
  | {
      readonly outcome: 'failed';
      readonly taskDefinition: string;
      readonly reason: string;
      /** Task definition the circuit breaker went back to, if it did. */
      readonly rolledBackTo?: string;
    }
  | { readonly outcome: 'timeout'; readonly taskDefinition: string; readonly lastState: string };

/**
 * Polls the service until the deployment that was primary when we started is the only one,
 * COMPLETED, with every desired task running and, for a service behind the load balancer, every target
 * of its live target group healthy (none draining or unhealthy). The live group is read from DescribeServices on every poll,
 * because blue/green swaps it each deployment. A FAILED rollout or a primary that switched to another task definition (the circuit
 * breaker's rollback) ends the wait early.
 */
export async function waitForSteadyState(
  clients: { ecs: ECSClient; elbv2: ElasticLoadBalancingV2Client },
  options: WaitOptions,
  progress: Progress,
  clock: Clock = systemClock,
): Promise<WaitResult> {
  const pollMs = options.pollMs ?? 5_000;
  const first = primaryDeployment(await describeService(clients.ecs, options));
  const taskDefinition = first?.taskDefinition ?? '';
  let lastState = '';
  for (;;) {
    const service = await describeService(clients.ecs, options);
    const primary = primaryDeployment(service);
    const ours = service.deployments?.find((d) => d.taskDefinition === taskDefinition);
    const { live } = serviceTargetGroups(service);
    // A service without a load balancer (a worker) has no targets: its tasks running is all there is to wait for.
    const targets = live ? await targetHealth(clients.elbv2, live) : undefined;
    lastState = describeRollout(primary, targets);
    progress.step(options.label === undefined ? lastState : `${options.label}: ${lastState}`);

    if (ours?.rolloutState === 'FAILED' || (primary && primary.taskDefinition !== taskDefinition)) {
      const rolledBackTo =
        primary && primary.taskDefinition !== taskDefinition ? primary.taskDefinition : undefined;
      return {
        outcome: 'failed',
        taskDefinition,
        reason: ours?.rolloutStateReason ?? 'the deployment failed',
        ...(rolledBackTo ? { rolledBackTo } : {}),
      };
    }
    const desired = primary?.desiredCount ?? 0;
    const settled =
      service.deployments?.length === 1 &&
      primary?.rolloutState === 'COMPLETED' &&
      primary.runningCount === desired &&
      (primary.pendingCount ?? 0) === 0;
    const healthy = !targets || (targets.healthy >= desired && targets.problems.length === 0);
    if (settled && healthy) return { outcome: 'steady', taskDefinition };

    if (clock.now() + pollMs > options.deadline) return { outcome: 'timeout', taskDefinition, lastState };
    await clock.sleep(pollMs);
  }
}
