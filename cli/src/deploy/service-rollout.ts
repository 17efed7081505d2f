/**
 * The ECS side of a deploy or rollback of an environment with several services: wait for every service to
 * settle (web: its deployment COMPLETED and its live targets healthy; worker: COMPLETED with every desired task
 * running), one after the other in the config's order, under the command's one deadline.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { DeployedService } from '../aws/service-outputs.js';
import { type WaitResult, waitForSteadyState } from '../aws/wait-for-steady-state.js';
import type { CommandContext } from '../context.js';

export type RolloutOutcome =
  | { readonly outcome: 'steady' }
  | {
      readonly outcome: 'failed' | 'timeout';
      /** The first service (in the config's order) that did not settle. */
      readonly service: DeployedService;
      readonly result: Exclude<WaitResult, { outcome: 'steady' }>;
    };

/** Waits for each service in the config's order, all under the command's one deadline; stops at the first that fails. */
export async function waitForServices(
  ctx: CommandContext,
  aws: { ecs: ECSClient; elbv2: ElasticLoadBalancingV2Client },
  services: readonly DeployedService[],
  deadline: number,
): Promise<RolloutOutcome> {
  for (const service of services) {
    ctx.progress.step(`waiting for ${service.name} (${service.service}) to reach a steady state`);
    const result = await waitForSteadyState(
      aws,
      { cluster: service.cluster, service: service.service, label: service.name, deadline },
      ctx.progress,
      ctx.clock,
    );
    if (result.outcome !== 'steady') return { outcome: result.outcome, service, result };
  }
  return { outcome: 'steady' };
}
