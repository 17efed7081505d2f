/**
 * The shape of `berth.config.ts`, checked before anything is resolved: unknown keys, missing required
 * fields and wrong types are errors that name the field's path (a typo must never silently mean "default").
 * The value rules (ranges, formats, prod's safety floor) are validate.ts's, checked on the resolved config.
 */
import type {
  BerthConfig,
  EnvironmentDefinition,
  ServiceCommon,
  ServiceSizing,
  WebServiceDefinition,
  WorkerServiceDefinition,
  WorkerSizing,
} from './schema.js';

type Spec =
  | { readonly kind: 'string' | 'number' | 'boolean' | 'strings' }
  | { readonly kind: 'object'; readonly fields: Fields; readonly required?: readonly string[] }
  | { readonly kind: 'record'; readonly of: Spec }
  /** One of several object shapes, chosen by the string in field `on` (`type: 'web' | 'worker'`). */
  | { readonly kind: 'union'; readonly on: string; readonly variants: Readonly<Record<string, Spec>> };
/**
 * The shape a field would have in another variant of a union (a web service's, when checking a worker), so a
 * field of the wrong variant is named as such rather than as a typo.
 */
interface OtherVariant {
  readonly spec: Spec | undefined;
  /** What the field's `on` value must be for it to be allowed, e.g. `web`. */
  readonly label: string;
  /** What the checked value's `on` value is, e.g. `worker`. */
  readonly actual: string;
}
type Fields = Readonly<Record<string, Spec>>;
/** Every key of T must have a spec, so the shape check cannot fall behind the types. */
type FieldsOf<T> = { readonly [K in keyof Required<T>]: Spec };

/** A mistake in the file: one line naming the field path and the fix. */
export class ConfigFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigFileError';
  }
}

const str: Spec = { kind: 'string' };
const num: Spec = { kind: 'number' };
const bool: Spec = { kind: 'boolean' };
const strings: Spec = { kind: 'strings' };
const object = (fields: Fields, required: readonly string[] = []): Spec => ({
  kind: 'object',
  fields,
  required,
});

const SIZING: FieldsOf<ServiceSizing> = {
  cpu: num,
  memoryMiB: num,
  scaling: object({
    minTasks: num,
    maxTasks: num,
    cpuPercent: num,
    memoryPercent: num,
    requestsPerTarget: num,
  }),
  deployment: object({
    strategy: str,
    minHealthyPercent: num,
    maxPercent: num,
    bakeTimeMinutes: num,
    canaryPercent: num,
  }),
  drainSeconds: num,
  deregistrationDelaySeconds: num,
  stopTimeoutSeconds: num,
  healthCheckGracePeriodSeconds: num,
};

const WORKER_SIZING: FieldsOf<WorkerSizing> = {
  cpu: num,
  memoryMiB: num,
  stopTimeoutSeconds: num,
  scaling: object({ minTasks: num, maxTasks: num, cpuPercent: num, messagesPerTask: num }),
  deployment: object({ minHealthyPercent: num, maxPercent: num }),
};

const COMMON: FieldsOf<ServiceCommon> = {
  build: object({
    dockerfile: str,
    context: str,
    target: str,
    args: { kind: 'record', of: str },
    repository: str,
  }),
  // Which of build / image is given is services.ts's to check (one, or neither for the default build).
  image: str,
  command: strings,
  environment: { kind: 'record', of: str },
  // Which of ssm / secretsManager is given, and key only with secretsManager, is resolve.ts's to check.
  secrets: { kind: 'record', of: object({ ssm: str, secretsManager: str, key: str }) },
  database: bool,
  release: object({ command: strings, cpu: num, memoryMiB: num }, ['command']),
  dev: object({ command: strings, cwd: str }, ['command']),
  sendsTo: strings,
};
const WEB: FieldsOf<WebServiceDefinition> = {
  ...SIZING,
  ...COMMON,
  type: str,
  port: num,
  healthCheck: object({
    path: str,
    intervalSeconds: num,
    timeoutSeconds: num,
    healthyThreshold: num,
    unhealthyThreshold: num,
  }),
  route: object({ path: str, host: str, priority: num }),
};
const WORKER: FieldsOf<WorkerServiceDefinition> = {
  ...WORKER_SIZING,
  ...COMMON,
  type: str,
  queue: object({
    visibilityTimeoutSeconds: num,
    retentionDays: num,
    maxReceiveCount: num,
    maxMessageAgeMinutes: num,
  }),
};
const WEB_SPEC = object(WEB, ['type', 'port']);
const WORKER_SPEC = object(WORKER, ['type']);
const SERVICE: Spec = { kind: 'union', on: 'type', variants: { web: WEB_SPEC, worker: WORKER_SPEC } };

const ENVIRONMENT: FieldsOf<EnvironmentDefinition> = {
  account: str,
  regions: strings,
  bootstrapQualifier: str,
  network: object({ cidr: str, natGateways: num, vpcEndpoints: bool }),
  cluster: object({
    instanceType: str,
    architecture: str,
    amiSource: str,
    minInstances: num,
    maxInstances: num,
    targetCapacityPercent: num,
    rootVolumeGiB: num,
  }),
  database: object({
    instanceClass: str,
    allocatedStorageGiB: num,
    maxAllocatedStorageGiB: num,
    multiAz: bool,
    deletionProtection: bool,
    backupRetentionDays: num,
  }),
  domain: object(
    { name: str, hostedZone: object({ id: str, name: str }, ['id', 'name']), certificateArn: str },
    ['name', 'hostedZone'],
  ),
  waf: object({ enabled: bool, mode: str, ratePerFiveMinutes: num, logRetentionDays: num }),
  tracing: object({ enabled: bool, sampleRatio: num }),
  exec: object({ enabled: bool }),
  alarms: object({ email: str, waiveSubscriber: str }),
  logRetentionDays: num,
  // Web or worker sizing: which one the named service takes is services.ts's to check (checkWorkerOverride).
  services: {
    kind: 'record',
    of: object({
      ...SIZING,
      scaling: object({ ...(SIZING.scaling as { fields: Fields }).fields, messagesPerTask: num }),
    }),
  },
};

