import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ENV_NAMES, type EnvironmentConfig, type EnvName } from '../config/environments.js';
import { INSTANCE_SIZES, peakTasksDuringDeployment, tasksPerInstance } from '../config/instance-capacity.js';
import {
  alarmWarnings,
  ConfigError,
  getEnvironment,
  validateEnvironment,
  validatePromotion,
} from '../config/validate.js';
import { ENVIRONMENTS } from './fixtures/cart-config.js';
import { withPaths } from './support/config-edit.js';
import { webService } from './support/web-services.js';

/** A deep copy of a shipped environment with one dotted path replaced (or several, for relational rules). */
const withChanges = (env: EnvName, changes: Record<string, unknown>) =>
  withPaths(ENVIRONMENTS[env], changes) as EnvironmentConfig;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Case {
  /** The field the error must name. */
  readonly field: string;
  /** The path set to the bad value, when it differs from `field` (a service by index). @default field */
  readonly set?: string;
  /** The value the error must show. */
  readonly value: unknown;
  /** Extra paths changed to set up relational rules. */
  readonly also?: Record<string, unknown>;
  readonly env?: EnvName;
  /** What the error shows when it names one element rather than the whole value. @default value */
  readonly shows?: unknown;
}

const CASES: readonly Case[] = [
  { field: 'account', value: '12345' },
  { field: 'regions', value: [] },
  { field: 'regions', value: ['ap-south-1'], shows: 'ap-south-1' },
  { field: 'regions', value: ['eu-west-1', 'eu-west-1'] },
  { field: 'network.cidr', value: '10.0.0.0/24' },
  { field: 'network.cidr', value: '300.0.0.0/16' },
  { field: 'network.natGateways', value: 3 },
  { field: 'cluster.instanceType', value: 'T3 small' },
  { field: 'cluster.minInstances', value: -1 },
  { field: 'cluster.maxInstances', value: 0, also: { 'cluster.minInstances': 0 } },
  { field: 'cluster.minInstances', value: 5, also: { 'cluster.maxInstances': 3 } },
  { field: 'cluster.targetCapacityPercent', value: 0 },
  { field: 'cluster.rootVolumeGiB', value: 8 },
  { field: 'services.web.containerPort', set: 'services.0.containerPort', value: 70000 },
  { field: 'services.web.cpu', set: 'services.0.cpu', value: 300 },
  { field: 'services.web.memoryMiB', set: 'services.0.memoryMiB', value: 64 },
  { field: 'services.web.minTasks', set: 'services.0.minTasks', value: 0 },
  { field: 'services.web.minTasks', set: 'services.0.minTasks', value: 1, env: 'prod' },
  { field: 'services.web.maxTasks', set: 'services.0.maxTasks', value: 0 },
  {
    field: 'services.web.minTasks',
    set: 'services.0.minTasks',
    value: 5,
    also: { 'services.0.maxTasks': 4 },
  },
  { field: 'services.web.healthCheck.path', set: 'services.0.healthCheck.path', value: 'readyz' },
  {
    field: 'services.web.healthCheck.intervalSeconds',
    set: 'services.0.healthCheck.intervalSeconds',
    value: 4,
  },
  {
    field: 'services.web.healthCheck.timeoutSeconds',
    set: 'services.0.healthCheck.timeoutSeconds',
    value: 1,
  },
  {
    field: 'services.web.healthCheck.timeoutSeconds',
    set: 'services.0.healthCheck.timeoutSeconds',
    value: 5,
    also: { 'services.0.healthCheck.intervalSeconds': 5 },
  },
  {
    field: 'services.web.healthCheck.healthyThreshold',
    set: 'services.0.healthCheck.healthyThreshold',
    value: 1,
  },
  {
    field: 'services.web.healthCheck.unhealthyThreshold',
    set: 'services.0.healthCheck.unhealthyThreshold',
    value: 11,
  },
  { field: 'services.web.drainSeconds', set: 'services.0.drainSeconds', value: 26 },
  {
    field: 'services.web.deregistrationDelaySeconds',
    set: 'services.0.deregistrationDelaySeconds',
    value: -1,
  },
  {
    field: 'services.web.deregistrationDelaySeconds',
    set: 'services.0.deregistrationDelaySeconds',
    value: 11,
    also: { 'services.0.drainSeconds': 10 },
  },
  { field: 'services.web.stopTimeoutSeconds', set: 'services.0.stopTimeoutSeconds', value: 31 },
  {
    field: 'services.web.drainSeconds',
    set: 'services.0.drainSeconds',
    value: 10,
    also: { 'services.0.stopTimeoutSeconds': 10, 'services.0.deregistrationDelaySeconds': 10 },
  },
  {
    field: 'services.web.healthCheckGracePeriodSeconds',
    set: 'services.0.healthCheckGracePeriodSeconds',
    value: -1,
  },
  { field: 'services.web.deployment.strategy', set: 'services.0.deployment.strategy', value: 'big-bang' },
  {
    field: 'services.web.deployment.minHealthyPercent',
    set: 'services.0.deployment.minHealthyPercent',
    value: 101,
  },
  { field: 'services.web.deployment.maxPercent', set: 'services.0.deployment.maxPercent', value: 99 },
  {
    field: 'services.web.deployment.bakeTimeMinutes',
    set: 'services.0.deployment.bakeTimeMinutes',
    value: 1441,
  },
  { field: 'services.web.deployment.canaryPercent', set: 'services.0.deployment.canaryPercent', value: 100 },
  { field: 'services.web.scaling.cpuPercent', set: 'services.0.scaling.cpuPercent', value: 5 },
  { field: 'services.web.scaling.memoryPercent', set: 'services.0.scaling.memoryPercent', value: 96 },
  { field: 'services.web.scaling.requestsPerTarget', set: 'services.0.scaling.requestsPerTarget', value: 0 },
  { field: 'database.instanceClass', value: 'db.t4g.micro' },
  { field: 'database.allocatedStorageGiB', value: 10 },
  { field: 'database.maxAllocatedStorageGiB', value: 19 },
  { field: 'database.backupRetentionDays', value: 0 },
  { field: 'database.multiAz', value: false, env: 'prod' },
  { field: 'database.deletionProtection', value: false, env: 'prod' },
  { field: 'alarms.email', value: 'nobody' },
  { field: 'alarms.waiveSubscriber', value: 'because', also: { 'alarms.email': undefined } },
  {
    field: 'alarms.waiveSubscriber',
    value: 'no on-call rota yet',
    also: { 'alarms.email': 'ops@example.com' },
  },
  // Prod with no subscriber and no waiver: the error names the missing address.
  { field: 'alarms.email', value: undefined, also: { 'alarms.waiveSubscriber': undefined }, env: 'prod' },
  // Capacity: blue/green at maxTasks 10 runs 20 tasks of 1024 MiB; a t3.medium holds 3 → 7 instances.
  { field: 'cluster.maxInstances', value: 6, env: 'prod' },
  // Rolling at 200 % runs 20 too; at 150 % 15 → 5 instances (the worker's 4 × 256 MiB fit beside them).
  {
    field: 'cluster.maxInstances',
    value: 4,
    env: 'prod',
    also: { 'services.0.deployment.strategy': 'rolling', 'services.0.deployment.maxPercent': 150 },
  },
  { field: 'cluster.instanceType', value: 'z9.mega' },
  {
    field: 'services.web.memoryMiB',
    set: 'services.0.memoryMiB',
    value: 4096,
    also: { 'cluster.instanceType': 't3.small' },
  },
  // A worker's task too: every service is placed.
  {
    field: 'services.worker.memoryMiB',
    set: 'services.1.memoryMiB',
    value: 3000,
    also: { 'cluster.instanceType': 't3.small' },
  },
  { field: 'services.worker.stopTimeoutSeconds', set: 'services.1.stopTimeoutSeconds', value: 121 },
  { field: 'services.worker.minTasks', set: 'services.1.minTasks', value: 3 },
  { field: 'logRetentionDays', value: 10 },
  { field: 'exec.enabled', value: 'yes', env: 'prod' },
  { field: 'exec.enabled', value: undefined },
];

