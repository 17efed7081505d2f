import {
  AVAILABILITY_ZONES,
  ENV_NAMES,
  type EnvironmentConfig,
  type EnvName,
  type GlobalConfig,
  REGIONS,
  type ReleaseConfig,
  type ServiceConfig,
  type WorkerServiceConfig,
} from './environments.js';
import {
  INSTANCE_SIZES,
  instancesToHold,
  peakTasksDuringDeployment,
  tasksPerInstance,
} from './instance-capacity.js';

/** A configuration mistake, worded so the reader knows which field to change and to what. */
export class ConfigError extends Error {
  constructor(
    /** The field's path in the resolved config, e.g. `prod.services.web.minTasks`. */
    readonly field: string,
    readonly value: unknown,
    /** What would be accepted, worded as the fix. */
    readonly expected: string,
  ) {
    super(`config ${field} = ${JSON.stringify(value)}: expected ${expected}`);
    this.name = 'ConfigError';
  }
}

export function isEnvName(name: string): name is EnvName {
  return (ENV_NAMES as readonly string[]).includes(name);
}

/** Looks an environment up by name in a resolved config; the error lists the known names. */
export function getEnvironment(
  environments: Readonly<Record<EnvName, EnvironmentConfig>>,
  name: string,
): EnvironmentConfig {
  if (!isEnvName(name)) {
    throw new ConfigError('environment', name, `one of ${ENV_NAMES.join(', ')}`);
  }
  return validateEnvironment(environments[name]);
}

const CIDR16 = /^(\d{1,3})\.(\d{1,3})\.0\.0\/16$/;

function check(ok: boolean, field: string, value: unknown, expected: string): void {
  if (!ok) throw new ConfigError(field, value, expected);
}

function between(field: string, value: number, min: number, max: number): void {
  check(
    Number.isInteger(value) && value >= min && value <= max,
    field,
    value,
    `an integer from ${min} to ${max}`,
  );
}

/** Lower-case DNS labels of 1-63 letters, digits or inner hyphens, at least two of them, at most 253 characters. */
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** Route 53 hosted zone ids are upper-case letters and digits starting with Z (e.g. Z0123456789ABCDEFGHIJ). */
const HOSTED_ZONE_ID = /^Z[A-Z0-9]{1,31}$/;
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate\/[\w-]+$/;

function validateDomain(cfg: EnvironmentConfig): void {
  const domain = cfg.domain;
  if (domain === undefined) return;
  const at = (field: string) => `${cfg.name}.domain.${field}`;
  const zone = domain.hostedZone;
  check(
    DNS_NAME.test(domain.name),
    at('name'),
    domain.name,
    'a lower-case domain name such as shop.example.org',
  );
  check(
    HOSTED_ZONE_ID.test(zone.id),
    at('hostedZone.id'),
    zone.id,
    'a Route 53 zone id such as Z0123456789ABCDEFGHIJ',
  );
  check(
    DNS_NAME.test(zone.name),
    at('hostedZone.name'),
    zone.name,
    "the zone's lower-case name such as example.org",
  );
  check(
    domain.name === zone.name || domain.name.endsWith(`.${zone.name}`),
    at('name'),
    domain.name,
    `${zone.name} or a name ending in .${zone.name} (the zone in domain.hostedZone.name)`,
  );
  // Each regional Service stack would create the same record: the second deploy fails on a record that exists.
  check(
    cfg.regions.length === 1,
    at('name'),
    domain.name,
    `an environment in one region (it has ${cfg.regions.length}; one name cannot alias several load balancers yet)`,
  );
  if (domain.certificateArn !== undefined) {
    const region = CERTIFICATE_ARN.exec(domain.certificateArn)?.[1];
    check(
      region !== undefined && region === cfg.regions[0],
      at('certificateArn'),
      domain.certificateArn,
      `an ACM certificate ARN in ${cfg.regions[0]} (a load balancer only uses certificates of its own region), or no certificateArn to have one created`,
    );
  }
}

function validateAlarms(cfg: EnvironmentConfig): void {
  const at = (field: string) => `${cfg.name}.alarms.${field}`;
  const { email, waiveSubscriber } = cfg.alarms ?? {};
  if (email !== undefined) {
    check(/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email), at('email'), email, 'an e-mail address');
    check(
      waiveSubscriber === undefined,
      at('waiveSubscriber'),
      waiveSubscriber,
      'no waiver when alarms.email is set (remove it)',
    );
  }
  if (waiveSubscriber !== undefined) {
    check(
      waiveSubscriber.trim().length >= 10,
      at('waiveSubscriber'),
      waiveSubscriber,
      'a reason (10+ characters)',
    );
  }
  if (cfg.name === 'prod') {
    check(
      email !== undefined || waiveSubscriber !== undefined,
      at('email'),
      email,
      "an on-call address, or alarms.waiveSubscriber: '<reason>' to deploy prod with alarms that notify nobody",
    );
  }
}