const CONFIG: FieldsOf<BerthConfig> = {
  app: str,
  github: object({ repository: str, prodEnvironment: str }, ['repository']),
  global: object({ account: str, region: str, oidcProviderArn: str }, ['account', 'region']),
  services: { kind: 'record', of: SERVICE },
  environments: object(
    {
      test: object(ENVIRONMENT, ['account', 'regions']),
      prod: object(ENVIRONMENT, ['account', 'regions']),
    },
    ['test', 'prod'],
  ),
};

const EXPECTED: Record<'string' | 'number' | 'boolean' | 'strings', string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  strings: 'a list of strings',
};

/** `= "value"` for an error line, cut short so a large object stays one readable line. */
export function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function check(value: unknown, spec: Spec, path: string, source: string, other?: OtherVariant): void {
  const fail = (expected: string): never => {
    throw new ConfigFileError(`${source}: ${path} = ${shown(value)}: expected ${expected}`);
  };
  switch (spec.kind) {
    case 'union': {
      if (!isObject(value)) fail(`an object with ${spec.on}: ${Object.keys(spec.variants).join(' or ')}`);
      const names = Object.keys(spec.variants);
      const chosen = (value as Record<string, unknown>)[spec.on];
      if (chosen === undefined) {
        throw new ConfigFileError(
          `${source}: ${join(path, spec.on)} is missing: add ${spec.on}: ${names.map((n) => `'${n}'`).join(' or ')}`,
        );
      }
      const variant = typeof chosen === 'string' ? spec.variants[chosen] : undefined;
      if (variant === undefined) {
        throw new ConfigFileError(
          `${source}: ${join(path, spec.on)} = ${shown(chosen)}: expected ${names.map((n) => `'${n}'`).join(' or ')}`,
        );
      }
      // Two variants: a field of the other one is named as such.
      const otherName = names.find((n) => n !== chosen);
      const alternative =
        otherName === undefined
          ? undefined
          : { spec: spec.variants[otherName], label: otherName, actual: chosen as string };
      check(value, variant, path, source, alternative);
      return;
    }
    case 'string':
      if (typeof value !== 'string') fail(EXPECTED.string);
      return;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) fail(EXPECTED.number);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail(EXPECTED.boolean);
      return;
    case 'strings':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) fail(EXPECTED.strings);
      return;
    case 'record':
      if (!isObject(value)) fail('an object of named entries');
      for (const [key, entry] of Object.entries(value as object))
        check(entry, spec.of, `${path}.${key}`, source, other && { ...other, spec: recordOf(other.spec) });
      return;
    case 'object': {
      if (!isObject(value)) fail(`an object with ${Object.keys(spec.fields).join(', ')}`);
      const record = value as Record<string, unknown>;
      for (const key of spec.required ?? []) {
        if (record[key] === undefined) {
          throw new ConfigFileError(
            `${source}: ${join(path, key)} is missing: add it (see docs/config-reference.md)`,
          );
        }
      }
      for (const [key, entry] of Object.entries(record)) {
        const field = spec.fields[key];
        const elsewhere = other?.spec?.kind === 'object' ? other.spec.fields[key] : undefined;
        if (field === undefined && other !== undefined && elsewhere !== undefined) {
          throw new ConfigFileError(
            `${source}: ${join(path, key)}: only ${other.label} services have ${key} (this one is a ${other.actual}); remove it`,
          );
        }
        if (field === undefined) {
          throw new ConfigFileError(
            `${source}: ${join(path, key)}: unknown field; expected one of ${Object.keys(spec.fields).join(', ')}`,
          );
        }
        if (entry !== undefined)
          check(entry, field, join(path, key), source, other && { ...other, spec: elsewhere });
      }
      return;
    }
  }
}

const recordOf = (spec: Spec | undefined): Spec | undefined =>
  spec?.kind === 'record' ? spec.of : undefined;

const join = (path: string, key: string) => (path === '' ? key : `${path}.${key}`);

/** Throws a ConfigFileError at the first field whose key or type is wrong; otherwise the input is a BerthConfig. */
export function checkShape(input: unknown, source: string): asserts input is BerthConfig {
  if (!isObject(input)) {
    throw new ConfigFileError(
      `${source}: the default export must be defineConfig({ ... }), got ${shown(input)}`,
    );
  }
  check(input, object(CONFIG, ['app', 'github', 'services', 'environments']), '', source);
}

/**
 * Checks an environment's override of a worker (`environments.<env>.services.<worker>`): only the worker's
 * sizing fields, and a web-only field is named as such.
 */
export function checkWorkerOverride(input: unknown, path: string, source: string): void {
  check(input, object(WORKER_SIZING), path, source, { spec: object(SIZING), label: 'web', actual: 'worker' });
}
