/**
 * How long a deploy and a rollback take, from the numbers in the templates. ECS deploys are slow mostly
 * because of defaults (30 s × 5 health checks, 300 s deregistration delay); showing the formula next to
 * the ecs-patterns baseline makes the effect of each setting visible.
 */
import {
  asArray,
  asRecord,
  follow,
  type LocatedResource,
  prop,
  resolveNumber,
  resolveString,
  resourcesOfType,
  type StackTemplate,
} from './template.js';

export type Strategy = 'rolling' | 'blue-green' | 'canary';

export interface DeployTimingInputs {
  readonly strategy: Strategy;
  /** Tasks replaced: the desired count, or the autoscaling minimum when desired count is left unset. */
  readonly tasks: number;
  readonly minHealthyPercent: number;
  readonly maxPercent: number;
  readonly healthCheckIntervalSeconds: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  readonly deregistrationDelaySeconds: number;
  /** Seconds between SIGTERM and exit: the app's drain time when it handles SIGTERM, else the stop timeout. */
  readonly stopSeconds: number;
  readonly gracePeriodSeconds: number;
  readonly bakeMinutes: number;
  readonly canaryPercent?: number;
}

/** Fixed overheads we cannot read from a template; printed with every estimate. */
export const ASSUMPTIONS = {
  /** Placement on existing capacity, pulling a cached image, starting node: measured locally ~5 s, padded. */
  startupSeconds: 30,
  /** Modifying the production listener rule and the ALB applying it. */
  trafficShiftSeconds: 15,
} as const;

export interface DeployEstimate {
  readonly inputs: DeployTimingInputs;
  readonly batchSize: number;
  readonly batches: number;
  readonly perBatchSeconds: number;
  readonly deploySeconds: number;
  readonly rollbackSeconds: number;
  readonly deployFormula: string;
  readonly rollbackFormula: string;
}

/** What `ApplicationLoadBalancedEc2Service` gives you untuned: the comparison baseline. */
export function ecsPatternsDefaults(tasks: number): DeployTimingInputs {
  return {
    strategy: 'rolling',
    tasks,
    minHealthyPercent: 100,
    maxPercent: 200,
    healthCheckIntervalSeconds: 30,
    healthyThreshold: 5,
    unhealthyThreshold: 2,
    deregistrationDelaySeconds: 300,
    stopSeconds: 30,
    gracePeriodSeconds: 60,
    bakeMinutes: 0,
  };
}

export function estimateEcsDeployment(i: DeployTimingInputs): DeployEstimate {
  const { startupSeconds: start, trafficShiftSeconds: shift } = ASSUMPTIONS;
  const healthy = i.healthCheckIntervalSeconds * i.healthyThreshold;
  const drain = i.deregistrationDelaySeconds + i.stopSeconds;
  // ECS may run up to maxPercent and must keep minHealthyPercent: the gap is how many tasks move at once.
  const batchSize = Math.max(
    1,
    Math.floor((i.tasks * i.maxPercent) / 100) - Math.ceil((i.tasks * i.minHealthyPercent) / 100),
  );
  const batches = Math.ceil(i.tasks / batchSize);
  const perBatchSeconds = start + healthy + drain;
  const perBatchFormula =
    `(start ${start} + interval ${i.healthCheckIntervalSeconds} × healthy ${i.healthyThreshold} ` +
    `+ deregistration ${i.deregistrationDelaySeconds} + stop ${i.stopSeconds})`;

  if (i.strategy === 'rolling') {
    const deploySeconds = batches * perBatchSeconds;
    // The circuit breaker trips after max(3, min(200, ceil(desired / 2))) failed tasks.
    const failuresToTrip = Math.min(200, Math.max(3, Math.ceil(i.tasks / 2)));
    const attempts = Math.ceil(failuresToTrip / batchSize);
    const failSeconds = start + i.gracePeriodSeconds + i.healthCheckIntervalSeconds * i.unhealthyThreshold;
    return {
      inputs: i,
      batchSize,
      batches,
      perBatchSeconds,
      deploySeconds,
      rollbackSeconds: attempts * failSeconds + deploySeconds,
      deployFormula: `${batches} batch(es) of ${batchSize} × ${perBatchFormula} s = ${deploySeconds} s`,
      rollbackFormula:
        `${attempts} failed attempt(s) × (start ${start} + grace ${i.gracePeriodSeconds} + interval ` +
        `${i.healthCheckIntervalSeconds} × unhealthy ${i.unhealthyThreshold}) + redeploy ${deploySeconds} s ` +
        `= ${attempts * failSeconds + deploySeconds} s (circuit breaker: ${failuresToTrip} failed tasks)`,
    };
  }

  // Native blue/green and canary start the whole new revision at once, shift traffic, bake, then drain.
  const bake = i.bakeMinutes * 60;
  const shifts = i.strategy === 'canary' ? 2 : 1;
  const deploySeconds = start + healthy + shifts * shift + bake + drain;
  const canary = i.strategy === 'canary' ? ` (canary ${i.canaryPercent ?? '?'}% first)` : '';
  return {
    inputs: i,
    batchSize: i.tasks,
    batches: 1,
    perBatchSeconds: deploySeconds,
    deploySeconds,
    rollbackSeconds: shift,
    deployFormula:
      `start ${start} + interval ${i.healthCheckIntervalSeconds} × healthy ${i.healthyThreshold} + ` +
      `${shifts} traffic shift(s) × ${shift}${canary} + bake ${i.bakeMinutes} min + deregistration ` +
      `${i.deregistrationDelaySeconds} + stop ${i.stopSeconds} = ${deploySeconds} s`,
    rollbackFormula:
      `during the ${i.bakeMinutes} min bake: shift traffic back ${shift} s (old tasks still running); ` +
      `after it: a new deploy of the previous revision, ${deploySeconds} s`,
  };
}

