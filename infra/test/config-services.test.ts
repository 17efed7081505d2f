/**
 * Several services in `berth.config.ts` (#13 item 2): what they resolve to per environment and for local runs,
 * and the one-line errors that name the field the user wrote. Expectations are literals.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { WebServiceConfig, WorkerServiceConfig } from '../config/environments.js';
import { resolveConfig } from '../config/resolve.js';
import type { BerthConfig } from '../config/schema.js';
import { logStreamName, pascalCase, serviceOutputs } from '../lib/naming.js';
import { rejectsConfig, withPaths } from './support/config-edit.js';

/** A shop with an API, an admin site on its own host and a worker; values distinct so swaps show. */
const SHOP = {
  app: 'shop',
  github: { repository: 'acme/shop' },
  services: {
    api: {
      type: 'web',
      port: 8000,
      healthCheck: { path: '/health' },
      release: { command: ['python', 'manage.py', 'migrate'], memoryMiB: 768 },
      environment: { SHOP_MODE: 'api' },
      secrets: {
        STRIPE_KEY: { ssm: '/shop/stripe-key' },
        SIGNING_KEY: { secretsManager: 'shop/signing', key: 'current' },
      },
    },
    admin: {
      type: 'web',
      port: 8100,
      route: { path: '/admin/*', host: 'admin.shop.example' },
      command: ['python', 'admin.py'],
      database: false,
    },
    jobs: {
      type: 'worker',
      command: ['python', 'jobs.py'],
      cpu: 1024,
      stopTimeoutSeconds: 90,
      scaling: { maxTasks: 6 },
      dev: { command: ['python', 'jobs.py', '--reload'], cwd: 'backend' },
    },
  },
  environments: {
    test: {
      account: '111111111111',
      regions: ['eu-west-1'],
      cluster: { instanceType: 't3.xlarge', maxInstances: 10 },
      services: { jobs: { memoryMiB: 1536 } },
    },
    prod: {
      account: '222222222222',
      regions: ['eu-west-2'],
      alarms: { email: 'oncall@acme.example' },
      cluster: { instanceType: 'm6i.2xlarge', maxInstances: 10 },
      services: { api: { cpu: 1024 }, jobs: { scaling: { minTasks: 3 } } },
    },
  },
} as const satisfies BerthConfig;

/** A deep copy of SHOP with dotted paths set (undefined deletes). */
const shop = (changes: Record<string, unknown> = {}) => withPaths(SHOP, changes);

