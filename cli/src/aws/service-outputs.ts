/**
 * The services of an environment as its deployed stacks name them: each service of the config (`services` in
 * berth.config.ts, in that order) with the ECS service, log group and, for a web service, target group and
 * production rule that the Service stack outputs under `serviceOutputs(name)`. Names and kinds come from the
 * config; only the AWS names come from the outputs. Shared by deploy, rollback and destroy (and the read side).
 */
import { type EnvironmentConfig, OUTPUTS, type ResolvedServiceConfig, serviceOutputs } from '@berth/infra';
import type { ServiceRef } from './service-state.js';
import { requireOutput } from './stack-outputs.js';

export interface DeployedService extends ServiceRef {
  /** Its name in the config: its container's name and the label of every progress line about it. */
  readonly name: string;
  readonly kind: ResolvedServiceConfig['kind'];
  readonly logGroupName?: string;
  /** Web: the target group the stack attached first (ECS swaps the live one on blue/green: serviceTargetGroups). */
  readonly targetGroupArn?: string;
  /** Web, blue/green and canary: the listener rule whose weights ECS shifts. */
  readonly productionRuleArn?: string;
}

function deployed(
  settings: ResolvedServiceConfig,
  cluster: string,
  service: string,
  outputs: Record<string, string>,
): DeployedService {
  const keys = serviceOutputs(settings.name);
  const present = (field: keyof DeployedService, key: string) =>
    outputs[key] === undefined ? {} : { [field]: outputs[key] };
  return {
    name: settings.name,
    kind: settings.kind,
    cluster,
    service,
    ...present('logGroupName', keys.logGroupName),
    ...(settings.kind === 'web'
      ? {
          ...present('targetGroupArn', keys.targetGroupArn),
          ...present('productionRuleArn', keys.productionRuleArn),
        }
      : {}),
  };
}

/**
 * Every service of the environment, each of which must be deployed: a missing output means the stacks are
 * older than the config (a service added since), and the error says to deploy.
 */
export function deployedServices(
  config: EnvironmentConfig,
  outputs: Record<string, string>,
  where: string,
): DeployedService[] {
  const cluster = requireOutput(outputs, OUTPUTS.clusterName, where);
  return config.services.map((settings) =>
    deployed(
      settings,
      cluster,
      requireOutput(outputs, serviceOutputs(settings.name).serviceName, where),
      outputs,
    ),
  );
}

/** The services of the environment that its stacks have (none when the Service stack does not exist). */
export function existingServices(
  config: EnvironmentConfig,
  outputs: Record<string, string>,
): DeployedService[] {
  const cluster = outputs[OUTPUTS.clusterName];
  if (cluster === undefined) return [];
  return config.services.flatMap((settings) => {
    const service = outputs[serviceOutputs(settings.name).serviceName];
    return service === undefined ? [] : [deployed(settings, cluster, service, outputs)];
  });
}