/** Values CloudWatch Logs accepts as a retention (PutRetentionPolicy `retentionInDays`). */
const WAF_LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

function validateWaf(cfg: EnvironmentConfig): void {
  const at = (field: string) => `${cfg.name}.waf.${field}`;
  const { enabled, mode, ratePerFiveMinutes, logRetentionDays } = cfg.waf;
  check(typeof enabled === 'boolean', at('enabled'), enabled, 'true or false');
  check(mode === 'count' || mode === 'block', at('mode'), mode, "'count' (try the rules) or 'block'");
  // AWS WAF Developer Guide, "Rate-based rule high-level settings": the lowest rate limit allowed is 10;
  // API Reference, RateBasedStatement `Limit`: valid range 10 to 2,000,000,000.
  between(at('ratePerFiveMinutes'), ratePerFiveMinutes, 10, 2_000_000_000);
  if (logRetentionDays !== undefined) {
    check(
      WAF_LOG_RETENTION_DAYS.includes(logRetentionDays),
      at('logRetentionDays'),
      logRetentionDays,
      'a CloudWatch Logs retention such as 7, 14, 30, 90 or 365',
    );
  }
}

/**
 * Warnings `berth plan` shows loudly: alarms that page nobody. Empty when an address is configured.
 */
export function alarmWarnings(cfg: EnvironmentConfig): string[] {
  const { email, waiveSubscriber } = cfg.alarms ?? {};
  if (email !== undefined) return [];
  const base = `${cfg.name}: alarms notify nobody (no alarms.email)`;
  return [waiveSubscriber === undefined ? base : `${base}; waived: ${waiveSubscriber}`];
}

/**
 * The cluster at its maximum size must hold every task that runs at once when every service deploys at its
 * maxTasks: each service's peak (instance-capacity.ts), packed onto instances first-fit by size.
 */
function validateCapacity(cfg: EnvironmentConfig): void {
  const { instanceType, maxInstances } = cfg.cluster;
  const size = INSTANCE_SIZES[instanceType];
  check(
    size !== undefined,
    `${cfg.name}.cluster.instanceType`,
    instanceType,
    `one of the instance types Berth knows the size of: ${Object.keys(INSTANCE_SIZES).join(', ')}`,
  );
  const peaks = cfg.services.map((s) => {
    check(
      tasksPerInstance(size!, s) >= 1,
      `${cfg.name}.services.${s.name}.memoryMiB`,
      s.memoryMiB,
      `a task (${s.cpu} CPU units, ${s.memoryMiB} MiB) that fits on one ${instanceType}`,
    );
    const strategy = s.kind === 'web' ? s.deployment.strategy : 'rolling';
    const tasks = peakTasksDuringDeployment({ strategy, maxPercent: s.deployment.maxPercent }, s.maxTasks);
    return {
      name: s.name,
      strategy,
      maxTasks: s.maxTasks,
      tasks,
      task: { cpu: s.cpu, memoryMiB: s.memoryMiB },
    };
  });
  const needed = instancesToHold(size!, peaks);
  const runs = peaks.map((p) => `${p.name} ${p.tasks} (${p.strategy} at maxTasks ${p.maxTasks})`).join(', ');
  check(
    maxInstances >= needed,
    `${cfg.name}.cluster.maxInstances`,
    maxInstances,
    `>= ${needed}: a deployment of every service at its maxTasks runs ${runs} tasks, which take ${needed} ${instanceType} (raise maxInstances, or lower maxTasks or the task sizes)`,
  );
}

const CPU_UNITS = [256, 512, 1024, 2048, 4096];

