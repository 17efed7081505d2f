import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { parse } from 'yaml';
import type { EnvironmentConfig, EnvName } from '../config/environments.js';
import { resolveConfig } from '../config/resolve.js';
import { accountLayoutWarnings, ConfigError, validateGlobal } from '../config/validate.js';
import {
  type BootstrapConfig,
  bootstrapCommand,
  bootstrapRegions,
  EXECUTION_SERVICES,
  executionPolicy,
} from '../lib/bootstrap.js';
import { bootstrapFiles } from '../lib/bootstrap-files.js';
import { bootstrapTemplate } from '../lib/bootstrap-template.js';
import { CART, ENVIRONMENTS, GLOBAL, GLOBAL_STACK_NAME } from './fixtures/cart-config.js';
import { createCartApp, withEnvironment } from './fixtures/platform.js';

const ROOT = new URL('../../', import.meta.url);
const ACCOUNT = '123456789012';

/** The CDK's stock bootstrap template (infra's pinned aws-cdk; the CLI passes its toolkit's, tested there). */
const STOCK = readFileSync(
  new URL('../../node_modules/aws-cdk/lib/api/bootstrap/bootstrap-template.yaml', import.meta.url),
  'utf8',
);

/**
 * Another team's app, `shop`: test and prod in separate accounts, prod in two regions. Every name in its
 * bootstrap must be its own (`Shop-Test-*`, `shop-ci-*`), none the cart's.
 */
const SHOP: BootstrapConfig = resolveConfig({
  app: 'shop',
  github: { repository: 'acme/shop' },
  services: { web: { type: 'web', port: 8080 } },
  environments: {
    test: { account: '111111111111', regions: ['eu-west-2'] },
    prod: {
      account: '222222222222',
      regions: ['us-east-1', 'eu-west-2'],
      alarms: { email: 'oncall@shop.example' },
    },
  },
});

describe('bootstrapCommand', () => {
  test('test: write the files, then its own policy, qualifier and toolkit stack, in its region', () => {
    assert.equal(
      bootstrapCommand(CART, 'test'),
      'npx berth bootstrap test\n' +
        'aws iam create-policy --policy-name berth-test-cfn-execution --policy-document file://.berth/bootstrap/test/execution-policy.json\n' +
        'npx aws-cdk@2 bootstrap aws://123456789012/eu-west-1 --qualifier berthtest --toolkit-stack-name CDKToolkit-berthtest ' +
        '--template .berth/bootstrap/test/bootstrap-template.yaml ' +
        '--cloudformation-execution-policies arn:aws:iam::123456789012:policy/berth-test-cfn-execution',
    );
  });

  test('another app: its names, its accounts, one bootstrap per region prod needs', () => {
    assert.deepEqual(bootstrapRegions(SHOP, 'test'), ['eu-west-2']);
    assert.deepEqual(bootstrapRegions(SHOP, 'prod'), ['us-east-1', 'eu-west-2']);
    assert.equal(
      bootstrapCommand(SHOP, 'prod'),
      'npx berth bootstrap prod\n' +
        'aws iam create-policy --policy-name shop-prod-cfn-execution --policy-document file://.berth/bootstrap/prod/execution-policy.json\n' +
        'npx aws-cdk@2 bootstrap aws://222222222222/us-east-1 --qualifier shopprod --toolkit-stack-name CDKToolkit-shopprod ' +
        '--template .berth/bootstrap/prod/bootstrap-template.yaml ' +
        '--cloudformation-execution-policies arn:aws:iam::222222222222:policy/shop-prod-cfn-execution\n' +
        'npx aws-cdk@2 bootstrap aws://222222222222/eu-west-2 --qualifier shopprod --toolkit-stack-name CDKToolkit-shopprod ' +
        '--template .berth/bootstrap/prod/bootstrap-template.yaml ' +
        '--cloudformation-execution-policies arn:aws:iam::222222222222:policy/shop-prod-cfn-execution',
    );
  });

  test('docs/deploy.md shows exactly these commands', () => {
    const guide = readFileSync(new URL('docs/deploy.md', ROOT), 'utf8');
    for (const env of ['test', 'prod'] as const) {
      for (const line of bootstrapCommand(CART, env).split('\n')) assert.ok(guide.includes(line), line);
    }
  });

  test('prod in another region names that region and prod everywhere', () => {
    const command = bootstrapCommand(CART, 'prod', 'us-east-1');
    assert.match(
      command,
      /aws:\/\/123456789012\/us-east-1 --qualifier berthprod --toolkit-stack-name CDKToolkit-berthprod/,
    );
    assert.match(command, /policy\/berth-prod-cfn-execution$/);
    assert.doesNotMatch(command, /test/);
  });
});

