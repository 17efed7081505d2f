/**
 * The `services` of `berth.config.ts`, checked as a whole and one by one before any environment is resolved:
 * names, routes (one catch-all, distinct priorities), images (images.ts), one release command per app, variable
 * names, secret references, queues and who sends to them. Every error is one line naming the field the user
 * wrote and the fix.
 */
import { OUTPUTS, pascalCase, serviceOutputs } from '../lib/naming.js';
import { ENV_NAMES, type EnvName, type RouteConfig, type SecretReferenceConfig } from './environments.js';
import { checkImages } from './images.js';
import type { BerthConfig, SecretReference, ServiceDefinition, WorkerSizing } from './schema.js';
import { ConfigFileError, checkWorkerOverride, shown } from './shape.js';

const SERVICE_NAME = /^[a-z][a-z0-9-]{0,31}$/;
/** POSIX portable variable names, upper case: what a shell, Node and Docker all take as-is. */
const VARIABLE_NAME = /^[A-Z_][A-Z0-9_]*$/;

/**
 * Variables Berth sets itself: a user value would silently replace (or be replaced by) Berth's, so they are
 * refused. PORT and SHUTDOWN_DRAIN_SECONDS carry the web service's sizing; PG* the database credentials and
 * TLS settings (service-task.ts); TRACING* the tracing switch (tracing-sidecar.ts).
 */
export const RESERVED_VARIABLES: readonly string[] = [
  'PORT',
  'SHUTDOWN_DRAIN_SECONDS',
  'PGHOST',
  'PGPORT',
  'PGUSER',
  'PGPASSWORD',
  'PGDATABASE',
  'PGSSLMODE',
  'PGSSLROOTCERT',
  'TRACING',
  'TRACING_SAMPLE_RATIO',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
];

/** ALB listener rule priorities run from 1 to 50000 (ELB API Reference, CreateRule `Priority`). */
export const MAX_RULE_PRIORITY = 50000;
/** The catch-all is evaluated last, after every more specific rule. */
export const CATCH_ALL_PRIORITY = MAX_RULE_PRIORITY;
export const CATCH_ALL_PATH = '/*';

/**
 * ALB path patterns: up to 128 characters of A-Z a-z 0-9 _ - . $ / ~ " ' @ : + & and the wildcards * and ?
 * (ELB User Guide, "Listener rules for your Application Load Balancer", Path conditions).
 */
const PATH_PATTERN = /^\/[A-Za-z0-9_\-.$/~"'@:+&*?]{0,127}$/;
/**
 * Host conditions: up to 128 characters of A-Z a-z 0-9 - . and the wildcards * and ? (same page, Host
 * conditions); Berth wants lower case, as the domain settings do.
 */
const HOST_PATTERN =
  /^(?=.{1,128}$)[a-z0-9*?]([a-z0-9*?-]*[a-z0-9*?])?(\.[a-z0-9*?]([a-z0-9*?-]*[a-z0-9*?])?)+$/;
/**
 * SSM parameter names: letters, digits and `_ . - /` (Systems Manager User Guide, "Requirements and
 * constraints for parameter names"), or the parameter's ARN.
 */
const SSM_PARAMETER =
  /^(arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter\/[A-Za-z0-9_.\-/]+|[A-Za-z0-9_.\-/]{1,2048})$/;
/**
 * Secrets Manager names: letters, digits and `/ _ + = . @ -` up to 512 (Secrets Manager API Reference,
 * CreateSecret `Name`), or the secret's ARN.
 */
const SECRETS_MANAGER_SECRET =
  /^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+|[A-Za-z0-9/_+=.@-]{1,512})$/;

/** Throws a ConfigFileError at the first mistake in `services` (and the environments' service overrides). */
export function checkServices(config: BerthConfig, source: string): void {
  const entries = Object.entries(config.services);
  if (entries.length === 0) {
    throw new ConfigFileError(
      `${source}: services = {}: expected at least one service, e.g. web: { type: 'web', port: 8000 }`,
    );
  }
  for (const [name, service] of entries) checkService(name, service, source);
  checkDistinctIds(
    entries.map(([name]) => name),
    source,
  );
  checkImages(config, source);
  checkOneRelease(entries, source);
  checkQueues(config, source);
  checkRoutes(entries, source);
  for (const env of ENV_NAMES) {
    for (const [other, override] of Object.entries(config.environments[env].services ?? {})) {
      const service = config.services[other];
      const path = `environments.${env}.services.${other}`;
      if (service === undefined) {
        throw new ConfigFileError(
          `${source}: ${path}: no service named ${other}; expected one of ${entries.map(([n]) => n).join(', ')}`,
        );
      }
      if (service.type === 'worker') checkWorkerOverride(override, path, source);
      const perTask = (override as WorkerSizing).scaling?.messagesPerTask;
      if (service.type === 'web' && perTask !== undefined) {
        throw new ConfigFileError(
          `${source}: ${path}.scaling.messagesPerTask: only workers with a queue scale on messagesPerTask (this one is a web service); remove it`,
        );
      }
      if (service.type === 'worker' && perTask !== undefined && service.queue === undefined) {
        throw new ConfigFileError(
          `${source}: ${path}.scaling.messagesPerTask: ${other} has no queue to scale on; add services.${other}.queue = {} or remove it`,
        );
      }
    }
    if (!entries.some(([, service]) => service.type === 'web')) checkNoLoadBalancer(config, env, source);
  }
}

