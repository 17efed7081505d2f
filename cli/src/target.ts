import {
  type AppNames,
  COMPONENTS,
  type Component,
  ENV_NAMES,
  type EnvironmentConfig,
  type EnvName,
  isEnvName,
  type Region,
  type ResolvedConfig,
} from '@berth/infra';
import { CliError } from './errors.js';

/** One environment in one region: everything a command needs to find its resources. */
export interface Target {
  readonly env: EnvName;
  readonly config: EnvironmentConfig;
  readonly region: Region;
  readonly stacks: Record<Component, string>;
}

/** The environment `name` of the loaded config (validated when it was loaded); the error lists the known names. */
export function resolveEnvironment(config: ResolvedConfig, name: string): EnvironmentConfig {
  if (!isEnvName(name)) {
    throw new CliError(`unknown environment "${name}": use one of ${ENV_NAMES.join(', ')}`);
  }
  return config.environments[name];
}

/** Validates the env name (listing the known ones) and the region (listing the env's regions). */
export function resolveTargets(config: ResolvedConfig, name: string, region?: string): Target[] {
  const environment = resolveEnvironment(config, name);
  const regions = region === undefined ? environment.regions : [region];
  return regions.map((r) => {
    if (!(environment.regions as readonly string[]).includes(r)) {
      throw new CliError(
        `region "${r}" is not configured for ${environment.name}: use one of ${environment.regions.join(', ')} (environments.${environment.name}.regions in berth.config.ts)`,
      );
    }
    return targetFor(config.names, environment, r as Region);
  });
}

/** The first target: commands that look at one region (status, logs) default to the primary one. */
export function resolveTarget(config: ResolvedConfig, name: string, region?: string): Target {
  return resolveTargets(config, name, region ?? resolveEnvironment(config, name).regions[0])[0]!;
}

export function targetFor(names: AppNames, config: EnvironmentConfig, region: Region): Target {
  const stacks = Object.fromEntries(
    COMPONENTS.map((c) => [c, names.stackName(config.name, region, c)]),
  ) as Record<Component, string>;
  return { env: config.name, config, region, stacks };
}
