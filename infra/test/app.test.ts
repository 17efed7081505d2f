import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { EnvironmentConfig } from '../config/environments.js';
import { availabilityZoneContext, FEATURE_FLAGS } from '../lib/app.js';
import {
  COMPONENTS,
  IMAGE_CONTEXT_KEY,
  OUTPUTS,
  PLACEHOLDER_IMAGE,
  PRODUCTION_WEIGHTS_CONTEXT_KEY,
} from '../lib/naming.js';
import { deployRoleOutputKey } from '../lib/stacks/global-stack.js';
import { GLOBAL, GLOBAL_STACK_NAME, stackName } from './fixtures/cart-config.js';
import {
  createCartApp,
  DIGEST,
  REGION,
  type SynthesizedApp,
  synthesize,
  withEnvironment,
} from './fixtures/platform.js';
import { exportsBrokenInUse, importsOf } from './support/cross-stack.js';
import { withWebService } from './support/web-services.js';

const name = (env: 'test' | 'prod', component: (typeof COMPONENTS)[number]) =>
  stackName(env, REGION, component);

// GIVEN the whole platform, both environments, with cdk-nag and CloudFormation schema validation on.
// Synthesized once for this file (~5-10 s); every test below reads the same cloud assembly.
const app = synthesize();

describe('createApp: both environments', () => {
  test('synthesizes with no unacknowledged cdk-nag finding and no schema error', () => {
    assert.deepEqual(
      app.nagViolations,
      [],
      app.nagViolations.map((v) => `${v.rule} at ${v.path}`).join('\n'),
    );
    assert.equal(app.synthError, null, String(app.synthError));
  });

  test('the Global stack plus four component stacks per environment and region, bound to account and region', () => {
    const expected = [
      GLOBAL_STACK_NAME,
      ...(['test', 'prod'] as const).flatMap((env) => COMPONENTS.map((c) => name(env, c))),
    ];
    assert.deepEqual([...app.stackNames].sort(), [...expected].sort());
    for (const stack of expected) {
      assert.equal(app.stack(stack).environment, `aws://${GLOBAL.account}/${REGION}`, stack);
    }
  });

  test('deploy order: Global and Network first, then Data, Service, Monitoring', () => {
    for (const env of ['test', 'prod'] as const) {
      assert.deepEqual(app.dependencies(name(env, 'Network')), []);
      assert.deepEqual(app.dependencies(name(env, 'Data')), [name(env, 'Network')]);
      assert.deepEqual(
        [...app.dependencies(name(env, 'Service'))].sort(),
        [GLOBAL_STACK_NAME, name(env, 'Network'), name(env, 'Data')].sort(),
      );
      assert.ok(app.dependencies(name(env, 'Monitoring')).includes(name(env, 'Service')));
    }
    assert.deepEqual(app.dependencies(GLOBAL_STACK_NAME), []);
  });

  test('every stack is tagged with project, environment and component', () => {
    assert.deepEqual(app.stack(GLOBAL_STACK_NAME).tags, {
      Project: 'berth',
      Environment: 'global',
      Component: 'Global',
    });
    for (const env of ['test', 'prod'] as const) {
      for (const component of COMPONENTS) {
        assert.deepEqual(app.stack(name(env, component)).tags, {
          Project: 'berth',
          Environment: env,
          Component: component,
        });
      }
    }
    // Tags reach the resources too (the CI role's ecs:UpdateService condition relies on it).
    app.template(name('prod', 'Service')).hasResourceProperties('AWS::ECS::Service', {
      Tags: Match.arrayWith([{ Key: 'Environment', Value: 'prod' }]),
    });
  });

  test('outputs the CLI and the smoke test read', () => {
    const outputs = (stack: string) => Object.keys(app.json(stack).Outputs ?? {});
    for (const env of ['test', 'prod'] as const) {
      for (const key of [
        OUTPUTS.serviceUrl,
        OUTPUTS.repositoryUri,
        OUTPUTS.clusterName,
        'WebServiceName',
        'WebLogGroupName',
        'WebTargetGroupArn',
        OUTPUTS.autoScalingGroupName,
      ]) {
        assert.ok(outputs(name(env, 'Service')).includes(key), `${env} Service lacks ${key}`);
      }
      // The one-service keys are gone: every reader takes a service's outputs by its name.
      for (const key of ['ServiceName', 'LogGroupName', 'TargetGroupArn', 'ProductionRuleArn']) {
        assert.equal(outputs(name(env, 'Service')).includes(key), false, `${env} Service still has ${key}`);
      }
      assert.deepEqual(
        outputs(name(env, 'Monitoring')).sort(),
        [OUTPUTS.alarmTopicArn, OUTPUTS.dashboardUrl].sort(),
      );
    }
    assert.ok(outputs(GLOBAL_STACK_NAME).includes(OUTPUTS.repositoryUri));
    assert.ok(outputs(GLOBAL_STACK_NAME).includes(deployRoleOutputKey('test')));
    assert.ok(outputs(GLOBAL_STACK_NAME).includes(deployRoleOutputKey('prod')));
  });

  test('prod differs from test: two NATs, Multi-AZ protected database, bigger cluster, termination protection', () => {
    app.template(name('test', 'Network')).resourceCountIs('AWS::EC2::NatGateway', 1);
    app.template(name('prod', 'Network')).resourceCountIs('AWS::EC2::NatGateway', 2);
    app.template(name('test', 'Data')).hasResource('AWS::RDS::DBInstance', {
      Properties: Match.objectLike({ MultiAZ: false, DeletionProtection: false }),
      DeletionPolicy: 'Delete',
    });
    app.template(name('prod', 'Data')).hasResource('AWS::RDS::DBInstance', {
      Properties: Match.objectLike({ MultiAZ: true, DeletionProtection: true }),
      DeletionPolicy: 'Snapshot',
    });
    app.template(name('test', 'Service')).hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '1',
    });
    app.template(name('prod', 'Service')).hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '2',
    });
    app
      .template(name('prod', 'Network'))
      .hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.1.0.0/16' });
    app
      .template(name('test', 'Network'))
      .hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16' });
    assert.equal(app.stack(name('prod', 'Data')).terminationProtection, true);
    assert.equal(app.stack(name('test', 'Data')).terminationProtection, false);
  });

  test('the database admits the instances through a rule in the Service stack (no Data → Service reference)', () => {
    const service = app.template(name('test', 'Service'));
    service.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 5432,
      ToPort: 5432,
      GroupId: { 'Fn::ImportValue': Match.stringLikeRegexp(name('test', 'Data')) },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('InstanceSecurityGroup'), 'GroupId'] },
    });
    const imports = JSON.stringify(app.json(name('test', 'Data'))).match(/"Fn::ImportValue":"[^":]+/g) ?? [];
    assert.deepEqual([...new Set(imports)], [`"Fn::ImportValue":"${name('test', 'Network')}`]);
    app.template(name('test', 'Data')).resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  test('the task reads the database credentials from the Data stack secret', () => {
    const taskDef = JSON.stringify(
      app.template(name('test', 'Service')).findResources('AWS::ECS::TaskDefinition'),
    );
    for (const variable of ['PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE']) {
      assert.match(taskDef, new RegExp(`"Name":"${variable}"`));
    }
    assert.match(taskDef, new RegExp(`Fn::ImportValue":"${name('test', 'Data')}`));
  });

  test('without an image the stacks carry the placeholder and a warning', () => {
    const warnings = app
      .metadata(name('test', 'Service'))
      .filter((m) => m.type === 'aws:cdk:warning' && String(m.data).includes(IMAGE_CONTEXT_KEY));
    assert.equal(warnings.length, 1);
    const taskDef = JSON.stringify(
      app.template(name('test', 'Service')).findResources('AWS::ECS::TaskDefinition'),
    );
    assert.match(taskDef, new RegExp(PLACEHOLDER_IMAGE));
  });

  test('the registry replicates nowhere while every environment runs in the primary region', () => {
    app.template(GLOBAL_STACK_NAME).resourceCountIs('AWS::ECR::ReplicationConfiguration', 0);
    app.template(GLOBAL_STACK_NAME).resourceCountIs('AWS::ECR::Repository', 1);
  });
});