describe('config validation', () => {
  for (const name of ENV_NAMES) {
    test(`the shipped ${name} environment is valid`, () => {
      assert.equal(getEnvironment(ENVIRONMENTS, name), ENVIRONMENTS[name]);
    });
  }

  test('an unknown environment name lists the known ones', () => {
    assert.throws(
      () => getEnvironment(ENVIRONMENTS, 'staging'),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message === 'config environment = "staging": expected one of test, prod',
    );
  });

  for (const c of CASES) {
    const env = c.env ?? 'test';
    const shown = c.value === undefined ? 'undefined' : JSON.stringify(c.shows ?? c.value);
    test(`${env}.${c.field} = ${shown} is rejected, naming the field and the value`, () => {
      // GIVEN a shipped environment with one bad value
      const bad = withChanges(env, { ...c.also, [c.set ?? c.field]: c.value });
      // WHEN it is validated THEN the error names exactly that field and value, and what is expected
      assert.throws(
        () => validateEnvironment(bad),
        (e: unknown) => {
          assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
          assert.match(
            e.message,
            new RegExp(`^config ${escapeRegExp(`${env}.${c.field}`)} = ${escapeRegExp(shown)}: expected .+`),
          );
          return true;
        },
      );
    });
  }
});

describe('cluster capacity for a deployment', () => {
  test('a task fits as many times as the scarcer of CPU and memory allows (90 % of memory planned)', () => {
    // t3.medium: 2 vCPU = 2048 units, 4 GiB → 3686 MiB planned.
    assert.equal(tasksPerInstance(INSTANCE_SIZES['t3.medium']!, { cpu: 512, memoryMiB: 1024 }), 3);
    // CPU-bound: 4 × 512 units on 2 vCPUs, although 7 would fit by memory.
    assert.equal(tasksPerInstance(INSTANCE_SIZES['t3.large']!, { cpu: 512, memoryMiB: 1024 }), 4);
    assert.equal(tasksPerInstance(INSTANCE_SIZES['t3.small']!, { cpu: 256, memoryMiB: 512 }), 3);
  });

  test('blue/green and canary run two full revisions; rolling runs maxPercent of maxTasks, rounded down', () => {
    const d = webService(ENVIRONMENTS.prod).deployment;
    assert.equal(peakTasksDuringDeployment({ ...d, strategy: 'blue-green' }, 10), 20);
    assert.equal(peakTasksDuringDeployment({ ...d, strategy: 'canary' }, 7), 14);
    assert.equal(peakTasksDuringDeployment({ ...d, strategy: 'rolling', maxPercent: 150 }, 5), 7);
    assert.equal(peakTasksDuringDeployment({ ...d, strategy: 'rolling', maxPercent: 200 }, 10), 20);
  });

  test('the error says how many instances the strategy needs', () => {
    assert.throws(
      () => validateEnvironment(withChanges('prod', { 'cluster.maxInstances': 6 })),
      /expected >= 7: a deployment of every service at its maxTasks runs web 20 \(blue-green at maxTasks 10\), worker 4 \(rolling at maxTasks 2\) tasks, which take 7 t3.medium/,
    );
  });
});