describe('several services resolve per environment, in config order', () => {
  const config = resolveConfig(SHOP);
  const byName = (env: 'test' | 'prod', name: string) =>
    config.environments[env].services.find((s) => s.name === name)!;

  test('names and kinds in the order of `services`', () => {
    assert.deepEqual(
      config.environments.test.services.map((s) => [s.name, s.kind]),
      [
        ['api', 'web'],
        ['admin', 'web'],
        ['jobs', 'worker'],
      ],
    );
  });

  test('routes: the catch-all last (50000), the others 10, 20, … in order', () => {
    const api = byName('test', 'api') as WebServiceConfig;
    const admin = byName('test', 'admin') as WebServiceConfig;
    assert.deepEqual(api.route, { path: '/*', priority: 50000 });
    assert.deepEqual(admin.route, { path: '/admin/*', host: 'admin.shop.example', priority: 10 });
  });

  test('settings, secrets, database and command', () => {
    const api = byName('prod', 'api');
    assert.deepEqual(api.environment, { SHOP_MODE: 'api' });
    assert.deepEqual(api.secrets, {
      STRIPE_KEY: { ssm: '/shop/stripe-key' },
      SIGNING_KEY: { secretsManager: 'shop/signing', key: 'current' },
    });
    assert.equal(api.database, true);
    assert.equal(api.command, undefined);
    const admin = byName('prod', 'admin');
    assert.equal(admin.database, false);
    assert.deepEqual(admin.command, ['python', 'admin.py']);
    assert.deepEqual(admin.secrets, {});
  });

  test('per-environment overrides: prod api cpu 1024, test 256 (default)', () => {
    assert.equal(byName('prod', 'api').cpu, 1024);
    assert.equal(byName('test', 'api').cpu, 256);
  });

  test('the release task takes the service size unless it states its own', () => {
    assert.deepEqual(byName('prod', 'api').release, {
      command: ['python', 'manage.py', 'migrate'],
      cpu: 1024,
      memoryMiB: 768,
    });
    assert.deepEqual(byName('test', 'api').release, {
      command: ['python', 'manage.py', 'migrate'],
      cpu: 256,
      memoryMiB: 768,
    });
  });

  test('a worker: its own sizing, overrides and defaults', () => {
    const test = byName('test', 'jobs') as WorkerServiceConfig;
    assert.deepEqual(
      {
        kind: test.kind,
        cpu: test.cpu,
        memoryMiB: test.memoryMiB,
        minTasks: test.minTasks,
        maxTasks: test.maxTasks,
        stopTimeoutSeconds: test.stopTimeoutSeconds,
        scaling: test.scaling,
        deployment: test.deployment,
      },
      {
        kind: 'worker',
        cpu: 1024,
        memoryMiB: 1536,
        minTasks: 1,
        maxTasks: 6,
        stopTimeoutSeconds: 90,
        scaling: { cpuPercent: 60, messagesPerTask: 10 },
        deployment: { minHealthyPercent: 100, maxPercent: 200 },
      },
    );
    const prod = byName('prod', 'jobs') as WorkerServiceConfig;
    assert.equal(prod.memoryMiB, 1024);
    assert.equal(prod.minTasks, 3);
    assert.equal(prod.maxTasks, 6);
    assert.equal('containerPort' in prod, false);
  });

  test('ResolvedConfig.services: the environment-independent view for local runs', () => {
    assert.deepEqual(config.services, [
      {
        name: 'api',
        kind: 'web',
        image: { build: 'api' },
        port: 8000,
        healthCheckPath: '/health',
        route: { path: '/*', priority: 50000 },
        environment: { SHOP_MODE: 'api' },
        secrets: {
          STRIPE_KEY: { ssm: '/shop/stripe-key' },
          SIGNING_KEY: { secretsManager: 'shop/signing', key: 'current' },
        },
        database: true,
        release: { command: ['python', 'manage.py', 'migrate'], memoryMiB: 768 },
      },
      {
        name: 'admin',
        kind: 'web',
        image: { build: 'api' },
        port: 8100,
        healthCheckPath: '/',
        route: { path: '/admin/*', host: 'admin.shop.example', priority: 10 },
        command: ['python', 'admin.py'],
        environment: {},
        secrets: {},
        database: false,
      },
      {
        name: 'jobs',
        kind: 'worker',
        image: { build: 'api' },
        command: ['python', 'jobs.py'],
        environment: {},
        secrets: {},
        database: true,
        dev: { command: ['python', 'jobs.py', '--reload'], cwd: 'backend' },
      },
    ]);
  });

  test('the one image: the first service names it, the default build', () => {
    assert.deepEqual(
      config.images.map((i) => [i.key, i.dockerfile, i.context, i.services]),
      [['api', 'Dockerfile', '.', ['api', 'admin', 'jobs']]],
    );
    assert.equal(config.global.repositoryName, 'shop/api');
  });

  test('the same build stated on every service is one image', () => {
    const build = { dockerfile: 'docker/App.Dockerfile', context: 'src' };
    const resolved = resolveConfig(
      shop({ 'services.api.build': build, 'services.admin.build': build, 'services.jobs.build': build }),
    );
    assert.deepEqual(
      resolved.images.map((i) => [i.dockerfile, i.context, i.services]),
      [['docker/App.Dockerfile', 'src', ['api', 'admin', 'jobs']]],
    );
  });

  test('build.repository names the image repository, whichever service states it', () => {
    const resolved = resolveConfig(shop({ 'services.admin.build': { repository: 'shop-images' } }));
    assert.equal(resolved.global.repositoryName, 'shop/shop-images');
  });

  test('explicit priorities are kept', () => {
    const resolved = resolveConfig(shop({ 'services.admin.route.priority': 7 }));
    const admin = resolved.environments.test.services.find((s) => s.name === 'admin') as WebServiceConfig;
    assert.equal(admin.route.priority, 7);
  });
});

