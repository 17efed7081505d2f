/**
 * Which service a read command (`logs`, `exec`) is about, from `--service`: the names are the config's, and a
 * wrong one is a one-line error that lists the right ones.
 */
import type { EnvironmentConfig, ResolvedServiceConfig } from '@berth/infra';
import { CliError } from '../errors.js';

const names = (config: EnvironmentConfig) => config.services.map((s) => s.name).join(', ');

/** The service called `name`, or a one-line error naming the environment's services. */
export function serviceNamed(config: EnvironmentConfig, name: string): ResolvedServiceConfig {
  const service = config.services.find((s) => s.name === name);
  if (!service) {
    throw new CliError(
      `--service ${name}: ${config.name} has no service of that name; expected one of ${names(config)}`,
    );
  }
  return service;
}

/**
 * `--service` when given; else the only web service (what a shell is usually wanted in). With several web
 * services, a one-line error asks for `--service`.
 */
export function serviceOrOnlyWeb(config: EnvironmentConfig, name: string | undefined): ResolvedServiceConfig {
  if (name !== undefined) return serviceNamed(config, name);
  const web = config.services.filter((s) => s.kind === 'web');
  if (web.length === 1) return web[0]!;
  // An app of workers only: no default to take.
  const which =
    web.length === 0 ? 'no web service' : `${web.length} web services (${web.map((s) => s.name).join(', ')})`;
  throw new CliError(
    `${config.name} has ${which}: choose one with --service <name> (one of ${names(config)})`,
  );
}
