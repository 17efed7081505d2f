import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { parse } from 'yaml';
import type { EnvironmentConfig, EnvName } from '../config/environments.js';
import { accountLayoutWarnings, ConfigError, validateGlobal } from '../config/validate.js';
import {
  bootstrapCommand,
  bootstrapTemplateFile,
  EXECUTION_SERVICES,
  executionPolicy,
  executionPolicyFile,
} from '../lib/bootstrap.js';
import { bootstrapTemplate } from '../lib/bootstrap-template.js';
import { CART, ENVIRONMENTS, GLOBAL, GLOBAL_STACK_NAME } from './fixtures/cart-config.js';
import { createCartApp, withEnvironment } from './fixtures/platform.js';

const ROOT = new URL('../../', import.meta.url);
const ACCOUNT = '123456789012';

describe('bootstrapCommand', () => {
  test('test: its own policy, qualifier and toolkit stack, in its first region', () => {
    assert.equal(
      bootstrapCommand(CART, 'test'),
      'aws iam create-policy --policy-name berth-test-cfn-execution --policy-document file://infra/bootstrap/test-execution-policy.json\n' +
        'npx cdk bootstrap aws://123456789012/eu-west-1 --qualifier berthtest --toolkit-stack-name CDKToolkit-berthtest ' +
        '--template infra/bootstrap/test-bootstrap-template.yaml ' +
        '--cloudformation-execution-policies arn:aws:iam::123456789012:policy/berth-test-cfn-execution',
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

describe('execution policies', () => {
  for (const env of ['test', 'prod'] as const) {
    test(`${executionPolicyFile(env)} is what executionPolicy('${env}') writes (regenerate it if this fails)`, () => {
      const committed = JSON.parse(readFileSync(new URL(executionPolicyFile(env), ROOT), 'utf8'));
      assert.deepEqual(committed, executionPolicy(CART, env));
    });
  }

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
    const template = parse(readFileSync(new URL(bootstrapTemplateFile(env), ROOT), 'utf8'));
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

  for (const env of ['test', 'prod'] as const) {
    test(`${bootstrapTemplateFile(env)} is what bootstrapTemplate('${env}') writes (npm run bootstrap-files -w infra)`, () => {
      // Compared as data: the repository's formatter may re-quote the committed file.
      assert.deepEqual(
        parse(readFileSync(new URL(bootstrapTemplateFile(env), ROOT), 'utf8')),
        parse(bootstrapTemplate(CART, env)),
      );
    });
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
    const ours = parse(bootstrapTemplate(CART, 'test'));
    const stockPath = new URL(
      '../../node_modules/aws-cdk/lib/api/bootstrap/bootstrap-template.yaml',
      import.meta.url,
    );
    const stock = parse(readFileSync(stockPath, 'utf8'));
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
  };
}