/**
 * An app of workers only has no load balancer: nothing to serve a domain on or to put a web ACL in front of
 * (WAF is off by default there; resolve.ts).
 */
function checkNoLoadBalancer(config: BerthConfig, env: EnvName, source: string): void {
  const user = config.environments[env];
  const why = 'the app has no web service, so no load balancer';
  if (user.domain !== undefined) {
    throw new ConfigFileError(
      `${source}: environments.${env}.domain: ${why} to serve it on; remove domain or add a service of type 'web'`,
    );
  }
  if (user.waf?.enabled === true) {
    throw new ConfigFileError(
      `${source}: environments.${env}.waf.enabled = true: ${why} to protect; remove it or add a service of type 'web'`,
    );
  }
}

/** The variable a worker's queue URL reaches it in. */
export const QUEUE_URL_VARIABLE = 'QUEUE_URL';

/** The variable a sender finds worker `name`'s queue URL in: `cart-expiry` → `CART_EXPIRY_QUEUE_URL`. */
export function sendsToVariable(worker: string): string {
  return `${worker.toUpperCase().replace(/-/g, '_')}_${QUEUE_URL_VARIABLE}`;
}

/**
 * `sendsTo` names workers that have a queue, once each; `scaling.messagesPerTask` needs a queue; the variables
 * Berth sets for queues are not the user's too.
 */
function checkQueues(config: BerthConfig, source: string): void {
  const entries = Object.entries(config.services);
  const withQueue = entries
    .filter(([, s]) => s.type === 'worker' && s.queue !== undefined)
    .map(([name]) => name);
  const taken = (name: string, service: ServiceDefinition, variable: string, why: string) => {
    for (const field of ['environment', 'secrets'] as const) {
      if (service[field]?.[variable] !== undefined) {
        throw new ConfigFileError(
          `${source}: services.${name}.${field}.${variable}: Berth sets ${variable} (${why}); use another name`,
        );
      }
    }
  };
  for (const [name, service] of entries) {
    if (service.type === 'worker') {
      if (service.queue !== undefined) taken(name, service, QUEUE_URL_VARIABLE, 'its queue');
      if (service.scaling?.messagesPerTask !== undefined && service.queue === undefined) {
        throw new ConfigFileError(
          `${source}: services.${name}.scaling.messagesPerTask: ${name} has no queue to scale on; add services.${name}.queue = {} or remove it`,
        );
      }
    }
    const listed = service.sendsTo ?? [];
    listed.forEach((target, i) => {
      const at = `${source}: services.${name}.sendsTo[${i}] = ${shown(target)}`;
      const queues = withQueue.length > 0 ? withQueue.join(', ') : 'none yet: give a worker queue: {}';
      const named = config.services[target];
      if (named === undefined) {
        throw new ConfigFileError(
          `${at}: no service of that name; expected a worker with a queue (${queues})`,
        );
      }
      if (named.type !== 'worker' || named.queue === undefined) {
        throw new ConfigFileError(
          `${at}: ${target} is ${named.type === 'worker' ? 'a worker without a queue' : 'a web service'}; expected a worker with a queue (${queues})`,
        );
      }
      if (listed.indexOf(target) !== i) {
        throw new ConfigFileError(`${at}: listed twice; remove one`);
      }
      taken(name, service, sendsToVariable(target), `${target}'s queue`);
    });
  }
}

