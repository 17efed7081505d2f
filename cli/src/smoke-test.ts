import { type EnvironmentConfig, serviceOutputs } from '@berth/infra';
import { CliError } from './errors.js';

export type Fetch = (url: string, init?: { signal?: AbortSignal }) => Promise<Response>;

/** One web service to check after a deploy: its health path, requested at its URL through the load balancer. */
export interface SmokeTarget {
  readonly service: string;
  /** The service's URL (output `<Service>Url`): `https://<host>` for a host route, else the environment's URL. */
  readonly url: string;
  readonly healthPath: string;
}

/**
 * ALB path patterns are case-sensitive and take `*` (any characters) and `?` (one character) (ELB User Guide,
 * "Listener rules for your Application Load Balancer", Path conditions).
 */
function pathMatches(pattern: string, path: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(path);
}

/**
 * The web services of the environment whose health path the load balancer routes to them. A service on
 * `/admin/*` whose health path is `/health` cannot be reached there through the load balancer (the request
 * would go to another service), so it is left out and named in `unreachable`.
 */
export function smokeTargets(
  config: EnvironmentConfig,
  outputs: Record<string, string>,
): { targets: SmokeTarget[]; unreachable: string[] } {
  const targets: SmokeTarget[] = [];
  const unreachable: string[] = [];
  for (const service of config.services) {
    if (service.kind !== 'web') continue;
    const healthPath = service.healthCheck.path;
    if (!pathMatches(service.route.path, healthPath)) {
      unreachable.push(
        `${service.name} (health path ${healthPath} is outside its route ${service.route.path})`,
      );
      continue;
    }
    const key = serviceOutputs(service.name).url;
    const url = outputs[key];
    if (url === undefined) {
      throw new CliError(
        `output ${key} not found in the ${config.name} stacks: deploy the environment first (berth deploy ${config.name})`,
      );
    }
    targets.push({ service: service.name, url, healthPath });
  }
  return { targets, unreachable };
}

/**
 * What "deployed" means to a user: every web service answers 200 on its health path through the load
 * balancer, at the URL users reach it by (a host route is requested by its name, so the rule matches).
 */
export async function smokeTest(
  targets: readonly SmokeTarget[],
  fetchImpl: Fetch = fetch,
  timeoutMs = 10_000,
): Promise<void> {
  for (const target of targets) {
    const url = new URL(target.healthPath, target.url).toString();
    let response: Response;
    try {
      response = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw new CliError(`smoke test of ${target.service}: GET ${url} failed (${describeFailure(error)})`);
    }
    if (response.status !== 200) {
      throw new CliError(
        `smoke test of ${target.service}: GET ${url} returned ${response.status}, expected 200`,
      );
    }
  }
}

/**
 * fetch rejects with a bare "fetch failed" and puts the reason in `cause`: an unknown name (a domain record
 * not yet resolvable), or a certificate that does not cover the name. The reason is what the reader needs.
 */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
