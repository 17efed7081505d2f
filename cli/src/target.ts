import type { EnvironmentConfig, EnvName, Region } from '@berth/infra';
import {
  COMPONENTS,
  type Component,
  ConfigError,
  ENV_NAMES,
  GLOBAL,
  getEnvironment,
  isEnvName,
  stackName,
} from '@berth/infra';
import { CliError } from './errors.js';

/** One environment in one region: everything a command needs to find its resources. */
export interface Target {
  readonly env: EnvName;
  readonly config: EnvironmentConfig;
  readonly region: Region;
  readonly stacks: Record<Component, string>;
}

/** Validates the env name (listing the known ones) and the region (listing the env's regions). */
export function resolveEnvironment(name: string): EnvironmentConfig {
  if (!isEnvName(name)) {
    throw new CliError(`unknown environment "${name}": use one of ${ENV_NAMES.join(', ')}`);
  }
  try {
    return getEnvironment(name);
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new CliError(`${error.message} (fix it in infra/config/environments.ts)`);
    }
    throw error;
  }
}

export function resolveTargets(name: string, region?: string): Target[] {
  const config = resolveEnvironment(name);
  const regions = region === undefined ? config.regions : [region];
  return regions.map((r) => {
    if (!(config.regions as readonly string[]).includes(r)) {
      throw new CliError(
        `region "${r}" is not configured for ${config.name}: use one of ${config.regions.join(', ')}`,
      );
    }
    return targetFor(config, r as Region);
  });
}

/** The first target: commands that look at one region (status, logs) default to the primary one. */
export function resolveTarget(name: string, region?: string): Target {
  return resolveTargets(name, region ?? resolveEnvironment(name).regions[0])[0]!;
}

export function targetFor(config: EnvironmentConfig, region: Region): Target {
  const stacks = Object.fromEntries(COMPONENTS.map((c) => [c, stackName(config.name, region, c)])) as Record<
    Component,
    string
  >;
  return { env: config.name, config, region, stacks };
}

/** The shared registry and Global stack live in the account's primary region. */
export const PRIMARY_REGION: Region = GLOBAL.primaryRegion;