function checkService(name: string, service: ServiceDefinition, source: string): void {
  const at = (field: string) => `services.${name}${field}`;
  const fail = (field: string, value: unknown, expected: string): never => {
    throw new ConfigFileError(`${source}: ${at(field)} = ${shown(value)}: expected ${expected}`);
  };
  if (!SERVICE_NAME.test(name)) {
    fail(
      '',
      name,
      'a service name of lower-case letters, digits and hyphens, starting with a letter (at most 32)',
    );
  }
  const command = (field: string, value: readonly string[] | undefined) => {
    if (value !== undefined && (value.length === 0 || value.some((part) => part === ''))) {
      fail(field, value, "a non-empty list of non-empty strings, e.g. ['node', 'dist/worker.js']");
    }
  };
  command('.command', service.command);
  command('.release.command', service.release?.command);
  command('.dev.command', service.dev?.command);

  const secretNames = Object.keys(service.secrets ?? {});
  for (const [variable, value] of Object.entries(service.environment ?? {})) {
    checkVariableName(at(`.environment.${variable}`), variable, value, source);
    if (secretNames.includes(variable)) {
      throw new ConfigFileError(
        `${source}: ${at(`.environment.${variable}`)}: ${variable} is also in secrets; keep it in one of them (secrets if it is one)`,
      );
    }
  }
  for (const [variable, reference] of Object.entries(service.secrets ?? {})) {
    checkVariableName(at(`.secrets.${variable}`), variable, reference, source);
    checkSecretReference(at(`.secrets.${variable}`), reference, source);
  }
}

function checkVariableName(path: string, name: string, value: unknown, source: string): void {
  if (!VARIABLE_NAME.test(name)) {
    throw new ConfigFileError(
      `${source}: ${path} = ${shown(value)}: expected a variable name of upper-case letters, digits and _, not starting with a digit (e.g. ${name
        .toUpperCase()
        .replace(/[^A-Z0-9_]/g, '_')
        .replace(/^(\d)/, '_$1')})`,
    );
  }
  if (RESERVED_VARIABLES.includes(name)) {
    throw new ConfigFileError(
      `${source}: ${path}: ${name} is set by Berth (${RESERVED_VARIABLES.join(', ')}); use another name`,
    );
  }
}

function checkSecretReference(path: string, reference: SecretReference, source: string): void {
  const fail = (expected: string): never => {
    throw new ConfigFileError(`${source}: ${path} = ${shown(reference)}: expected ${expected}`);
  };
  const ssm = 'ssm' in reference ? reference.ssm : undefined;
  const secretsManager = 'secretsManager' in reference ? reference.secretsManager : undefined;
  const key = 'key' in reference ? reference.key : undefined;
  if ((ssm === undefined) === (secretsManager === undefined)) {
    fail("exactly one of { ssm: '/app/name' } or { secretsManager: 'app/name', key?: 'field' }");
  }
  if (ssm !== undefined) {
    if (key !== undefined) fail('no key with ssm (key picks a field of a Secrets Manager JSON secret)');
    if (!SSM_PARAMETER.test(ssm)) {
      fail("an SSM parameter name (letters, digits, _ . - /) such as '/shop/stripe-key', or its ARN");
    }
  }
  if (secretsManager !== undefined) {
    if (!SECRETS_MANAGER_SECRET.test(secretsManager)) {
      fail(
        "a Secrets Manager secret name (letters, digits, / _ + = . @ -) such as 'shop/stripe', or its ARN",
      );
    }
    if (key !== undefined && key === '') fail('a non-empty key (a field of the JSON secret), or no key');
  }
}

/** Construct ids and output keys are the Pascal-case names (`a-1` and `a1` are both `A1`). */
function checkDistinctIds(names: string[], source: string): void {
  const byId = new Map<string, string>();
  const byKey = new Map<string, string>();
  for (const name of names) {
    const same = byId.get(pascalCase(name));
    if (same !== undefined) {
      throw new ConfigFileError(
        `${source}: services.${name}: its stack outputs would share the prefix ${pascalCase(name)} with ${same}'s; rename one of them`,
      );
    }
    byId.set(pascalCase(name), name);
    // `jobs`'s JobsQueueUrl is a web service `jobs-queue`'s url output.
    for (const key of Object.values(serviceOutputs(name))) {
      const owner = byKey.get(key);
      if (owner !== undefined) {
        throw new ConfigFileError(
          `${source}: services.${name}: its stack output ${key} would clash with ${owner}'s of that name; rename one of them`,
        );
      }
      byKey.set(key, name);
    }
    // `service` would output ServiceUrl and `release` ReleaseLogGroupName: keys the environment already has.
    const taken = Object.values(serviceOutputs(name)).find((key) => ENVIRONMENT_OUTPUTS.has(key));
    if (taken !== undefined) {
      throw new ConfigFileError(
        `${source}: services.${name}: its stack output ${taken} would clash with the environment's own output of that name; rename the service`,
      );
    }
  }
}

