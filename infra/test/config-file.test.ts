import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { assertTypeStripping, findConfigFile, loadConfig } from '../config/load.js';
import { resolveConfig } from '../config/resolve.js';
import type { BerthConfig } from '../config/schema.js';
import { appNames } from '../lib/naming.js';
import { rejectsConfig, withPaths } from './support/config-edit.js';
import { webService } from './support/web-services.js';

/** Another app's minimal config: accounts distinct per environment so a swap shows. */
const SHOP = {
  app: 'shop',
  github: { repository: 'acme/shop' },
  services: { web: { type: 'web', port: 8000, healthCheck: { path: '/health' } } },
  environments: {
    test: { account: '111111111111', regions: ['eu-west-1'] },
    prod: { account: '222222222222', regions: ['eu-west-2'], alarms: { email: 'oncall@acme.example' } },
  },
} as const satisfies BerthConfig;

/** A deep copy of SHOP with dotted paths set (undefined deletes). */
const shop = (changes: Record<string, unknown> = {}) => withPaths(SHOP, changes);

describe('another app: names come from `app`', () => {
  test('stacks, SSM parameters and the image repository', () => {
    const names = appNames('shop');
    assert.equal(names.stackName('test', 'eu-west-1', 'Network'), 'Shop-Test-eu-west-1-Network');
    assert.equal(names.stackName('prod', 'eu-west-2', 'Service'), 'Shop-Prod-eu-west-2-Service');
    assert.equal(names.globalStackName, 'Shop-Global');
    assert.equal(names.envStackPrefix('prod'), 'Shop-Prod-');
    assert.equal(names.parameters.imageDigest('test'), '/shop/test/image-digest');
    assert.equal(names.parameters.ami('prod', 'arm64'), '/shop/prod/ami/arm64');
    assert.equal(names.parameters.amiPrefix('test'), '/shop/test/ami/');
    assert.equal(names.repositoryName('web'), 'shop/web');
  });

  test('the resolved config carries them', () => {
    const config = resolveConfig(SHOP);
    assert.equal(config.names.stackName('test', 'eu-west-1', 'Data'), 'Shop-Test-eu-west-1-Data');
    assert.equal(config.global.repositoryName, 'shop/web');
    assert.equal(config.environments.test.bootstrapQualifier, 'shoptest');
    assert.equal(config.environments.prod.bootstrapQualifier, 'shopprod');
    assert.deepEqual(
      config.images.map((i) => [i.key, i.dockerfile, i.context]),
      [['web', 'Dockerfile', '.']],
    );
  });

  test('a long app name still gives a bootstrap qualifier CDK accepts (10 letters and digits)', () => {
    const config = resolveConfig(shop({ app: 'big-catalogue' }));
    assert.equal(config.environments.test.bootstrapQualifier, 'bigcattest');
    assert.equal(config.environments.prod.bootstrapQualifier, 'bigcatprod');
  });
});

describe('Berth supplies the defaults per environment', () => {
  const { test: t, prod: p } = resolveConfig(SHOP).environments;

  test('the user’s values are kept', () => {
    assert.equal(t.account, '111111111111');
    assert.equal(p.account, '222222222222');
    assert.deepEqual(p.regions, ['eu-west-2']);
    assert.equal(webService(t).containerPort, 8000);
    assert.equal(webService(p).healthCheck.path, '/health');
    assert.deepEqual(p.alarms, { email: 'oncall@acme.example' });
  });

  test('test is small and cheap', () => {
    assert.equal(t.cluster.instanceType, 't3.small');
    assert.equal(t.network.natGateways, 1);
    assert.equal(t.database.multiAz, false);
    assert.equal(t.database.deletionProtection, false);
    assert.equal(webService(t).deployment.strategy, 'blue-green');
    assert.equal(webService(t).deployment.bakeTimeMinutes, 2);
    assert.equal(webService(t).minTasks, 1);
    assert.equal(t.exec.enabled, true);
    assert.equal(t.logRetentionDays, 14);
  });

  test('prod is redundant and protected', () => {
    assert.equal(p.cluster.instanceType, 't3.medium');
    assert.equal(p.network.natGateways, 2);
    assert.equal(p.database.multiAz, true);
    assert.equal(p.database.deletionProtection, true);
    assert.equal(webService(p).deployment.bakeTimeMinutes, 5);
    assert.equal(webService(p).minTasks, 2);
    assert.equal(p.waf.enabled, true);
    assert.equal(p.exec.enabled, false);
    assert.equal(p.logRetentionDays, 90);
  });

  test('health check timing is defaulted around the user’s path', () => {
    assert.deepEqual(webService(t).healthCheck, {
      path: '/health',
      intervalSeconds: 5,
      timeoutSeconds: 3,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
    });
  });

  test('the global stack defaults to prod’s account and first region, and the GitHub environment to prod', () => {
    const { global } = resolveConfig(SHOP);
    assert.equal(global.account, '222222222222');
    assert.equal(global.primaryRegion, 'eu-west-2');
    assert.equal(global.githubRepository, 'acme/shop');
    assert.equal(global.githubProdEnvironment, 'prod');
    assert.equal('githubOidcProviderArn' in global, false);
  });

  test('an explicit global block wins', () => {
    const arn = 'arn:aws:iam::333333333333:oidc-provider/token.actions.githubusercontent.com';
    const { global } = resolveConfig(
      shop({ global: { account: '333333333333', region: 'us-east-1', oidcProviderArn: arn } }),
    );
    assert.equal(global.account, '333333333333');
    assert.equal(global.primaryRegion, 'us-east-1');
    assert.equal(global.githubOidcProviderArn, arn);
  });
});