describe('createApp: options', () => {
  test('a digest from context reaches the task definition, with no placeholder warning', () => {
    // WHEN only test is built, with an image digest
    const withImage = synthesize({ environments: ['test'], context: { [IMAGE_CONTEXT_KEY]: DIGEST } });
    assert.equal(withImage.synthError, null, String(withImage.synthError));
    assert.ok(!withImage.stackNames.some((s) => s.includes('Prod')));
    const taskDef = JSON.stringify(
      withImage.template(name('test', 'Service')).findResources('AWS::ECS::TaskDefinition'),
    );
    assert.match(taskDef, new RegExp(`@${DIGEST}`));
    const warnings = withImage
      .metadata(name('test', 'Service'))
      .filter((m) => m.type === 'aws:cdk:warning' && String(m.data).includes(IMAGE_CONTEXT_KEY));
    assert.deepEqual(warnings, []);
  });

  test('an image that is neither a digest nor a tag is refused with the key and an example', () => {
    for (const bad of ['sha256:abc', 'not a tag', '-leading-dash', 42]) {
      assert.throws(
        () => createCartApp({ environments: ['test'], context: { [IMAGE_CONTEXT_KEY]: bad } }),
        new RegExp(
          `context ${IMAGE_CONTEXT_KEY} = ${JSON.stringify(bad).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: expected a digest`,
        ),
      );
    }
  });

  test('live production weights from context reach the rule, and the rule ARN is an output to read them from', () => {
    const live = synthesize({
      environments: ['test'],
      context: { [PRODUCTION_WEIGHTS_CONTEXT_KEY]: '0/100' },
    });
    assert.equal(live.synthError, null, String(live.synthError));
    const service = live.json(name('test', 'Service'));
    const rule = Object.values(service.Resources as Record<string, Resource>).find(
      (r) => r.Type === 'AWS::ElasticLoadBalancingV2::ListenerRule',
    )!;
    const weights = rule.Properties!.Actions[0].ForwardConfig.TargetGroups.map(
      (g: { Weight: number }) => g.Weight,
    );
    assert.deepEqual(weights, [0, 100]);
    assert.ok(Object.keys(service.Outputs).includes('WebProductionRuleArn'));
    const warnings = live
      .metadata(name('test', 'Service'))
      .filter((m) => m.type === 'aws:cdk:warning' && String(m.data).includes(PRODUCTION_WEIGHTS_CONTEXT_KEY));
    assert.deepEqual(warnings, []);
  });

  test('production weights that are not <primary>/<alternate> are refused with the key and an example', () => {
    for (const bad of ['100', '0/0', 'a/b', '1000/0']) {
      assert.throws(
        () => createCartApp({ environments: ['test'], context: { [PRODUCTION_WEIGHTS_CONTEXT_KEY]: bad } }),
        new RegExp(`context ${PRODUCTION_WEIGHTS_CONTEXT_KEY} = "${bad}": expected <primary>/<alternate>`),
      );
    }
  });

  test('an unknown environment is refused before anything is built', () => {
    assert.throws(
      () => createCartApp({ environments: ['staging' as 'test'] }),
      /config environment = "staging"/,
    );
  });

  test('building and synthesizing the app writes nothing to the working directory', () => {
    // GIVEN the working directory's entries; WHEN the app is built and synthesized with no outdir
    const before = readdirSync(process.cwd()).sort();
    const built = createCartApp({ environments: ['test'] });
    const assembly = built.synth();
    // THEN the assembly went elsewhere (a temporary directory) and the directory is unchanged
    assert.ok(!resolve(assembly.directory).startsWith(resolve(process.cwd())), assembly.directory);
    assert.deepEqual(readdirSync(process.cwd()).sort(), before);
    const stacks = built.node.children.filter((c) => Stack.isStack(c)).map((s) => (s as Stack).stackName);
    assert.deepEqual(stacks, [GLOBAL_STACK_NAME, ...COMPONENTS.map((c) => name('test', c))]);
  });

  test('cdk.json carries the same feature flags as createApp, and nothing of one user’s accounts', () => {
    const cdkJson = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8'));
    assert.equal(cdkJson.app, 'npx tsx bin/app.ts');
    assert.deepEqual(cdkJson.context, FEATURE_FLAGS);
  });

  test('createApp gives every account of the config its fixed zones (no lookup)', () => {
    const app = createCartApp({ environments: ['test'] });
    for (const [key, value] of Object.entries(availabilityZoneContext(GLOBAL.account))) {
      assert.deepEqual(app.node.tryGetContext(key), value, key);
    }
  });
});

// biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON
type Resource = { Type: string; Properties?: Record<string, any>; DeletionPolicy?: string };
const resourcesOf = (synth: SynthesizedApp, stack: string): [string, Resource][] =>
  Object.entries((synth.json(stack).Resources ?? {}) as Record<string, Resource>);

/** Physical names unique per account whatever the region (AWS: CloudWatch dashboards, IAM). */
const ACCOUNT_WIDE_NAMES = ['DashboardName', 'RoleName', 'ManagedPolicyName', 'InstanceProfileName'];
/** Physical names unique per account and region. */
const REGIONAL_NAMES = [
  'LogGroupName',
  'RepositoryName',
  'DBInstanceIdentifier',
  'AlarmName',
  'TopicName',
  'ClusterName',
  'BucketName',
];

describe('changes over running stacks', () => {
  const prodOnly = (change: (c: EnvironmentConfig) => EnvironmentConfig) =>
    withEnvironment('prod', change, () => synthesize({ environments: ['prod'] }));

  test('Monitoring imports nothing: it reads Service and Data by weak reference (Fn::GetStackOutput)', () => {
    const monitoring = app.json(name('prod', 'Monitoring'));
    assert.deepEqual([...importsOf(monitoring)], []);
    assert.match(
      JSON.stringify(monitoring),
      /"Fn::GetStackOutput":\{"StackName":"Berth-Prod-eu-west-1-Service"/,
    );
  });

  test('turning the domain (HTTPS) on removes or changes no export another stack imports', () => {
    const https = prodOnly((c) => ({
      ...c,
      domain: { name: 'www.berth-shop.org', hostedZone: { id: 'Z2FDTNDATAQYW2', name: 'berth-shop.org' } },
    }));
    assert.equal(https.synthError, null, String(https.synthError));
    assert.deepEqual(exportsBrokenInUse(app, https), []);
  });

  test('switching prod from blue-green to rolling removes or changes no export another stack imports', () => {
    const rolling = prodOnly((c) =>
      withWebService(c, (web) => ({ ...web, deployment: { ...web.deployment, strategy: 'rolling' } })),
    );
    assert.equal(rolling.synthError, null, String(rolling.synthError));
    assert.deepEqual(exportsBrokenInUse(app, rolling), []);
  });

  test('a second region claims no account-wide name twice and no regional name twice in one region', () => {
    const twoRegions = withEnvironment(
      'test',
      (c) => ({ ...c, regions: ['eu-west-1', 'eu-west-2'] }),
      () => synthesize({ environments: ['test'] }),
    );
    assert.equal(twoRegions.synthError, null, String(twoRegions.synthError));
    const claims = new Map<string, string[]>();
    for (const stack of twoRegions.stackNames) {
      const region = twoRegions.stack(stack).environment?.split('/').at(-1);
      for (const [id, resource] of resourcesOf(twoRegions, stack)) {
        for (const [key, value] of Object.entries(resource.Properties ?? {})) {
          if (typeof value !== 'string') continue;
          const scope = ACCOUNT_WIDE_NAMES.includes(key)
            ? 'account'
            : REGIONAL_NAMES.includes(key)
              ? region
              : null;
          if (!scope) continue;
          const claim = `${scope} ${resource.Type} ${key}=${value}`;
          claims.set(claim, [...(claims.get(claim) ?? []), `${stack}/${id}`]);
        }
      }
    }
    const twice = [...claims]
      .filter(([, by]) => by.length > 1)
      .map(([claim, by]) => `${claim}: ${by.join(', ')}`);
    assert.deepEqual(twice, []);
    // and the dashboards are actually there, one per region
    const dashboards = [...claims.keys()].filter((c) => c.includes('DashboardName'));
    assert.deepEqual(dashboards.sort(), [
      'account AWS::CloudWatch::Dashboard DashboardName=berth-test-eu-west-1',
      'account AWS::CloudWatch::Dashboard DashboardName=berth-test-eu-west-2',
    ]);
  });

  test('no environment stack retains a resource under a fixed name (a re-create after teardown would collide)', () => {
    const fixed = (synth: SynthesizedApp, stack: string, policies: string[]) =>
      resourcesOf(synth, stack)
        .filter(([, r]) => policies.includes(r.DeletionPolicy ?? 'Delete'))
        .filter(([, r]) =>
          Object.entries(r.Properties ?? {}).some(
            ([key, value]) =>
              typeof value === 'string' && (ACCOUNT_WIDE_NAMES.includes(key) || REGIONAL_NAMES.includes(key)),
          ),
        )
        .map(([id, r]) => `${stack}/${id} (${r.Type}, ${r.DeletionPolicy})`);
    const environmentStacks = app.stackNames.filter((s) => s !== GLOBAL_STACK_NAME);
    assert.deepEqual(
      environmentStacks.flatMap((s) => fixed(app, s, ['Retain', 'RetainExceptOnCreate'])),
      [],
    );
    // The shared registry outlives environments on purpose (prod runs its images), but a failed first create of
    // the Global stack removes it, so the CLI's ROLLBACK_COMPLETE advice (delete the stack, deploy again) works.
    assert.deepEqual(fixed(app, GLOBAL_STACK_NAME, ['Retain']), []);
  });

  test('test rehearses the deployment strategy prod uses', () => {
    const strategy = (env: 'test' | 'prod') =>
      Object.values(app.template(name(env, 'Service')).findResources('AWS::ECS::Service'))[0]!.Properties
        .DeploymentConfiguration.Strategy;
    assert.equal(strategy('test'), strategy('prod'));
  });
});