const ENVIRONMENT_OUTPUTS: ReadonlySet<string> = new Set(Object.values(OUTPUTS));

function checkOneRelease(entries: [string, ServiceDefinition][], source: string): void {
  const withRelease = entries.filter(([, service]) => service.release !== undefined).map(([n]) => n);
  if (withRelease.length > 1) {
    throw new ConfigFileError(
      `${source}: services.${withRelease[1]}.release: ${withRelease[0]} already has a release command; at most one service has one (it runs once before each rollout): remove one`,
    );
  }
}

/**
 * Each web service's route, with the defaults: path `/*`; priorities 10, 20, … in config order for the
 * services that are not the catch-all, MAX for the catch-all so every specific rule is evaluated before it.
 */
export function resolveRoutes(config: BerthConfig): Map<string, RouteConfig> {
  const routes = new Map<string, RouteConfig>();
  let position = 0;
  for (const [name, service] of Object.entries(config.services)) {
    if (service.type !== 'web') continue;
    const path = service.route?.path ?? CATCH_ALL_PATH;
    const host = service.route?.host;
    const catchAll = path === CATCH_ALL_PATH && host === undefined;
    if (!catchAll) position += 1;
    const priority = service.route?.priority ?? (catchAll ? CATCH_ALL_PRIORITY : position * 10);
    routes.set(name, { path, ...(host === undefined ? {} : { host }), priority });
  }
  return routes;
}

function checkRoutes(entries: [string, ServiceDefinition][], source: string): void {
  const routes = resolveRoutes({ services: Object.fromEntries(entries) } as BerthConfig);
  const seen = new Map<string, string>();
  const byPriority = new Map<number, string>();
  let catchAll: [string, number] | undefined;
  for (const [name, route] of routes) {
    const at = (field: string) => `services.${name}.route${field}`;
    const fail = (field: string, value: unknown, expected: string): never => {
      throw new ConfigFileError(`${source}: ${at(field)} = ${shown(value)}: expected ${expected}`);
    };
    if (!PATH_PATTERN.test(route.path)) {
      fail(
        '.path',
        route.path,
        "an ALB path pattern starting with / (letters, digits, _-.$/~\"'@:+&, * and ?), at most 128, e.g. '/api/*'",
      );
    }
    if (route.host !== undefined && !HOST_PATTERN.test(route.host)) {
      fail(
        '.host',
        route.host,
        "a lower-case host name (wildcards * and ? allowed), e.g. 'admin.example.org'",
      );
    }
    if (!Number.isInteger(route.priority) || route.priority < 1 || route.priority > MAX_RULE_PRIORITY) {
      fail(
        '.priority',
        route.priority,
        `an integer from 1 to ${MAX_RULE_PRIORITY} (lower is evaluated first)`,
      );
    }
    const key = `${route.host ?? '*'} ${route.path}`;
    const same = seen.get(key);
    if (same !== undefined) {
      if (route.path === CATCH_ALL_PATH && route.host === undefined) {
        throw new ConfigFileError(
          `${source}: ${at('')}: ${same} and ${name} are both the catch-all (path '/*', no host): give ${name} a route.path such as '/api/*' or a route.host`,
        );
      }
      fail('', { path: route.path, host: route.host }, `a route no other service has (${same} has it)`);
    }
    seen.set(key, name);
    const taken = byPriority.get(route.priority);
    if (taken !== undefined) {
      fail(
        '.priority',
        route.priority,
        `a priority no other web service has (${taken} has ${route.priority})`,
      );
    }
    byPriority.set(route.priority, name);
    if (route.path === CATCH_ALL_PATH && route.host === undefined) catchAll = [name, route.priority];
  }
  if (catchAll !== undefined) {
    const [catchAllName, catchAllPriority] = catchAll;
    for (const [name, route] of routes) {
      if (name !== catchAllName && route.priority > catchAllPriority) {
        throw new ConfigFileError(
          `${source}: services.${catchAllName}.route.priority = ${catchAllPriority}: expected more than ${name}'s ${route.priority}: the catch-all would take ${name}'s requests (or leave priority unset)`,
        );
      }
    }
  }
}

/** `{ ssm }` or `{ secretsManager, key? }`, without undefined fields. */
export function secretReference(reference: SecretReference): SecretReferenceConfig {
  if ('ssm' in reference && reference.ssm !== undefined) return { ssm: reference.ssm };
  const { secretsManager, key } = reference as { secretsManager: string; key?: string };
  return key === undefined ? { secretsManager } : { secretsManager, key };
}