describe('layers: Berth default < the service < the environment’s override', () => {
  const config = resolveConfig(
    shop({
      'services.web.cpu': 1024,
      'services.web.memoryMiB': 768,
      'services.web.deployment': { strategy: 'canary' },
      'environments.prod.services': {
        web: { cpu: 2048, scaling: { minTasks: 3 }, deployment: { canaryPercent: 25 } },
      },
      'environments.test.network': { natGateways: 2 },
      // Larger tasks need room for a canary at maxTasks (validation says so otherwise).
      'environments.test.cluster': { maxInstances: 4 },
      'environments.prod.cluster': { instanceType: 't3.xlarge', maxInstances: 10 },
    }),
  );
  const { test: t, prod: p } = config.environments;

  test('a service value applies to every environment', () => {
    assert.equal(webService(t).cpu, 1024);
    assert.equal(webService(t).memoryMiB, 768);
    assert.equal(webService(p).memoryMiB, 768);
    assert.equal(webService(t).deployment.strategy, 'canary');
  });

  test('an environment override applies to that environment only', () => {
    assert.equal(webService(p).cpu, 2048);
    assert.equal(webService(p).minTasks, 3);
    assert.equal(webService(t).minTasks, 1);
    assert.equal(webService(p).deployment.canaryPercent, 25);
    assert.equal(webService(p).deployment.strategy, 'canary');
    assert.equal(webService(t).deployment.canaryPercent, 10);
  });

  test('a partial block keeps the other defaults', () => {
    assert.deepEqual(t.network, { cidr: '10.0.0.0/16', natGateways: 2, vpcEndpoints: false });
    assert.equal(p.cluster.instanceType, 't3.xlarge');
    assert.equal(p.cluster.maxInstances, 10);
    assert.equal(p.cluster.minInstances, 2);
  });
});

