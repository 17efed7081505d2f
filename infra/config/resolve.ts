/**
 * `berth.config.ts` → the typed config the CDK app and the CLI take: the user's values over Berth's
 * defaults per environment (defaults.ts), checked for shape (shape.ts) and for values (validate.ts), with
 * every error reworded to the field path the user wrote.
 */
import { type AppNames, appNames } from '../lib/naming.js';
import { DEFAULT_PROD_GITHUB_ENVIRONMENT, ENVIRONMENT_DEFAULTS } from './defaults.js';
import {
  ENV_NAMES,
  type EnvironmentConfig,
  type EnvName,
  type GlobalConfig,
  type Region,
  type ServiceConfig,
} from './environments.js';
import type { BerthConfig, ScalingDefinition, ServiceDefinition, ServiceSizing } from './schema.js';
import { ConfigFileError, checkShape, shown } from './shape.js';
import { ConfigError, validateEnvironment, validateGlobal, validatePromotion } from './validate.js';

/** The one service of this step, with what the CLI needs to build its image. */
export interface ResolvedService {
  /** Its name in `services`, e.g. `web`; the image repository is `<app>/<name>`. */
  readonly name: string;
  /** Relative to the project root (the directory of berth.config.ts). */
  readonly build: { readonly dockerfile: string; readonly context: string };
}

/** Everything a synth or a command needs, resolved and valid. */
export interface ResolvedConfig {
  readonly app: string;
  readonly names: AppNames;
  readonly global: GlobalConfig;
  readonly environments: Readonly<Record<EnvName, EnvironmentConfig>>;
  readonly service: ResolvedService;
}

/** Lower-case, starts with a letter: it becomes stack names, parameter paths and repository names. */
const APP_NAME = /^[a-z][a-z0-9-]{0,19}$/;
const SERVICE_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** The later layers win; a layer's undefined fields leave the earlier value. */
function layered<T extends object>(base: T, ...layers: (Partial<T> | undefined)[]): T {
  const result: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer ?? {})) if (value !== undefined) result[key] = value;
  }
  return result as T;
}

/** A CDK bootstrap qualifier from the app and env: lower-case letters and digits, at most 10. */
export function defaultBootstrapQualifier(app: string, env: EnvName): string {
  return app.replace(/[^a-z0-9]/g, '').slice(0, 10 - env.length) + env;
}

function resolveService(
  env: EnvName,
  service: ServiceDefinition,
  override: ServiceSizing | undefined,
): ServiceConfig {
  const d = ENVIRONMENT_DEFAULTS[env].service;
  const sizing = layered<ServiceSizing>({}, pickSizing(service), override);
  const scaling = layered<ScalingDefinition>({}, service.scaling, override?.scaling);
  return {
    containerPort: service.port,
    cpu: sizing.cpu ?? d.cpu,
    memoryMiB: sizing.memoryMiB ?? d.memoryMiB,
    minTasks: scaling.minTasks ?? d.minTasks,
    maxTasks: scaling.maxTasks ?? d.maxTasks,
    healthCheck: layered(d.healthCheck, service.healthCheck),
    drainSeconds: sizing.drainSeconds ?? d.drainSeconds,
    deregistrationDelaySeconds: sizing.deregistrationDelaySeconds ?? d.deregistrationDelaySeconds,
    stopTimeoutSeconds: sizing.stopTimeoutSeconds ?? d.stopTimeoutSeconds,
    healthCheckGracePeriodSeconds: sizing.healthCheckGracePeriodSeconds ?? d.healthCheckGracePeriodSeconds,
    deployment: layered(d.deployment, service.deployment, override?.deployment),
    scaling: {
      cpuPercent: scaling.cpuPercent ?? d.scaling.cpuPercent,
      memoryPercent: scaling.memoryPercent ?? d.scaling.memoryPercent,
      requestsPerTarget: scaling.requestsPerTarget ?? d.scaling.requestsPerTarget,
    },
  };
}

function pickSizing(service: ServiceDefinition): ServiceSizing {
  const {
    type: _type,
    build: _build,
    port: _port,
    healthCheck: _hc,
    route: _route,
    database: _db,
    ...sizing
  } = service;
  return sizing;
}

function resolveEnvironment(
  config: BerthConfig,
  env: EnvName,
  serviceName: string,
  service: ServiceDefinition,
): EnvironmentConfig {
  const user = config.environments[env];
  const d = ENVIRONMENT_DEFAULTS[env];
  return {
    name: env,
    account: user.account,
    bootstrapQualifier: user.bootstrapQualifier ?? defaultBootstrapQualifier(config.app, env),
    regions: user.regions,
    network: layered(d.network, user.network),
    cluster: layered(d.cluster, user.cluster),
    service: resolveService(env, service, user.services?.[serviceName]),
    database: layered(d.database, user.database),
    ...(user.domain === undefined ? {} : { domain: user.domain }),
    waf: layered(d.waf, user.waf),
    tracing: layered(d.tracing, user.tracing),
    ...(user.alarms === undefined ? {} : { alarms: user.alarms }),
    logRetentionDays: user.logRetentionDays ?? d.logRetentionDays,
    exec: layered(d.exec, user.exec),
  };
}