describe('alarm subscribers', () => {
  test('an environment with an alarm e-mail has no warning', () => {
    assert.deepEqual(alarmWarnings(withChanges('prod', { alarms: { email: 'ops@example.com' } })), []);
  });

  test('no e-mail: a warning names the environment; a waiver is quoted in it', () => {
    assert.deepEqual(alarmWarnings(withChanges('test', { alarms: undefined })), [
      'test: alarms notify nobody (no alarms.email)',
    ]);
    assert.deepEqual(
      alarmWarnings(withChanges('prod', { alarms: { waiveSubscriber: 'pager rota starts in May' } })),
      ['prod: alarms notify nobody (no alarms.email); waived: pager rota starts in May'],
    );
  });

  test('prod refuses no subscriber without a waiver, with the fix in the message', () => {
    assert.throws(
      () => validateEnvironment(withChanges('prod', { alarms: undefined })),
      /config prod\.alarms\.email = undefined: expected an on-call address, or alarms\.waiveSubscriber/,
    );
  });
});

describe('promotion by digest', () => {
  test('accepts the shipped environments (one architecture)', () => {
    assert.doesNotThrow(() => validatePromotion(ENVIRONMENTS));
  });

  test('refuses prod on another architecture than the image test builds, naming the field', () => {
    const environments = { ...ENVIRONMENTS, prod: withArchitecture(ENVIRONMENTS.prod, 'arm64') };
    assert.throws(
      () => validatePromotion(environments),
      (error: Error) =>
        error instanceof ConfigError &&
        error.message.includes('prod.cluster.architecture') &&
        error.message.includes('"arm64"') &&
        error.message.includes('x86_64, as test.cluster.architecture'),
    );
  });
});

function withArchitecture(config: EnvironmentConfig, architecture: 'x86_64' | 'arm64'): EnvironmentConfig {
  return { ...config, cluster: { ...config.cluster, architecture } };
}