/** A web service's sizing; `at` turns a field into its resolved-config path. */
function validateWebService(env: EnvName, s: ServiceConfig, at: (field: string) => string): void {
  between(at('containerPort'), s.containerPort, 1, 65535);
  check(CPU_UNITS.includes(s.cpu), at('cpu'), s.cpu, 'one of 256, 512, 1024, 2048, 4096 CPU units');
  between(at('memoryMiB'), s.memoryMiB, 128, 30720);
  between(at('minTasks'), s.minTasks, env === 'prod' ? 2 : 1, 100);
  between(at('maxTasks'), s.maxTasks, 1, 100);
  check(s.minTasks <= s.maxTasks, at('minTasks'), s.minTasks, `<= service.maxTasks (${s.maxTasks})`);
  const hc = s.healthCheck;
  check(hc.path.startsWith('/'), at('healthCheck.path'), hc.path, 'a path starting with /');
  between(at('healthCheck.intervalSeconds'), hc.intervalSeconds, 5, 300);
  between(at('healthCheck.timeoutSeconds'), hc.timeoutSeconds, 2, 120);
  check(
    hc.timeoutSeconds < hc.intervalSeconds,
    at('healthCheck.timeoutSeconds'),
    hc.timeoutSeconds,
    `< intervalSeconds (${hc.intervalSeconds})`,
  );
  between(at('healthCheck.healthyThreshold'), hc.healthyThreshold, 2, 10);
  between(at('healthCheck.unhealthyThreshold'), hc.unhealthyThreshold, 2, 10);
  between(at('drainSeconds'), s.drainSeconds, 0, 25);
  between(at('deregistrationDelaySeconds'), s.deregistrationDelaySeconds, 0, 3600);
  check(
    s.deregistrationDelaySeconds <= s.drainSeconds,
    at('deregistrationDelaySeconds'),
    s.deregistrationDelaySeconds,
    `<= service.drainSeconds (${s.drainSeconds}) so the target is gone before the task stops serving`,
  );
  between(at('stopTimeoutSeconds'), s.stopTimeoutSeconds, 2, 30);
  check(
    s.drainSeconds < s.stopTimeoutSeconds,
    at('drainSeconds'),
    s.drainSeconds,
    `< service.stopTimeoutSeconds (${s.stopTimeoutSeconds}) so shutdown ends before SIGKILL`,
  );
  between(at('healthCheckGracePeriodSeconds'), s.healthCheckGracePeriodSeconds, 0, 2_147_483_647);
  const d = s.deployment;
  check(
    ['rolling', 'blue-green', 'canary'].includes(d.strategy),
    at('deployment.strategy'),
    d.strategy,
    'rolling, blue-green or canary',
  );
  between(at('deployment.minHealthyPercent'), d.minHealthyPercent, 0, 100);
  between(at('deployment.maxPercent'), d.maxPercent, 100, 200);
  between(at('deployment.bakeTimeMinutes'), d.bakeTimeMinutes, 0, 1440);
  between(at('deployment.canaryPercent'), d.canaryPercent, 1, 99);
  between(at('scaling.cpuPercent'), s.scaling.cpuPercent, 10, 95);
  between(at('scaling.memoryPercent'), s.scaling.memoryPercent, 10, 95);
  between(at('scaling.requestsPerTarget'), s.scaling.requestsPerTarget, 1, 100_000);
}

function validateWorker(s: WorkerServiceConfig, at: (field: string) => string): void {
  check(CPU_UNITS.includes(s.cpu), at('cpu'), s.cpu, 'one of 256, 512, 1024, 2048, 4096 CPU units');
  between(at('memoryMiB'), s.memoryMiB, 128, 30720);
  between(at('minTasks'), s.minTasks, 0, 100);
  between(at('maxTasks'), s.maxTasks, 1, 100);
  check(s.minTasks <= s.maxTasks, at('minTasks'), s.minTasks, `<= maxTasks (${s.maxTasks})`);
  // ECS on EC2 allows up to 120 s between SIGTERM and SIGKILL (Task definition parameters, "stopTimeout").
  between(at('stopTimeoutSeconds'), s.stopTimeoutSeconds, 2, 120);
  between(at('scaling.cpuPercent'), s.scaling.cpuPercent, 10, 95);
  between(at('deployment.minHealthyPercent'), s.deployment.minHealthyPercent, 0, 100);
  between(at('deployment.maxPercent'), s.deployment.maxPercent, 100, 200);
  if (s.queue) validateQueue(s, at);
}

