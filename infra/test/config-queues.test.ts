/**
 * Worker queues in `berth.config.ts` (#13 item 2): `queue` on a worker, `sendsTo` on the services that send to
 * it, `scaling.messagesPerTask`, and apps of workers only. Expectations are literals: SQS's own defaults and
 * limits (SQS Developer Guide, "Amazon SQS queue configuration"; SQS API Reference, SetQueueAttributes).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { WorkerServiceConfig } from '../config/environments.js';
import { resolveConfig } from '../config/resolve.js';
import type { BerthConfig } from '../config/schema.js';
import { rejectsConfig, withPaths } from './support/config-edit.js';

/** An API that sends to `jobs` (queue with its own settings) and `mail` (all defaults); `report` has no queue. */
const SHOP = {
  app: 'shop',
  github: { repository: 'acme/shop' },
  services: {
    api: { type: 'web', port: 8000, sendsTo: ['jobs', 'mail'] },
    jobs: {
      type: 'worker',
      queue: {
        visibilityTimeoutSeconds: 120,
        retentionDays: 7,
        maxReceiveCount: 3,
        maxMessageAgeMinutes: 45,
      },
      scaling: { messagesPerTask: 40 },
      sendsTo: ['mail'],
    },
    mail: { type: 'worker', queue: {} },
    report: { type: 'worker' },
  },
  environments: {
    test: { account: '111111111111', regions: ['eu-west-1'], cluster: { maxInstances: 20 } },
    prod: {
      account: '222222222222',
      regions: ['eu-west-2'],
      alarms: { email: 'oncall@acme.example' },
      cluster: { maxInstances: 30 },
      services: { jobs: { scaling: { messagesPerTask: 25 } } },
    },
  },
} as const satisfies BerthConfig;

/** A deep copy of SHOP with dotted paths set (undefined deletes). */
const shop = (changes: Record<string, unknown> = {}) => withPaths(SHOP, changes);

const worker = (env: 'test' | 'prod', name: string, input: unknown = shop()) =>
  resolveConfig(input).environments[env].services.find((s) => s.name === name) as WorkerServiceConfig;

describe('a worker queue resolves per environment', () => {
  test('stated settings are kept', () => {
    assert.deepEqual(worker('test', 'jobs').queue, {
      visibilityTimeoutSeconds: 120,
      retentionDays: 7,
      maxReceiveCount: 3,
      maxMessageAgeMinutes: 45,
    });
  });

  test('queue: {} takes SQS defaults (30 s visibility, 4 days) and Berth (5 receives, 15 minutes)', () => {
    assert.deepEqual(worker('prod', 'mail').queue, {
      visibilityTimeoutSeconds: 30,
      retentionDays: 4,
      maxReceiveCount: 5,
      maxMessageAgeMinutes: 15,
    });
  });

  test('no queue stated, none resolved', () => {
    assert.equal(worker('test', 'report').queue, undefined);
  });

  test('messagesPerTask: the service value, an environment override, the default 10', () => {
    assert.equal(worker('test', 'jobs').scaling.messagesPerTask, 40);
    assert.equal(worker('prod', 'jobs').scaling.messagesPerTask, 25);
    assert.equal(worker('test', 'mail').scaling.messagesPerTask, 10);
  });

  test('sendsTo: as listed, empty when not stated', () => {
    const services = resolveConfig(shop()).environments.test.services;
    assert.deepEqual(Object.fromEntries(services.map((s) => [s.name, s.sendsTo])), {
      api: ['jobs', 'mail'],
      jobs: ['mail'],
      mail: [],
      report: [],
    });
  });
});

describe('an app of workers only', () => {
  const workersOnly = shop({ 'services.api': undefined, 'environments.prod.services': undefined });

  test('resolves, with WAF off in prod (no load balancer to protect)', () => {
    const config = resolveConfig(workersOnly);
    assert.deepEqual(
      config.environments.prod.services.map((s) => s.kind),
      ['worker', 'worker', 'worker'],
    );
    assert.equal(config.environments.prod.waf.enabled, false);
  });

  test('with a web service, prod keeps WAF on by default', () => {
    assert.equal(resolveConfig(shop()).environments.prod.waf.enabled, true);
  });
});