describe('one-line errors naming the field', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    [
      'two catch-all web services',
      { 'services.admin.route': undefined },
      "berth.config.ts: services.admin.route: api and admin are both the catch-all (path '/*', no host): give admin a route.path such as '/api/*' or a route.host",
    ],
    [
      'two services with a release command',
      { 'services.jobs.release': { command: ['python', 'seed.py'] } },
      'berth.config.ts: services.jobs.release: api already has a release command; at most one service has one (it runs once before each rollout): remove one',
    ],
    [
      'two repositories for the app',
      { 'services.api.build': { repository: 'a' }, 'services.jobs.build': { repository: 'b' } },
      'berth.config.ts: services.jobs.build.repository = "b": expected "a" as api\'s: an app has one image repository (each image gets tags of its own); name it once or the same everywhere',
    ],
    [
      'a repository name ECR refuses',
      { 'services.api.build': { repository: 'Shop Images' } },
      'berth.config.ts: services.api.build.repository = "Shop Images": expected lower-case letters, digits and - _ . / (an ECR repository name under the app)',
    ],
    [
      'a web-only field on a worker',
      { 'services.jobs.port': 9000 },
      'berth.config.ts: services.jobs.port: only web services have port (this one is a worker); remove it',
    ],
    [
      'a web-only scaling field on a worker',
      { 'services.jobs.scaling.requestsPerTarget': 100 },
      'berth.config.ts: services.jobs.scaling.requestsPerTarget: only web services have requestsPerTarget (this one is a worker); remove it',
    ],
    [
      'a web-only field in an environment override of a worker',
      { 'environments.prod.services.jobs.drainSeconds': 5 },
      'berth.config.ts: environments.prod.services.jobs.drainSeconds: only web services have drainSeconds (this one is a worker); remove it',
    ],
    [
      'an unknown service type',
      { 'services.jobs.type': 'cron' },
      "berth.config.ts: services.jobs.type = \"cron\": expected 'web' or 'worker'",
    ],
    [
      'a lower-case variable name',
      { 'services.api.environment': { shop_mode: 'api' } },
      'berth.config.ts: services.api.environment.shop_mode = "api": expected a variable name of upper-case letters, digits and _, not starting with a digit (e.g. SHOP_MODE)',
    ],
    [
      'a variable name starting with a digit',
      { 'services.api.secrets': { '1KEY': { ssm: '/shop/key' } } },
      'berth.config.ts: services.api.secrets.1KEY = {"ssm":"/shop/key"}: expected a variable name of upper-case letters, digits and _, not starting with a digit (e.g. _1KEY)',
    ],
    [
      'a variable Berth sets itself',
      { 'services.jobs.environment': { PGHOST: 'localhost' } },
      'berth.config.ts: services.jobs.environment.PGHOST: PGHOST is set by Berth (PORT, SHUTDOWN_DRAIN_SECONDS, PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT, TRACING, TRACING_SAMPLE_RATIO, OTEL_EXPORTER_OTLP_ENDPOINT); use another name',
    ],
    [
      'a name both plain and secret',
      { 'services.api.environment': { STRIPE_KEY: 'sk_live' } },
      'berth.config.ts: services.api.environment.STRIPE_KEY: STRIPE_KEY is also in secrets; keep it in one of them (secrets if it is one)',
    ],
    [
      'a secret with both sources',
      { 'services.api.secrets.STRIPE_KEY': { ssm: '/shop/a', secretsManager: 'shop/a' } },
      'berth.config.ts: services.api.secrets.STRIPE_KEY = {"ssm":"/shop/a","secretsManager":"shop/a"}: expected exactly one of { ssm: \'/app/name\' } or { secretsManager: \'app/name\', key?: \'field\' }',
    ],
    [
      'a secret with no source',
      { 'services.api.secrets.STRIPE_KEY': { key: 'password' } },
      "berth.config.ts: services.api.secrets.STRIPE_KEY = {\"key\":\"password\"}: expected exactly one of { ssm: '/app/name' } or { secretsManager: 'app/name', key?: 'field' }",
    ],
    [
      'a key on an SSM secret',
      { 'services.api.secrets.STRIPE_KEY': { ssm: '/shop/a', key: 'x' } },
      'berth.config.ts: services.api.secrets.STRIPE_KEY = {"ssm":"/shop/a","key":"x"}: expected no key with ssm (key picks a field of a Secrets Manager JSON secret)',
    ],
    [
      'an SSM name with a space',
      { 'services.api.secrets.STRIPE_KEY': { ssm: '/shop/stripe key' } },
      'berth.config.ts: services.api.secrets.STRIPE_KEY = {"ssm":"/shop/stripe key"}: expected an SSM parameter name (letters, digits, _ . - /) such as \'/shop/stripe-key\', or its ARN',
    ],
    [
      'a Secrets Manager ARN of another service',
      {
        'services.api.secrets.SIGNING_KEY': {
          secretsManager: 'arn:aws:ssm:eu-west-1:111111111111:parameter/x',
        },
      },
      'berth.config.ts: services.api.secrets.SIGNING_KEY = {"secretsManager":"arn:aws:ssm:eu-west-1:111111111111:par...: expected a Secrets Manager secret name (letters, digits, / _ + = . @ -) such as \'shop/stripe\', or its ARN',
    ],
    [
      'a secret given as a plain string',
      { 'services.api.secrets.STRIPE_KEY': '/shop/stripe-key' },
      'berth.config.ts: services.api.secrets.STRIPE_KEY = "/shop/stripe-key": expected an object with ssm, secretsManager, key',
    ],
    [
      'an empty command',
      { 'services.jobs.command': [] },
      "berth.config.ts: services.jobs.command = []: expected a non-empty list of non-empty strings, e.g. ['node', 'dist/worker.js']",
    ],
    [
      'a release without a command',
      { 'services.api.release': { cpu: 256 } },
      'berth.config.ts: services.api.release.command is missing: add it (see docs/config-reference.md)',
    ],
    [
      'a path that is not an ALB pattern',
      { 'services.admin.route.path': 'admin/*' },
      'berth.config.ts: services.admin.route.path = "admin/*": expected an ALB path pattern starting with / (letters, digits, _-.$/~"\'@:+&, * and ?), at most 128, e.g. \'/api/*\'',
    ],
    [
      'an upper-case host',
      { 'services.admin.route.host': 'Admin.Shop.example' },
      'berth.config.ts: services.admin.route.host = "Admin.Shop.example": expected a lower-case host name (wildcards * and ? allowed), e.g. \'admin.example.org\'',
    ],
    [
      'a priority twice',
      {
        'services.api.route': { path: '/api/*', priority: 5 },
        'services.admin.route.priority': 5,
      },
      'berth.config.ts: services.admin.route.priority = 5: expected a priority no other web service has (api has 5)',
    ],
    [
      'a catch-all evaluated before a specific rule',
      { 'services.api.route': { priority: 3 } },
      "berth.config.ts: services.api.route.priority = 3: expected more than admin's 10: the catch-all would take admin's requests (or leave priority unset)",
    ],
    [
      'a priority out of the ALB range',
      { 'services.admin.route.priority': 50001 },
      'berth.config.ts: services.admin.route.priority = 50001: expected an integer from 1 to 50000 (lower is evaluated first)',
    ],
    [
      'a worker stop timeout beyond what ECS allows',
      { 'services.jobs.stopTimeoutSeconds': 121 },
      'berth.config.ts: services.jobs.stopTimeoutSeconds = 121: expected an integer from 2 to 120',
    ],
    [
      'a worker with more min than max tasks in prod',
      { 'environments.prod.services.jobs.scaling': { minTasks: 7 } },
      'berth.config.ts: environments.prod.services.jobs.scaling.minTasks = 7: expected <= maxTasks (6)',
    ],
    [
      'a release task size ECS does not have',
      { 'services.api.release.cpu': 300 },
      'berth.config.ts: services.api.release.cpu = 300: expected one of 256, 512, 1024, 2048, 4096 CPU units',
    ],
    [
      'a second web service too small in prod',
      { 'services.admin.scaling': { minTasks: 1 } },
      'berth.config.ts: services.admin.scaling.minTasks = 1: expected an integer from 2 to 100',
    ],
    [
      'an override of a service that does not exist',
      { 'environments.test.services.cron': { cpu: 512 } },
      'berth.config.ts: environments.test.services.cron: no service named cron; expected one of api, admin, jobs',
    ],
    [
      'two names with the same output prefix',
      { 'services.jobs-2': { type: 'worker' }, 'services.jobs2': { type: 'worker' } },
      "berth.config.ts: services.jobs2: its stack outputs would share the prefix Jobs2 with jobs-2's; rename one of them",
    ],
    [
      'a service whose output would be the environment URL',
      { 'services.service': { type: 'worker' } },
      "berth.config.ts: services.service: its stack output ServiceUrl would clash with the environment's own output of that name; rename the service",
    ],
    [
      'a service whose output would be the release log group',
      { 'services.release': { type: 'worker' } },
      "berth.config.ts: services.release: its stack output ReleaseLogGroupName would clash with the environment's own output of that name; rename the service",
    ],
  ];
  for (const [what, changes, message] of cases) {
    test(what, () => rejectsConfig(shop(changes), message));
  }
});