/** SQS's limits (SQS API Reference, SetQueueAttributes and RedrivePolicy). */
function validateQueue(s: WorkerServiceConfig, at: (field: string) => string): void {
  const q = s.queue!;
  between(at('scaling.messagesPerTask'), s.scaling.messagesPerTask, 1, 100_000);
  // VisibilityTimeout: 0 to 43,200 seconds (12 hours).
  between(at('queue.visibilityTimeoutSeconds'), q.visibilityTimeoutSeconds, 0, 43_200);
  // MessageRetentionPeriod: 60 seconds to 1,209,600 (14 days); Berth takes whole days.
  between(at('queue.retentionDays'), q.retentionDays, 1, 14);
  // RedrivePolicy maxReceiveCount: 1 to 1,000.
  between(at('queue.maxReceiveCount'), q.maxReceiveCount, 1, 1000);
  // SQS deletes a message at the end of its retention: an age threshold beyond it never fires.
  between(at('queue.maxMessageAgeMinutes'), q.maxMessageAgeMinutes, 1, 20_160);
  check(
    q.maxMessageAgeMinutes < q.retentionDays * 1440,
    at('queue.maxMessageAgeMinutes'),
    q.maxMessageAgeMinutes,
    `fewer minutes than queue.retentionDays (${q.retentionDays} days = ${q.retentionDays * 1440} minutes): SQS deletes older messages`,
  );
}

function validateRelease(r: ReleaseConfig, at: (field: string) => string): void {
  check(CPU_UNITS.includes(r.cpu), at('release.cpu'), r.cpu, 'one of 256, 512, 1024, 2048, 4096 CPU units');
  between(at('release.memoryMiB'), r.memoryMiB, 128, 30720);
}

/** Returns the config unchanged, or throws a ConfigError naming the first bad field. */
export function validateEnvironment(cfg: EnvironmentConfig): EnvironmentConfig {
  const at = (field: string) => `${cfg.name}.${field}`;
  check(
    Number.isFinite(cfg.tracing.sampleRatio) && cfg.tracing.sampleRatio >= 0 && cfg.tracing.sampleRatio <= 1,
    at('tracing.sampleRatio'),
    cfg.tracing.sampleRatio,
    'a share of traces from 0 to 1, e.g. 0.05',
  );
  check(/^\d{12}$/.test(cfg.account), at('account'), cfg.account, 'a 12-digit AWS account id');
  check(
    /^[a-z0-9]{1,10}$/.test(cfg.bootstrapQualifier),
    at('bootstrapQualifier'),
    cfg.bootstrapQualifier,
    'up to 10 lower-case letters and digits, e.g. berthtest (a CDK bootstrap qualifier)',
  );
  check(cfg.regions.length > 0, at('regions'), cfg.regions, 'at least one region');
  for (const region of cfg.regions) {
    check(
      (REGIONS as readonly string[]).includes(region),
      at('regions'),
      region,
      `one of ${REGIONS.join(', ')}`,
    );
    check(
      AVAILABILITY_ZONES[region] !== undefined,
      at('regions'),
      region,
      'a region with fixed availability zones',
    );
  }
  check(new Set(cfg.regions).size === cfg.regions.length, at('regions'), cfg.regions, 'no duplicate regions');

  const cidr = CIDR16.exec(cfg.network.cidr);
  check(
    cidr !== null && Number(cidr[1]) <= 255 && Number(cidr[2]) <= 255,
    at('network.cidr'),
    cfg.network.cidr,
    'a /16 such as 10.0.0.0/16',
  );
  check(
    [1, 2].includes(cfg.network.natGateways),
    at('network.natGateways'),
    cfg.network.natGateways,
    '1 or 2',
  );

  const c = cfg.cluster;
  check(
    /^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(c.instanceType),
    at('cluster.instanceType'),
    c.instanceType,
    'an EC2 instance type such as t3.small',
  );
  between(at('cluster.minInstances'), c.minInstances, 0, 100);
  between(at('cluster.maxInstances'), c.maxInstances, 1, 100);
  check(
    c.minInstances <= c.maxInstances,
    at('cluster.minInstances'),
    c.minInstances,
    `<= cluster.maxInstances (${c.maxInstances})`,
  );
  between(at('cluster.targetCapacityPercent'), c.targetCapacityPercent, 1, 100);
  between(at('cluster.rootVolumeGiB'), c.rootVolumeGiB, 30, 1000);

  for (const service of cfg.services) {
    const path = (field: string) => at(`services.${service.name}.${field}`);
    if (service.kind === 'web') validateWebService(cfg.name, service, path);
    else validateWorker(service, path);
    if (service.release) validateRelease(service.release, path);
  }

  const db = cfg.database;
  check(
    /^[a-z][a-z0-9]*\.[a-z0-9]+$/.test(db.instanceClass),
    at('database.instanceClass'),
    db.instanceClass,
    'an RDS class without the db. prefix, such as t4g.micro',
  );
  between(at('database.allocatedStorageGiB'), db.allocatedStorageGiB, 20, 65536);
  check(
    db.maxAllocatedStorageGiB >= db.allocatedStorageGiB,
    at('database.maxAllocatedStorageGiB'),
    db.maxAllocatedStorageGiB,
    `>= database.allocatedStorageGiB (${db.allocatedStorageGiB})`,
  );
  between(at('database.backupRetentionDays'), db.backupRetentionDays, 1, 35);
  if (cfg.name === 'prod') {
    check(db.multiAz, at('database.multiAz'), db.multiAz, 'true in prod');
    check(db.deletionProtection, at('database.deletionProtection'), db.deletionProtection, 'true in prod');
  }
  validateDomain(cfg);
  validateAlarms(cfg);
  validateCapacity(cfg);
  validateWaf(cfg);
  // A missing block would silently mean "off"; say which value to write instead.
  check(typeof cfg.exec?.enabled === 'boolean', at('exec.enabled'), cfg.exec?.enabled, 'true or false');
  check(
    [
      1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
    ].includes(cfg.logRetentionDays),
    at('logRetentionDays'),
    cfg.logRetentionDays,
    'a CloudWatch Logs retention such as 7, 14, 30, 90 or 365',
  );
  return cfg;
}

