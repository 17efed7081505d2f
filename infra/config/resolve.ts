/**
 * `berth.config.ts` → the typed config the CDK app and the CLI take: the user's values over Berth's
 * defaults per environment (defaults.ts), checked for shape (shape.ts) and for values (validate.ts), with
 * every error reworded to the field path the user wrote.
 */
import { type AppNames, appNames } from '../lib/naming.js';
import { DEFAULT_PROD_GITHUB_ENVIRONMENT, ENVIRONMENT_DEFAULTS, QUEUE_DEFAULTS } from './defaults.js';
import {
  ENV_NAMES,
  type EnvironmentConfig,
  type EnvName,
  type GlobalConfig,
  type Region,
  type ResolvedServiceConfig,
  type RouteConfig,
  type SecretReferenceConfig,
  type ServiceCommonConfig,
  type ServiceConfig,
  type ServiceImageConfig,
  type WorkerServiceConfig,
} from './environments.js';
import { type ImageBuildConfig, repositoryOf, resolveImages } from './images.js';
import type {
  BerthConfig,
  ScalingDefinition,
  ServiceDefinition,
  ServiceSizing,
  WebServiceDefinition,
  WorkerScalingDefinition,
  WorkerServiceDefinition,
  WorkerSizing,
} from './schema.js';
import { checkServices, resolveRoutes, secretReference } from './services.js';
import { ConfigFileError, checkShape, shown } from './shape.js';
import { ConfigError, validateEnvironment, validateGlobal, validatePromotion } from './validate.js';

/**
 * One service as the user defined it, whatever the environment: what `berth up` runs locally and what the CLI
 * lists. Sizes per environment are in `EnvironmentConfig.services`.
 */
export interface AppService {
  readonly name: string;
  readonly kind: 'web' | 'worker';
  /** The image it runs: one Berth builds (`images`) or a prebuilt reference. */
  readonly image: ServiceImageConfig;
  /** Web: the port the container listens on. */
  readonly port?: number;
  /** Web: the path the load balancer probes (`/` when the config gives none). */
  readonly healthCheckPath?: string;
  /** Web: which requests reach it. */
  readonly route?: RouteConfig;
  /** Overrides the image's CMD. @default - the image's CMD */
  readonly command?: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  readonly secrets: Readonly<Record<string, SecretReferenceConfig>>;
  readonly database: boolean;
  /** The release command; cpu and memory default to the service's in each environment. */
  readonly release?: {
    readonly command: readonly string[];
    readonly cpu?: number;
    readonly memoryMiB?: number;
  };
  /** What `berth up` runs instead of the container (given PORT and DATABASE_URL). */
  readonly dev?: { readonly command: readonly string[]; readonly cwd?: string };
}

/** Everything a synth or a command needs, resolved and valid. */
export interface ResolvedConfig {
  readonly app: string;
  readonly names: AppNames;
  readonly global: GlobalConfig;
  readonly environments: Readonly<Record<EnvName, EnvironmentConfig>>;
  /**
   * The images Berth builds, one per distinct build, in config order; the first is the app's primary image
   * (its digest alone is a release's short form, its tag the bare git sha). At least one.
   */
  readonly images: readonly ImageBuildConfig[];
  /** Every service, in the order of `services` in berth.config.ts. */
  readonly services: readonly AppService[];
}

/** Lower-case, starts with a letter: it becomes stack names, parameter paths and repository names. */
const APP_NAME = /^[a-z][a-z0-9-]{0,19}$/;

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