describe('capacity: every service at its peak, packed together', () => {
  test('the error names the peaks and the instances they take', () =>
    rejectsConfig(
      shop({ 'environments.test.cluster': { instanceType: 't3.xlarge', maxInstances: 3 } }),
      'berth.config.ts: environments.test.cluster.maxInstances = 3: expected >= 4: a deployment of every service at its maxTasks runs api 8 (blue-green at maxTasks 4), admin 8 (blue-green at maxTasks 4), jobs 12 (rolling at maxTasks 6) tasks, which take 4 t3.xlarge (raise maxInstances, or lower maxTasks or the task sizes)',
    ));
});

describe('names both sides use', () => {
  test('serviceOutputs: Pascal-case prefix', () => {
    assert.deepEqual(serviceOutputs('cart-expiry'), {
      serviceName: 'CartExpiryServiceName',
      logGroupName: 'CartExpiryLogGroupName',
      targetGroupArn: 'CartExpiryTargetGroupArn',
      productionRuleArn: 'CartExpiryProductionRuleArn',
      url: 'CartExpiryUrl',
      queueUrl: 'CartExpiryQueueUrl',
      deadLetterQueueUrl: 'CartExpiryDeadLetterQueueUrl',
    });
    assert.equal(pascalCase('web'), 'Web');
  });

  test('logStreamName: the service names the prefix and the container', () => {
    assert.equal(logStreamName('worker', 'abc123'), 'worker/worker/abc123');
  });
});