/** The GitHub OIDC provider ARN IAM prints for the GitHub Actions URL (`aws iam list-open-id-connect-providers`). */
const GITHUB_PROVIDER_ARN =
  /^arn:aws[a-z-]*:iam::(\d{12}):oidc-provider\/token\.actions\.githubusercontent\.com$/;

/**
 * The image is built once, for test's cluster, and promoted to prod by digest: a single-platform image only
 * runs where the architecture matches, so every environment must share test's.
 */
export function validatePromotion(environments: Readonly<Record<EnvName, EnvironmentConfig>>): void {
  const built = environments.test.cluster.architecture;
  for (const config of Object.values(environments)) {
    check(
      config.cluster.architecture === built,
      `${config.name}.cluster.architecture`,
      config.cluster.architecture,
      `${built}, as test.cluster.architecture: the image built for test is promoted by digest (change both together)`,
    );
  }
}

/** Returns the account-wide config unchanged, or throws a ConfigError naming the first bad field. */
export function validateGlobal(global: GlobalConfig): GlobalConfig {
  check(/^\d{12}$/.test(global.account), 'global.account', global.account, 'a 12-digit AWS account id');
  check(
    /^[\w.-]+\/[\w.-]+$/.test(global.githubRepository),
    'global.githubRepository',
    global.githubRepository,
    'owner/name of your GitHub repository, e.g. acme/shop',
  );
  check(
    /^[\w.-]+$/.test(global.githubProdEnvironment),
    'global.githubProdEnvironment',
    global.githubProdEnvironment,
    'the name of a GitHub environment, e.g. prod',
  );
  check(
    (REGIONS as readonly string[]).includes(global.primaryRegion),
    'global.primaryRegion',
    global.primaryRegion,
    `one of ${REGIONS.join(', ')}`,
  );
  if (global.githubOidcProviderArn !== undefined) {
    const match = GITHUB_PROVIDER_ARN.exec(global.githubOidcProviderArn);
    check(
      match !== null,
      'global.githubOidcProviderArn',
      global.githubOidcProviderArn,
      'arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com (see `aws iam list-open-id-connect-providers`)',
    );
    check(
      match?.[1] === global.account,
      'global.githubOidcProviderArn',
      global.githubOidcProviderArn,
      `a provider in global.account (${global.account})`,
    );
  }
  return global;
}

/**
 * Account layouts that let the test CI role reach prod. Not errors (the config still synthesizes), but
 * `berth plan` shows them: in a shared account, only distinct bootstrap qualifiers — each bootstrapped
 * with its restricted execution policy — keep test's deploy role away from prod's stacks.
 */
export function accountLayoutWarnings(environments: Readonly<Record<EnvName, EnvironmentConfig>>): string[] {
  const { test, prod } = environments;
  if (test.account !== prod.account) return [];
  if (test.bootstrapQualifier !== prod.bootstrapQualifier) return [];
  return [
    `test and prod share account ${test.account} and bootstrap qualifier "${test.bootstrapQualifier}": ` +
      "test's CI role could deploy prod. Give each its own environments.<env>.bootstrapQualifier in berth.config.ts " +
      '(e.g. berthtest, berthprod) and bootstrap each as docs/deploy.md shows, or use separate accounts',
  ];
}