function resolveWebSizing(
  env: EnvName,
  service: WebServiceDefinition,
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

function pickSizing(service: WebServiceDefinition): ServiceSizing {
  const {
    type: _type,
    build: _build,
    image: _image,
    port: _port,
    healthCheck: _hc,
    route: _route,
    database: _db,
    command: _command,
    environment: _environment,
    secrets: _secrets,
    release: _release,
    dev: _dev,
    sendsTo: _sendsTo,
    ...sizing
  } = service;
  return sizing;
}

function resolveWorkerSizing(
  env: EnvName,
  service: WorkerServiceDefinition,
  override: WorkerSizing | undefined,
): Omit<WorkerServiceConfig, keyof ServiceCommonConfig | 'kind'> {
  const d = ENVIRONMENT_DEFAULTS[env].worker;
  const scaling = layered<WorkerScalingDefinition>({}, service.scaling, override?.scaling);
  return {
    cpu: override?.cpu ?? service.cpu ?? d.cpu,
    memoryMiB: override?.memoryMiB ?? service.memoryMiB ?? d.memoryMiB,
    minTasks: scaling.minTasks ?? d.minTasks,
    maxTasks: scaling.maxTasks ?? d.maxTasks,
    stopTimeoutSeconds: override?.stopTimeoutSeconds ?? service.stopTimeoutSeconds ?? d.stopTimeoutSeconds,
    scaling: {
      cpuPercent: scaling.cpuPercent ?? d.scaling.cpuPercent,
      messagesPerTask: scaling.messagesPerTask ?? d.scaling.messagesPerTask,
    },
    deployment: layered(d.deployment, service.deployment, override?.deployment),
    ...(service.queue === undefined ? {} : { queue: layered(QUEUE_DEFAULTS, service.queue) }),
  };
}

/** What a service is whatever the environment (its release task's size aside). */
function appService(
  name: string,
  service: ServiceDefinition,
  route: RouteConfig | undefined,
  image: ServiceImageConfig,
): AppService {
  const release = service.release;
  return {
    name,
    kind: service.type,
    image,
    ...(service.type === 'web'
      ? { port: service.port, healthCheckPath: service.healthCheck?.path ?? DEFAULT_HEALTH_CHECK_PATH }
      : {}),
    ...(route === undefined ? {} : { route }),
    ...(service.command === undefined ? {} : { command: service.command }),
    environment: service.environment ?? {},
    secrets: Object.fromEntries(
      Object.entries(service.secrets ?? {}).map(([variable, ref]) => [variable, secretReference(ref)]),
    ),
    database: service.database ?? true,
    ...(release === undefined
      ? {}
      : {
          release: {
            command: release.command,
            ...(release.cpu === undefined ? {} : { cpu: release.cpu }),
            ...(release.memoryMiB === undefined ? {} : { memoryMiB: release.memoryMiB }),
          },
        }),
    ...(service.dev === undefined ? {} : { dev: service.dev }),
  };
}

const DEFAULT_HEALTH_CHECK_PATH = ENVIRONMENT_DEFAULTS.test.service.healthCheck.path;

function resolveServices(
  config: BerthConfig,
  env: EnvName,
  services: readonly AppService[],
): ResolvedServiceConfig[] {
  const overrides = config.environments[env].services ?? {};
  return services.map((app): ResolvedServiceConfig => {
    const definition = config.services[app.name]!;
    const { kind: _kind, port: _port, healthCheckPath: _hc, route, dev: _dev, release, ...common } = app;
    const sized = <T extends { cpu: number; memoryMiB: number }>(sizing: T) => ({
      ...sizing,
      ...common,
      sendsTo: definition.sendsTo ?? [],
      ...(release === undefined
        ? {}
        : {
            release: {
              command: release.command,
              cpu: release.cpu ?? sizing.cpu,
              memoryMiB: release.memoryMiB ?? sizing.memoryMiB,
            },
          }),
    });
    if (definition.type === 'web') {
      return {
        kind: 'web',
        ...sized(resolveWebSizing(env, definition, overrides[app.name] as ServiceSizing | undefined)),
        route: route!,
      };
    }
    return {
      kind: 'worker',
      ...sized(resolveWorkerSizing(env, definition, overrides[app.name] as WorkerSizing | undefined)),
    };
  });
}

function resolveEnvironment(
  config: BerthConfig,
  env: EnvName,
  services: readonly AppService[],
): EnvironmentConfig {
  const user = config.environments[env];
  const d = ENVIRONMENT_DEFAULTS[env];
  const resolved = resolveServices(config, env, services);
  const hasWeb = resolved.some((s) => s.kind === 'web');
  return {
    name: env,
    account: user.account,
    bootstrapQualifier: user.bootstrapQualifier ?? defaultBootstrapQualifier(config.app, env),
    regions: user.regions,
    network: layered(d.network, user.network),
    cluster: layered(d.cluster, user.cluster),
    services: resolved,
    database: layered(d.database, user.database),
    ...(user.domain === undefined ? {} : { domain: user.domain }),
    // No web service, no load balancer: nothing for a web ACL to protect (checkServices refuses enabled: true).
    waf: layered(d.waf, hasWeb ? {} : { enabled: false }, user.waf),
    tracing: layered(d.tracing, user.tracing),
    ...(user.alarms === undefined ? {} : { alarms: user.alarms }),
    logRetentionDays: user.logRetentionDays ?? d.logRetentionDays,
    exec: layered(d.exec, user.exec),
  };
}

/**
 * Rewrites a ConfigError from validate.ts (which speaks of the resolved config, `prod.services.web.minTasks`)
 * to the field the user writes: `environments.prod.services.web.scaling.minTasks`, or `services.web.…` when the
 * value came from the service's own definition.
 */
function userPath(field: string, config: BerthConfig): string {
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
  // `prod.services.<name>.x`: a service's field.
  if (rest[0] !== 'services' || rest[1] === undefined) return `environments.${field}`;
  const [, serviceName, ...inResolved] = rest;
  const inService = serviceField(inResolved.join('.'));
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

/** The resolved service's field → the ServiceDefinition's. */
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
  checkServices(config, source);
  const routes = resolveRoutes(config);
  const images = resolveImages(config);
  const services = Object.entries(config.services).map(([name, service]) =>
    appService(name, service, routes.get(name), images.byService.get(name)!),
  );
  const repository = repositoryOf(config);
  const names = appNames(config.app);
  try {
    const environments = Object.fromEntries(
      ENV_NAMES.map((env) => [env, validateEnvironment(resolveEnvironment(config, env, services))]),
    ) as Record<EnvName, EnvironmentConfig>;
    validatePromotion(environments);
    const prod = environments.prod;
    const global: GlobalConfig = validateGlobal({
      account: config.global?.account ?? prod.account,
      primaryRegion: config.global?.region ?? (prod.regions[0] as Region),
      githubRepository: config.github.repository,
      githubProdEnvironment: config.github.prodEnvironment ?? DEFAULT_PROD_GITHUB_ENVIRONMENT,
      ...(repository === undefined ? {} : { repositoryName: names.repositoryName(repository) }),
      ...(config.global?.oidcProviderArn === undefined
        ? {}
        : { githubOidcProviderArn: config.global.oidcProviderArn }),
    });
    return {
      app: config.app,
      names,
      global,
      environments,
      services,
      images: images.builds,
    };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigFileError(
      `${source}: ${userPath(error.field, config)} = ${shown(error.value)}: expected ${error.expected}`,
    );
  }
}