describe('one-line errors that name the field and the fix', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    [
      'a bad account',
      { 'environments.prod.account': '12345' },
      'berth.config.ts: environments.prod.account = "12345": expected a 12-digit AWS account id',
    ],
    [
      'a typo in a key',
      { 'environments.prod.netwrok': { natGateways: 1 } },
      'berth.config.ts: environments.prod.netwrok: unknown field; expected one of account, regions, bootstrapQualifier, network, cluster, database, domain, waf, tracing, exec, alarms, logRetentionDays, services',
    ],
    [
      'a missing required field',
      { 'github.repository': undefined },
      'berth.config.ts: github.repository is missing: add it (see docs/config-reference.md)',
    ],
    [
      'a string where a number goes',
      { 'services.web.port': '8000' },
      'berth.config.ts: services.web.port = "8000": expected a number',
    ],
    [
      'a port out of range',
      { 'services.web.port': 70000 },
      'berth.config.ts: services.web.port = 70000: expected an integer from 1 to 65535',
    ],
    [
      'a service value prod forbids',
      { 'services.web.scaling': { minTasks: 1 } },
      'berth.config.ts: services.web.scaling.minTasks = 1: expected an integer from 2 to 100',
    ],
    [
      'an environment override',
      { 'environments.prod.services': { web: { cpu: 300 } } },
      'berth.config.ts: environments.prod.services.web.cpu = 300: expected one of 256, 512, 1024, 2048, 4096 CPU units',
    ],
    [
      'an override of a service that does not exist',
      { 'environments.test.services': { api: { cpu: 512 } } },
      'berth.config.ts: environments.test.services.api: no service named api; expected one of web',
    ],
    [
      'prod with nobody to alert',
      { 'environments.prod.alarms': undefined },
      "berth.config.ts: environments.prod.alarms.email = undefined: expected an on-call address, or alarms.waiveSubscriber: '<reason>' to deploy prod with alarms that notify nobody",
    ],
    [
      'an app name that cannot name stacks',
      { app: 'My Shop' },
      'berth.config.ts: app = "My Shop": expected a name of lower-case letters, digits and hyphens starting with a letter, at most 20 (it names stacks and parameters), e.g. shop',
    ],
    [
      'a bad GitHub repository',
      { 'github.repository': 'shop' },
      'berth.config.ts: github.repository = "shop": expected owner/name of your GitHub repository, e.g. acme/shop',
    ],
    [
      'a region Berth has no zones for',
      { 'environments.test.regions': ['ap-south-1'] },
      'berth.config.ts: environments.test.regions = "ap-south-1": expected one of us-east-1, eu-west-1, eu-west-2',
    ],
    [
      'a global region Berth has no zones for',
      { global: { account: '333333333333', region: 'ap-south-1' } },
      'berth.config.ts: global.region = "ap-south-1": expected one of us-east-1, eu-west-1, eu-west-2',
    ],
  ];
  for (const [what, changes, message] of cases) {
    test(what, () => rejectsConfig(shop(changes), message));
  }

  test('not an object', () =>
    rejectsConfig(42, 'berth.config.ts: the default export must be defineConfig({ ... }), got 42'));
});

describe('loadConfig: the nearest berth.config.ts, or --config', () => {
  /** A repository with a config at its root and a nested working directory. */
  function repository(config: string): { root: string; nested: string } {
    const root = mkdtempSync(path.join(tmpdir(), 'berth-config-'));
    const nested = path.join(root, 'src', 'deep');
    mkdirSync(nested, { recursive: true });
    writeFileSync(path.join(root, 'berth.config.ts'), config);
    return { root, nested };
  }
  // Type annotations on purpose: the file is TypeScript, loaded without a compiler.
  const SOURCE = `const port: number = 8000;\nexport default ${JSON.stringify({ ...SHOP, services: { web: { type: 'web', port: 0 } } }).replace('"port":0', '"port":port')};\n`;

  test('found by walking up from the working directory; the project root is its directory', async () => {
    const { root, nested } = repository(SOURCE);
    assert.equal(findConfigFile(nested), path.join(root, 'berth.config.ts'));
    const loaded = await loadConfig({ cwd: nested });
    assert.equal(loaded.projectRoot, root);
    assert.equal(webService(loaded.environments.test).containerPort, 8000);
  });

  test('--config names another file, relative to the working directory', async () => {
    const { root } = repository('export default 1;\n');
    writeFileSync(path.join(root, 'other.config.ts'), SOURCE);
    const loaded = await loadConfig({ cwd: root, configPath: 'other.config.ts' });
    assert.equal(loaded.file, path.join(root, 'other.config.ts'));
    assert.equal(loaded.app, 'shop');
  });

  test('errors name the file as the user would type it', async () => {
    const { nested } = repository(SOURCE.replace('"account":"111111111111"', '"account":"1111"'));
    await assert.rejects(loadConfig({ cwd: nested }), {
      message:
        '../../berth.config.ts: environments.test.account = "1111": expected a 12-digit AWS account id',
    });
  });

  test('no config anywhere above', () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'berth-noconfig-'));
    assert.throws(() => findConfigFile(empty), {
      message: `no berth.config.ts in ${empty} or any directory above it: run \`berth init\` in your repository to write one, or pass --config <path>`,
    });
  });

  test('a --config that does not exist', async () => {
    const { root } = repository(SOURCE);
    await assert.rejects(loadConfig({ cwd: root, configPath: 'nope.ts' }), {
      message: 'nope.ts: no such file (--config names the berth.config.ts to use)',
    });
  });

  test('a file without a default export', async () => {
    const { root } = repository('export const config = {};\n');
    await assert.rejects(loadConfig({ cwd: root }), {
      message: 'berth.config.ts: has no default export: end it with export default defineConfig({ ... })',
    });
  });

  test('a Node without type stripping gets one line saying so', () => {
    assert.throws(
      () => assertTypeStripping({ typescript: false }),
      /needs Node's built-in TypeScript support/,
    );
    assert.doesNotThrow(() => assertTypeStripping({ typescript: 'strip' }));
  });
});
