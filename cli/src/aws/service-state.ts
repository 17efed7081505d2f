import { type Deployment, DescribeServicesCommand, type ECSClient, type Service } from '@aws-sdk/client-ecs';
import {
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CliError } from '../errors.js';

export interface ServiceRef {
  readonly cluster: string;
  readonly service: string;
}

export interface TargetSummary {
  readonly healthy: number;
  readonly total: number;
  /** `10.0.2.15:32771 unhealthy Target.FailedHealthChecks: Health checks failed` for each target not healthy. */
  readonly problems: string[];
}

export async function describeService(ecs: ECSClient, ref: ServiceRef): Promise<Service> {
  const result = await ecs.send(
    new DescribeServicesCommand({ cluster: ref.cluster, services: [ref.service] }),
  );
  const service = result.services?.[0];
  if (!service || service.status === 'INACTIVE') {
    throw new CliError(
      `ECS service ${ref.service} not found in cluster ${ref.cluster}: deploy the environment first`,
    );
  }
  return service;
}

/**
 * The service's target groups as ECS reports them now: the live (production) group first, then the
 * blue/green alternate. ECS swaps the two roles at the end of every blue/green deployment ("Amazon
 * ECS blue/green service deployments workflow"), so a group ARN taken from a stack output is live
 * only every other deployment; DescribeServices' load-balancer configuration is always current.
 */
export function serviceTargetGroups(service: Service): { live?: string; alternate?: string } {
  const lb = service.loadBalancers?.find((l) => l.targetGroupArn);
  const alternate = lb?.advancedConfiguration?.alternateTargetGroupArn;
  return { ...(lb?.targetGroupArn ? { live: lb.targetGroupArn } : {}), ...(alternate ? { alternate } : {}) };
}

export function primaryDeployment(service: Service): Deployment | undefined {
  return service.deployments?.find((d) => d.status === 'PRIMARY');
}

export async function targetHealth(
  elbv2: ElasticLoadBalancingV2Client,
  targetGroupArn: string,
): Promise<TargetSummary> {
  const result = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
  const targets = result.TargetHealthDescriptions ?? [];
  const problems: string[] = [];
  let healthy = 0;
  for (const t of targets) {
    const state = t.TargetHealth?.State ?? 'unknown';
    if (state === 'healthy') {
      healthy++;
      continue;
    }
    const reason = [t.TargetHealth?.Reason, t.TargetHealth?.Description].filter(Boolean).join(': ');
    problems.push(`${t.Target?.Id ?? '?'}:${t.Target?.Port ?? '?'} ${state}${reason ? ` ${reason}` : ''}`);
  }
  return { healthy, total: targets.length, problems };
}

/**
 * `rollout IN_PROGRESS, tasks 1/2 running (1 pending), targets 1/2 healthy`; without targets (a service with no
 * load balancer) the part about them is left out.
 */
export function describeRollout(deployment: Deployment | undefined, targets?: TargetSummary): string {
  if (!deployment) return 'no primary deployment';
  return (
    `rollout ${deployment.rolloutState ?? 'UNKNOWN'}, tasks ${deployment.runningCount ?? 0}/` +
    `${deployment.desiredCount ?? 0} running (${deployment.pendingCount ?? 0} pending)` +
    (targets ? `, targets ${targets.healthy}/${targets.total} healthy` : '')
  );
}