describe('bootstrap files: generated from the config, named after its app', () => {
  test('the files `berth bootstrap` writes are the paths the commands name', () => {
    const files = bootstrapFiles(SHOP, 'test', STOCK);
    assert.deepEqual(
      files.map((f) => f.path),
      ['.berth/bootstrap/test/execution-policy.json', '.berth/bootstrap/test/bootstrap-template.yaml'],
    );
    const command = bootstrapCommand(SHOP, 'test');
    assert.ok(command.includes('file://.berth/bootstrap/test/execution-policy.json'));
    assert.ok(command.includes('--template .berth/bootstrap/test/bootstrap-template.yaml'));
    assert.deepEqual(JSON.parse(files[0]!.text), executionPolicy(SHOP, 'test'));
  });

  test("shop's test policy: IAM only under Shop-Test-*, nothing of Shop-Prod-*, no Berth names", () => {
    const [policy] = bootstrapFiles(SHOP, 'test', STOCK);
    const document = JSON.parse(policy!.text) as { Statement: { Sid: string; Resource: unknown }[] };
    const resources = (sid: string) => document.Statement.find((s) => s.Sid === sid)?.Resource;
    assert.deepEqual(resources('OwnIamOnly'), [
      'arn:aws:iam::*:role/Shop-Test-*',
      'arn:aws:iam::*:instance-profile/Shop-Test-*',
      'arn:aws:iam::*:policy/Shop-Test-*',
    ]);
    assert.deepEqual(resources('NoBucketsOfOtherEnvironments'), [
      'arn:aws:s3:::shop-prod-*',
      'arn:aws:s3:::shop-prod-*/*',
    ]);
    assert.doesNotMatch(policy!.text, /berth/i);
  });

  test("shop's prod policy also covers Shop-Global and the shop-ci-* roles", () => {
    const document = executionPolicy(SHOP, 'prod');
    assert.deepEqual(document.Statement.find((s) => s.Sid === 'OwnIamOnly')?.Resource, [
      'arn:aws:iam::*:role/Shop-Prod-*',
      'arn:aws:iam::*:instance-profile/Shop-Prod-*',
      'arn:aws:iam::*:policy/Shop-Prod-*',
      'arn:aws:iam::*:role/shop-ci-*',
      'arn:aws:iam::*:role/Shop-Global-*',
      'arn:aws:iam::*:policy/Shop-Global-*',
      'arn:aws:iam::*:oidc-provider/token.actions.githubusercontent.com',
    ]);
  });

  test("shop's bootstrap template: the deploy role changes Shop-Test-* stacks and reads /shop/test/ami/*", () => {
    const template = parse(bootstrapFiles(SHOP, 'test', STOCK)[1]!.text);
    const statements = template.Resources.DeploymentActionRole.Properties.Policies[0].PolicyDocument
      .Statement as { Sid?: string; Resource: unknown }[];
    const stack = {
      'Fn::Sub': `arn:\${AWS::Partition}:cloudformation:\${AWS::Region}:\${AWS::AccountId}:stack/Shop-Test-*/*`,
    };
    assert.deepEqual(statements.find((s) => s.Sid === 'DeployPermissions')?.Resource, [stack]);
    assert.deepEqual(statements.find((s) => s.Sid === 'ReadBerthParameters')?.Resource, {
      'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/shop/test/ami/*`,
    });
    assert.equal(
      template.Parameters.BootstrapVariant.Default,
      'Berth test: deploy role limited to its stacks',
    );
  });

  test('allow every service whose resources the environment stacks create, every optional feature on', () => {
    // CloudFormation type namespace → IAM service prefix (AWS Service Authorization Reference).
    const prefix: Record<string, string> = {
      ApplicationAutoScaling: 'application-autoscaling',
      AutoScaling: 'autoscaling',
      CertificateManager: 'acm',
      CloudWatch: 'cloudwatch',
      EC2: 'ec2',
      ECS: 'ecs',
      ElasticLoadBalancingV2: 'elasticloadbalancing',
      KMS: 'kms',
      Lambda: 'lambda',
      Logs: 'logs',
      RDS: 'rds',
      Route53: 'route53',
      S3: 's3',
      SecretsManager: 'secretsmanager',
      SNS: 'sns',
      SQS: 'sqs',
      WAFv2: 'wafv2',
    };
    const assembly = withEnvironment('prod', withEveryFeature, () => createCartApp().synth());
    const used = new Set<string>();
    for (const stack of assembly.stacks.filter((s) => s.stackName !== GLOBAL_STACK_NAME)) {
      for (const resource of Object.values(stack.template.Resources as Record<string, { Type: string }>)) {
        // A custom resource's ServiceToken is a Lambda function CloudFormation invokes (AWS, "Custom resources").
        const namespace = resource.Type.startsWith('Custom::') ? 'Lambda' : resource.Type.split('::')[1]!;
        if (namespace === 'IAM') continue; // allowed by name, see OwnIamOnly
        assert.ok(prefix[namespace], `no IAM prefix known for ${resource.Type}`);
        used.add(prefix[namespace]);
      }
    }
    assert.deepEqual([...used].sort(), [...EXECUTION_SERVICES].sort());
  });

  async function outcome(
    env: EnvName,
    action: string,
    resource: string,
    context: Record<string, string> = {},
  ) {
    const result = await runSimulation(
      {
        request: {
          principal: `arn:aws:iam::${ACCOUNT}:role/cdk-exec`,
          action,
          resource: { resource, accountId: ACCOUNT },
          contextVariables: context,
        },
        identityPolicies: [{ name: 'execution', policy: executionPolicy(CART, env) }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
    if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
    return result.overallResult;
  }

  const vpc = `arn:aws:ec2:eu-west-1:${ACCOUNT}:vpc/vpc-0abc1234def567890`;
  const ciRole = `arn:aws:iam::${ACCOUNT}:role/berth-ci-deploy-prod`;

  test("test's execution role: its own resources yes, prod's and global's no", async () => {
    assert.equal(
      await outcome('test', 'ec2:CreateVpc', vpc, { 'aws:RequestTag/Environment': 'test' }),
      'Allowed',
    );
    assert.equal(
      await outcome(
        'test',
        'iam:CreateRole',
        `arn:aws:iam::${ACCOUNT}:role/Berth-Test-eu-west-1-Service-TaskRole1A2B`,
      ),
      'Allowed',
    );
    assert.equal(
      await outcome('test', 'ec2:DeleteVpc', vpc, { 'aws:ResourceTag/Environment': 'prod' }),
      'ExplicitlyDenied',
    );
    assert.equal(
      await outcome('test', 'ec2:CreateVpc', vpc, { 'aws:RequestTag/Environment': 'prod' }),
      'ExplicitlyDenied',
    );
    assert.notEqual(await outcome('test', 'iam:UpdateAssumeRolePolicy', ciRole), 'Allowed');
    assert.notEqual(
      await outcome(
        'test',
        'iam:PutRolePolicy',
        `arn:aws:iam::${ACCOUNT}:role/Berth-Prod-eu-west-1-Service-TaskRole1A2B`,
      ),
      'Allowed',
    );
    assert.equal(
      await outcome('test', 's3:DeleteBucket', 'arn:aws:s3:::berth-prod-eu-west-1-service-accesslogs1a2b'),
      'ExplicitlyDenied',
    );
    assert.equal(
      await outcome(
        'test',
        'ecr:DeleteRepository',
        `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/berth/service`,
        {
          'aws:ResourceTag/Environment': 'global',
        },
      ),
      'ExplicitlyDenied',
    );
  });

  test("prod's execution role also deploys Berth-Global (CI roles, OIDC provider, registry), never test", async () => {
    assert.equal(await outcome('prod', 'iam:UpdateAssumeRolePolicy', ciRole), 'Allowed');
    assert.equal(
      await outcome(
        'prod',
        'iam:CreateOpenIDConnectProvider',
        `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`,
      ),
      'Allowed',
    );
    assert.equal(
      await outcome('prod', 'ec2:DeleteVpc', vpc, { 'aws:ResourceTag/Environment': 'test' }),
      'ExplicitlyDenied',
    );
  });
});

describe('stacks deploy through their environment’s bootstrap roles', () => {
  const assembly = createCartApp().synth();
  test('test stacks assume cdk-berthtest roles; prod stacks and Berth-Global assume cdk-berthprod roles', () => {
    for (const stack of assembly.stacks) {
      const qualifier = stack.stackName.startsWith('Berth-Test-') ? 'berthtest' : 'berthprod';
      assert.match(
        stack.assumeRoleArn ?? '',
        new RegExp(`role/cdk-${qualifier}-deploy-role-`),
        stack.stackName,
      );
    }
  });
});

describe('account layout warnings', () => {
  const withQualifiers = (test: string, prod: string, prodAccount = ACCOUNT) =>
    ({
      test: { ...ENVIRONMENTS.test, account: ACCOUNT, bootstrapQualifier: test },
      prod: { ...ENVIRONMENTS.prod, account: prodAccount, bootstrapQualifier: prod },
    }) as Record<EnvName, EnvironmentConfig>;

  test('one shared account and one qualifier: a warning that names the field and the fix', () => {
    const [warning, ...rest] = accountLayoutWarnings(withQualifiers('hnb659fds', 'hnb659fds'));
    assert.equal(rest.length, 0);
    assert.match(warning ?? '', /share account 123456789012 and bootstrap qualifier "hnb659fds"/);
    assert.match(warning ?? '', /environments.<env>.bootstrapQualifier in berth.config.ts/);
  });

  test('distinct qualifiers, or separate accounts: no warning', () => {
    assert.deepEqual(accountLayoutWarnings(withQualifiers('qa', 'qb')), []);
    assert.deepEqual(accountLayoutWarnings(withQualifiers('same', 'same', '210987654321')), []);
  });
});

describe('validateGlobal', () => {
  test('accepts an existing GitHub provider in the same account', () => {
    const arn = `arn:aws:iam::${GLOBAL.account}:oidc-provider/token.actions.githubusercontent.com`;
    assert.equal(validateGlobal({ ...GLOBAL, githubOidcProviderArn: arn }).githubOidcProviderArn, arn);
  });

  test('refuses a provider that is not GitHub’s, or is in another account, naming the field', () => {
    assert.throws(
      () =>
        validateGlobal({
          ...GLOBAL,
          githubOidcProviderArn: `arn:aws:iam::${GLOBAL.account}:oidc-provider/gitlab.com`,
        }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /global\.githubOidcProviderArn.*list-open-id-connect-providers/.test(error.message),
    );
    assert.throws(
      () =>
        validateGlobal({
          ...GLOBAL,
          githubOidcProviderArn:
            'arn:aws:iam::999999999999:oidc-provider/token.actions.githubusercontent.com',
        }),
      /global\.githubOidcProviderArn.*a provider in global\.account/,
    );
  });

  test('refuses a repository that is not owner/name', () => {
    assert.throws(() => validateGlobal({ ...GLOBAL, githubRepository: 'berth' }), /global\.githubRepository/);
  });
});

describe("bootstrap templates: the deploy role changes only its environment's stacks", () => {
  interface Statement {
    Sid?: string;
    Effect: string;
    Action: string | string[];
    Resource: unknown;
  }
  /** The deploy role's CloudFormation statements, with the pseudo parameters CloudFormation substitutes. */
  function deployRoleStackPolicy(env: EnvName) {
    const template = parse(bootstrapTemplate(CART, env, STOCK));
    const statements = template.Resources.DeploymentActionRole.Properties.Policies[0].PolicyDocument
      .Statement as Statement[];
    const sub = (text: string) =>
      text
        .replaceAll('$' + '{AWS::Partition}', 'aws')
        .replaceAll('$' + '{AWS::Region}', 'eu-west-1')
        .replaceAll('$' + '{AWS::AccountId}', ACCOUNT);
    const stackStatements = statements
      .filter((st) => [st.Action].flat().some((a) => a.startsWith('cloudformation:')))
      .map((st) => ({
        ...st,
        Resource:
          st.Resource === '*'
            ? '*'
            : ([st.Resource].flat() as { 'Fn::Sub': string }[]).map((r) => sub(r['Fn::Sub'])),
      }));
    return { Version: '2012-10-17', Statement: stackStatements };
  }

  async function canUpdate(env: EnvName, stack: string, action = 'cloudformation:UpdateStack') {
    const result = await runSimulation(
      {
        request: {
          principal: `arn:aws:iam::${ACCOUNT}:role/cdk-deploy`,
          action,
          resource: {
            resource: `arn:aws:cloudformation:eu-west-1:${ACCOUNT}:stack/${stack}/0a1b2c3d`,
            accountId: ACCOUNT,
          },
          contextVariables: {},
        },
        identityPolicies: [{ name: 'deploy', policy: deployRoleStackPolicy(env) }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
    if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
    return result.overallResult === 'Allowed';
  }

  test("test's deploy role: its stacks yes; prod's stacks and Berth-Global no", async () => {
    for (const action of [
      'cloudformation:CreateChangeSet',
      'cloudformation:ExecuteChangeSet',
      'cloudformation:DeleteStack',
    ]) {
      assert.equal(await canUpdate('test', 'Berth-Test-eu-west-1-Service', action), true, action);
      assert.equal(await canUpdate('test', 'Berth-Prod-eu-west-1-Service', action), false, action);
      assert.equal(await canUpdate('test', 'Berth-Global', action), false, action);
    }
  });

  test("prod's deploy role: prod's stacks and Berth-Global; never test's", async () => {
    assert.equal(await canUpdate('prod', 'Berth-Prod-eu-west-1-Data'), true);
    assert.equal(await canUpdate('prod', 'Berth-Global'), true);
    assert.equal(await canUpdate('prod', 'Berth-Test-eu-west-1-Data'), false);
  });

  test('the rest of the stock template is unchanged (same resources, parameters and outputs)', () => {
    const ours = parse(bootstrapTemplate(CART, 'test', STOCK));
    const stock = parse(STOCK);
    assert.deepEqual(Object.keys(ours.Resources), Object.keys(stock.Resources));
    const { BootstrapVariant, ...parameters } = ours.Parameters;
    const { BootstrapVariant: stockVariant, ...stockParameters } = stock.Parameters;
    assert.deepEqual(parameters, stockParameters);
    assert.equal(BootstrapVariant.Default, 'Berth test: deploy role limited to its stacks');
    assert.notEqual(stockVariant.Default, BootstrapVariant.Default);
    assert.deepEqual(ours.Outputs, stock.Outputs);
    assert.deepEqual(ours.Resources.CloudFormationExecutionRole, stock.Resources.CloudFormationExecutionRole);
  });
});

/** Prod with every optional resource on, so the execution policy is checked against all a config can create. */
function withEveryFeature(config: EnvironmentConfig): EnvironmentConfig {
  return {
    ...config,
    network: { ...config.network, vpcEndpoints: true },
    domain: {
      name: 'shop.berth-example.net',
      hostedZone: { id: 'Z0123456789ABCDEFGHIJ', name: 'berth-example.net' },
    },
    // A queue on the worker: SQS queues and their policies.
    services: config.services.map((s) =>
      s.kind === 'worker'
        ? {
            ...s,
            queue: {
              visibilityTimeoutSeconds: 30,
              retentionDays: 4,
              maxReceiveCount: 5,
              maxMessageAgeMinutes: 15,
            },
          }
        : s,
    ),
  };
}
