import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { resolveConfig } from '../config/resolve.js';
import { executionPolicy, ownStackPatterns } from '../lib/bootstrap.js';
import { synthesize } from './fixtures/platform.js';

/**
 * Another user's app: its name must reach every name Berth gives AWS (stacks, parameters, repository, roles,
 * the names unique per account), with nothing left of the cart's `berth`. Expected names are literals.
 */
const SHOP = resolveConfig({
  app: 'shop',
  github: { repository: 'acme/shop' },
  services: { web: { type: 'web', port: 8000, healthCheck: { path: '/health' } } },
  environments: {
    test: { account: '111111111111', regions: ['eu-west-1'] },
    prod: { account: '222222222222', regions: ['eu-west-1'], alarms: { email: 'oncall@acme.example' } },
  },
});

describe('another app synthesizes under its own names', () => {
  const app = synthesize({ config: SHOP, environments: ['test'] });
  const raw = (stack: string) => readFileSync(join(app.outdir, `${stack}.template.json`), 'utf8');

  test('synth passes cdk-nag and the schema checks', () => {
    assert.equal(app.synthError, null, app.synthError?.message);
    assert.deepEqual(app.nagViolations, []);
  });

  test('stacks are named after the app', () => {
    assert.deepEqual([...app.stackNames].sort(), [
      'Shop-Global',
      'Shop-Test-eu-west-1-Data',
      'Shop-Test-eu-west-1-Monitoring',
      'Shop-Test-eu-west-1-Network',
      'Shop-Test-eu-west-1-Service',
    ]);
    assert.equal(app.stack('Shop-Test-eu-west-1-Service').tags.Project, 'shop');
  });

  test('the image repository and the CI roles', () => {
    const global = app.template('Shop-Global');
    global.hasResourceProperties('AWS::ECR::Repository', { RepositoryName: 'shop/web' });
    for (const role of ['shop-ci-deploy-test', 'shop-ci-deploy-prod', 'shop-ci-plan', 'shop-ci-ami-build']) {
      global.hasResourceProperties('AWS::IAM::Role', { RoleName: role });
    }
    const text = raw('Shop-Global');
    assert.ok(
      text.includes('parameter/shop/test/image-digest'),
      'test deploy role writes /shop/test/image-digest',
    );
    assert.ok(text.includes('stack/Shop-Test-*/*'), "test deploy role reads the app's test stacks");
  });

  test('the AMI parameter, the database, the dashboard', () => {
    const service = app.json('Shop-Test-eu-west-1-Service');
    const amiParameters = Object.values(service.Parameters ?? {}).map(
      (p) => (p as { Default?: string }).Default,
    );
    assert.ok(amiParameters.includes('/shop/test/ami/x86_64'), JSON.stringify(amiParameters));
    app
      .template('Shop-Test-eu-west-1-Data')
      .hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceIdentifier: 'shop-test' });
    app
      .template('Shop-Test-eu-west-1-Monitoring')
      .hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'shop-test-eu-west-1' });
  });

  test('nothing is named after the cart', () => {
    for (const stack of app.stackNames) {
      assert.doesNotMatch(raw(stack), /Berth-|\/berth\/|berth-ci-|berth-test|berth\/service/, stack);
    }
  });
});

describe("another app's bootstrap policies scope to its own stacks", () => {
  test('the deploy role may change only Shop-Test-* (and prod Shop-Global)', () => {
    assert.deepEqual(ownStackPatterns(SHOP, 'test'), ['Shop-Test-*']);
    assert.deepEqual(ownStackPatterns(SHOP, 'prod'), ['Shop-Prod-*', 'Shop-Global']);
  });

  test('the execution policy names its IAM and buckets', () => {
    const policy = JSON.stringify(executionPolicy(SHOP, 'prod'));
    for (const name of [
      'role/Shop-Prod-*',
      'role/shop-ci-*',
      'role/Shop-Global-*',
      'arn:aws:s3:::shop-test-*',
    ]) {
      assert.ok(policy.includes(name), name);
    }
    assert.doesNotMatch(policy, /Berth|berth/);
  });
});