describe('one-line errors naming the field', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    [
      'sendsTo names no service',
      { 'services.api.sendsTo': ['mail', 'jbos'] },
      'berth.config.ts: services.api.sendsTo[1] = "jbos": no service of that name; expected a worker with a queue (jobs, mail)',
    ],
    [
      'sendsTo names a worker without a queue',
      { 'services.api.sendsTo': ['report'] },
      'berth.config.ts: services.api.sendsTo[0] = "report": report is a worker without a queue; expected a worker with a queue (jobs, mail)',
    ],
    [
      'sendsTo names a web service',
      { 'services.jobs.sendsTo': ['api'] },
      'berth.config.ts: services.jobs.sendsTo[0] = "api": api is a web service; expected a worker with a queue (jobs, mail)',
    ],
    [
      'sendsTo with no queue in the app',
      {
        'services.jobs.queue': undefined,
        'services.jobs.scaling': undefined,
        'services.mail.queue': undefined,
        'services.jobs.sendsTo': undefined,
        'services.api.sendsTo': ['jobs'],
        'environments.prod.services': undefined,
      },
      'berth.config.ts: services.api.sendsTo[0] = "jobs": jobs is a worker without a queue; expected a worker with a queue (none yet: give a worker queue: {})',
    ],
    [
      'sendsTo lists a queue twice',
      { 'services.api.sendsTo': ['jobs', 'mail', 'jobs'] },
      'berth.config.ts: services.api.sendsTo[2] = "jobs": listed twice; remove one',
    ],
    [
      'sendsTo is not a list',
      { 'services.api.sendsTo': 'jobs' },
      'berth.config.ts: services.api.sendsTo = "jobs": expected a list of strings',
    ],
    [
      'a queue on a web service',
      { 'services.api.queue': {} },
      'berth.config.ts: services.api.queue: only worker services have queue (this one is a web); remove it',
    ],
    [
      'a typo in the queue',
      { 'services.mail.queue': { retention: 3 } },
      'berth.config.ts: services.mail.queue.retention: unknown field; expected one of visibilityTimeoutSeconds, retentionDays, maxReceiveCount, maxMessageAgeMinutes',
    ],
    [
      'messagesPerTask on a worker with no queue',
      { 'services.report.scaling': { messagesPerTask: 5 } },
      'berth.config.ts: services.report.scaling.messagesPerTask: report has no queue to scale on; add services.report.queue = {} or remove it',
    ],
    [
      'messagesPerTask in an environment override of a worker with no queue',
      { 'environments.test.services': { report: { scaling: { messagesPerTask: 5 } } } },
      'berth.config.ts: environments.test.services.report.scaling.messagesPerTask: report has no queue to scale on; add services.report.queue = {} or remove it',
    ],
    [
      'messagesPerTask in an environment override of a web service',
      { 'environments.prod.services': { api: { scaling: { messagesPerTask: 5 } } } },
      'berth.config.ts: environments.prod.services.api.scaling.messagesPerTask: only workers with a queue scale on messagesPerTask (this one is a web service); remove it',
    ],
    [
      'the worker sets QUEUE_URL itself',
      { 'services.mail.environment': { QUEUE_URL: 'https://elsewhere' } },
      'berth.config.ts: services.mail.environment.QUEUE_URL: Berth sets QUEUE_URL (its queue); use another name',
    ],
    [
      'a sender sets the queue variable itself',
      { 'services.api.secrets': { MAIL_QUEUE_URL: { ssm: '/shop/mail-url' } } },
      "berth.config.ts: services.api.secrets.MAIL_QUEUE_URL: Berth sets MAIL_QUEUE_URL (mail's queue); use another name",
    ],
    [
      'a retention SQS refuses (1 to 14 days)',
      { 'services.mail.queue': { retentionDays: 15 } },
      'berth.config.ts: services.mail.queue.retentionDays = 15: expected an integer from 1 to 14',
    ],
    [
      'a visibility timeout SQS refuses (0 to 12 hours)',
      { 'services.mail.queue': { visibilityTimeoutSeconds: 43_201 } },
      'berth.config.ts: services.mail.queue.visibilityTimeoutSeconds = 43201: expected an integer from 0 to 43200',
    ],
    [
      'a receive count SQS refuses (1 to 1000)',
      { 'services.mail.queue': { maxReceiveCount: 0 } },
      'berth.config.ts: services.mail.queue.maxReceiveCount = 0: expected an integer from 1 to 1000',
    ],
    [
      'an age alarm past the retention never fires',
      { 'services.mail.queue': { retentionDays: 1, maxMessageAgeMinutes: 1440 } },
      'berth.config.ts: services.mail.queue.maxMessageAgeMinutes = 1440: expected fewer minutes than queue.retentionDays (1 days = 1440 minutes): SQS deletes older messages',
    ],
    [
      'messagesPerTask below one',
      { 'environments.prod.services': { jobs: { scaling: { messagesPerTask: 0 } } } },
      'berth.config.ts: environments.prod.services.jobs.scaling.messagesPerTask = 0: expected an integer from 1 to 100000',
    ],
    [
      "a web service whose URL output is a worker queue's",
      { 'services.jobs-queue': { type: 'web', port: 9000, route: { path: '/jq/*' } } },
      "berth.config.ts: services.jobs-queue: its stack output JobsQueueUrl would clash with jobs's of that name; rename one of them",
    ],
    [
      'a domain with no web service',
      {
        'services.api': undefined,
        'environments.prod.services': undefined,
        'environments.test.domain': {
          name: 'jobs.shop.example',
          hostedZone: { id: 'Z123', name: 'shop.example' },
        },
      },
      "berth.config.ts: environments.test.domain: the app has no web service, so no load balancer to serve it on; remove domain or add a service of type 'web'",
    ],
    [
      'WAF turned on with no web service',
      {
        'services.api': undefined,
        'environments.prod.services': undefined,
        'environments.prod.waf': { enabled: true },
      },
      "berth.config.ts: environments.prod.waf.enabled = true: the app has no web service, so no load balancer to protect; remove it or add a service of type 'web'",
    ],
  ];
  for (const [what, changes, message] of cases) {
    test(what, () => rejectsConfig(shop(changes), message));
  }
});