const STRATEGIES: Record<string, Strategy> = {
  ROLLING: 'rolling',
  BLUE_GREEN: 'blue-green',
  CANARY: 'canary',
};

/** Reads the inputs from the service, its target group and task definition; undefined if there is no service. */
export function deployInputsFromTemplates(stacks: readonly StackTemplate[]): DeployTimingInputs | undefined {
  const service = resourcesOfType(stacks, 'AWS::ECS::Service')[0];
  if (!service) return undefined;
  const t = service.stack.template;
  const num = (value: unknown, fallback: number) => {
    const n = resolveNumber(value, t);
    return typeof n === 'number' ? n : fallback;
  };
  const config = asRecord(prop(service, 'DeploymentConfiguration'));
  const strategyName = resolveString(config.Strategy, t);
  const strategy = (typeof strategyName === 'string' && STRATEGIES[strategyName]) || 'rolling';
  const targetGroup =
    follow(service, asRecord(asArray(prop(service, 'LoadBalancers'))[0]).TargetGroupArn) ??
    resourcesOfType([service.stack], 'AWS::ElasticLoadBalancingV2::TargetGroup')[0];
  const taskDefinition =
    follow(service, prop(service, 'TaskDefinition')) ??
    resourcesOfType([service.stack], 'AWS::ECS::TaskDefinition')[0];
  const container = asRecord(asArray(taskDefinition && prop(taskDefinition, 'ContainerDefinitions'))[0]);
  const stopTimeout = num(container.StopTimeout, 30);
  const drainValue = asArray(container.Environment)
    .map(asRecord)
    .find((e) => e.Name === 'SHUTDOWN_DRAIN_SECONDS')?.Value;
  const drain = resolveNumber(drainValue, t);
  const tg = (name: string, fallback: number) => num(targetGroup && prop(targetGroup, name), fallback);
  const deregistration = asArray(targetGroup && prop(targetGroup, 'TargetGroupAttributes'))
    .map(asRecord)
    .find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value;
  const canary = asRecord(config.CanaryConfiguration);
  // An app of workers only has no target group: a task with no load balancer (and no container health
  // check) counts as healthy once RUNNING, and there is nothing to deregister (ECS API Reference,
  // DeploymentConfiguration `minimumHealthyPercent`).
  const balanced = targetGroup !== undefined;
  return {
    strategy,
    tasks: desiredTasks(stacks, service),
    minHealthyPercent: num(config.MinimumHealthyPercent, 100),
    maxPercent: num(config.MaximumPercent, 200),
    healthCheckIntervalSeconds: balanced ? tg('HealthCheckIntervalSeconds', 30) : 0,
    healthyThreshold: balanced ? tg('HealthyThresholdCount', 5) : 0,
    unhealthyThreshold: balanced ? tg('UnhealthyThresholdCount', 2) : 0,
    deregistrationDelaySeconds: balanced ? num(deregistration, 300) : 0,
    stopSeconds: typeof drain === 'number' ? Math.min(drain, stopTimeout) : stopTimeout,
    gracePeriodSeconds: num(prop(service, 'HealthCheckGracePeriodSeconds'), 0),
    bakeMinutes: num(config.BakeTimeInMinutes, 0),
    ...(strategy === 'canary' ? { canaryPercent: num(canary.CanaryPercent, 10) } : {}),
  };
}

function desiredTasks(stacks: readonly StackTemplate[], service: LocatedResource): number {
  const desired = resolveNumber(prop(service, 'DesiredCount'), service.stack.template);
  if (typeof desired === 'number') return desired;
  const target = resourcesOfType(stacks, 'AWS::ApplicationAutoScaling::ScalableTarget').find(
    (r) => prop(r, 'ScalableDimension') === 'ecs:service:DesiredCount',
  );
  const min = target && resolveNumber(prop(target, 'MinCapacity'), target.stack.template);
  return typeof min === 'number' ? min : 1;
}