/** The one service this step supports: a single entry of type `web`. */
function theService(config: BerthConfig, source: string): [string, ServiceDefinition] {
  const entries = Object.entries(config.services);
  const first = entries[0];
  if (first === undefined) {
    throw new ConfigFileError(
      `${source}: services = {}: expected one service, e.g. web: { type: 'web', port: 8000 }`,
    );
  }
  if (entries.length > 1) {
    throw new ConfigFileError(
      `${source}: services has ${entries.length} services (${entries.map(([n]) => n).join(', ')}): not supported yet, one web service for now (several services come with issue #13 item 2)`,
    );
  }
  const [name, service] = first;
  const fail = (field: string, value: unknown, expected: string): never => {
    throw new ConfigFileError(`${source}: services.${name}${field} = ${shown(value)}: expected ${expected}`);
  };
  if (!SERVICE_NAME.test(name)) {
    fail('', name, 'a service name of lower-case letters, digits and hyphens, starting with a letter');
  }
  if (service.type !== 'web') {
    fail('.type', service.type, "'web' (workers are not supported yet: issue #13 item 2)");
  }
  if (service.route?.path !== undefined && service.route.path !== '/*') {
    fail(
      '.route.path',
      service.route.path,
      "'/*' (the one web service receives every request; path routing comes with several services)",
    );
  }
  if (service.database === false) {
    fail(
      '.database',
      false,
      'true: every service gets the database for now (opting out comes with issue #13 item 2)',
    );
  }
  for (const env of ENV_NAMES) {
    for (const other of Object.keys(config.environments[env].services ?? {})) {
      if (other !== name) {
        throw new ConfigFileError(
          `${source}: environments.${env}.services.${other}: no service named ${other}; expected one of ${name}`,
        );
      }
    }
  }
  return [name, service];
}

/**
 * Rewrites a ConfigError from validate.ts (which speaks of the resolved config, `prod.service.minTasks`) to
 * the field the user writes: `environments.prod.services.web.scaling.minTasks`, or `services.web.…` when the
 * value came from the service's own definition.
 */
function userPath(field: string, config: BerthConfig, serviceName: string): string {
  const own = config.global !== undefined;
  const globals: Record<string, string> = {
    'global.githubRepository': 'github.repository',
    'global.githubProdEnvironment': 'github.prodEnvironment',
    'global.githubOidcProviderArn': 'global.oidcProviderArn',
    // Without a `global` block the account-wide stack takes prod's account and first region.
    'global.account': own ? 'global.account' : 'environments.prod.account',
    'global.primaryRegion': own ? 'global.region' : 'environments.prod.regions',
  };
  const global = globals[field];
  if (global !== undefined) return global;
  const [env, ...rest] = field.split('.') as [EnvName, ...string[]];
  if (rest[0] !== 'service') return `environments.${field}`;
  const inService = serviceField(rest.slice(1).join('.'));
  const defined = (root: unknown) =>
    inService
      .split('.')
      .reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], root) !== undefined;
  const override = config.environments[env]?.services?.[serviceName];
  if (defined(override)) return `environments.${env}.services.${serviceName}.${inService}`;
  const service = config.services[serviceName];
  if (defined(service) || inService === 'port' || inService.startsWith('healthCheck.')) {
    return `services.${serviceName}.${inService}`;
  }
  // A Berth default that does not suit this environment: the fix is an override there.
  return `environments.${env}.services.${serviceName}.${inService}`;
}

/** The resolved ServiceConfig's field → the ServiceDefinition's. */
function serviceField(field: string): string {
  if (field === 'containerPort') return 'port';
  if (field === 'minTasks' || field === 'maxTasks') return `scaling.${field}`;
  return field;
}

/**
 * Checks and resolves the default export of `berth.config.ts`. `source` names the file in error lines.
 * Throws a ConfigFileError: one line with the field path and the fix.
 */
export function resolveConfig(input: unknown, source = 'berth.config.ts'): ResolvedConfig {
  checkShape(input, source);
  const config = input;
  if (!APP_NAME.test(config.app)) {
    throw new ConfigFileError(
      `${source}: app = ${shown(config.app)}: expected a name of lower-case letters, digits and hyphens starting with a letter, at most 20 (it names stacks and parameters), e.g. shop`,
    );
  }
  const [serviceName, service] = theService(config, source);
  const names = appNames(config.app);
  try {
    const environments = Object.fromEntries(
      ENV_NAMES.map((env) => [
        env,
        validateEnvironment(resolveEnvironment(config, env, serviceName, service)),
      ]),
    ) as Record<EnvName, EnvironmentConfig>;
    validatePromotion(environments);
    const prod = environments.prod;
    const global: GlobalConfig = validateGlobal({
      account: config.global?.account ?? prod.account,
      primaryRegion: config.global?.region ?? (prod.regions[0] as Region),
      githubRepository: config.github.repository,
      githubProdEnvironment: config.github.prodEnvironment ?? DEFAULT_PROD_GITHUB_ENVIRONMENT,
      repositoryName: names.repositoryName(serviceName),
      ...(config.global?.oidcProviderArn === undefined
        ? {}
        : { githubOidcProviderArn: config.global.oidcProviderArn }),
    });
    return {
      app: config.app,
      names,
      global,
      environments,
      service: {
        name: serviceName,
        build: {
          dockerfile: service.build?.dockerfile ?? 'Dockerfile',
          context: service.build?.context ?? '.',
        },
      },
    };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigFileError(
      `${source}: ${userPath(error.field, config, serviceName)} = ${shown(error.value)}: expected ${error.expected}`,
    );
  }
}
