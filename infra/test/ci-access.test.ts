import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { CiAccess } from '../lib/constructs/ci-access.js';
import { GLOBAL, NAMES, PARAMETERS } from './fixtures/cart-config.js';
import { envStack } from './fixtures/platform.js';

const HOST = 'token.actions.githubusercontent.com';

/** Distinct from the config's qualifiers, so a construct that read the config instead would show. */
const QUALIFIERS = { test: 'qtest1', prod: 'qprod2' } as const;
const EXISTING_PROVIDER = 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';

function ciAccess(githubRepository = GLOBAL.githubRepository, existingProviderArn?: string): Template {
  const stack = envStack();
  const repository = new ecr.Repository(stack, 'Repository', { repositoryName: 'berth/service' });
  new CiAccess(stack, 'Ci', {
    names: NAMES,
    githubRepository,
    prodEnvironment: 'prod',
    repository,
    bootstrapQualifiers: QUALIFIERS,
    existingProviderArn,
  });
  return Template.fromStack(stack);
}

function trustOf(template: Template, roleName: string) {
  const role = Object.values(
    template.findResources('AWS::IAM::Role', { Properties: { RoleName: roleName } }),
  )[0];
  assert.ok(role, `role ${roleName} missing`);
  const [statement] = role.Properties.AssumeRolePolicyDocument.Statement;
  return statement;
}

function policyOf(template: Template, roleName: string): string {
  const [roleId] = Object.keys(
    template.findResources('AWS::IAM::Role', { Properties: { RoleName: roleName } }),
  );
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
    JSON.stringify(p.Properties.Roles).includes(roleId!),
  );
  return JSON.stringify(policies.map((p) => p.Properties.PolicyDocument));
}

describe('CiAccess', () => {
  const template = ciAccess();

  test('one GitHub OIDC provider for the sts.amazonaws.com audience, and no IAM users or keys', () => {
    template.hasResourceProperties('AWS::IAM::OIDCProvider', {
      Url: `https://${HOST}`,
      ClientIdList: ['sts.amazonaws.com'],
    });
    template.resourceCountIs('AWS::IAM::User', 0);
    template.resourceCountIs('AWS::IAM::AccessKey', 0);
  });

  const cases = [
    ['berth-ci-deploy-test', `repo:${GLOBAL.githubRepository}:ref:refs/heads/main`],
    ['berth-ci-deploy-prod', `repo:${GLOBAL.githubRepository}:environment:${GLOBAL.githubProdEnvironment}`],
    ['berth-ci-plan', `repo:${GLOBAL.githubRepository}:pull_request`],
    ['berth-ci-ami-build', `repo:${GLOBAL.githubRepository}:ref:refs/heads/main`],
  ] as const;
  for (const [roleName, subject] of cases) {
    test(`${roleName} trusts only ${subject}, with the sts audience`, () => {
      const statement = trustOf(template, roleName);
      assert.equal(statement.Action, 'sts:AssumeRoleWithWebIdentity');
      assert.deepEqual(statement.Condition, {
        StringEquals: { [`${HOST}:aud`]: 'sts.amazonaws.com', [`${HOST}:sub`]: subject },
      });
      const [providerId] = Object.keys(template.findResources('AWS::IAM::OIDCProvider'));
      assert.deepEqual(statement.Principal, { Federated: { Ref: providerId } });
    });
  }

  test('the test role pushes images and writes only the test digest parameter', () => {
    const policy = policyOf(template, 'berth-ci-deploy-test');
    assert.match(policy, /ecr:PutImage/);
    assert.match(policy, new RegExp(`parameter${PARAMETERS.imageDigest('test')}`));
    assert.doesNotMatch(policy, new RegExp(`parameter${PARAMETERS.imageDigest('prod')}`));
    assert.match(policy, /cdk-qtest1-deploy-role/);
    assert.doesNotMatch(policy, /cdk-qprod2-/);
  });

  test("the prod role may assume only prod's bootstrap roles", () => {
    const policy = policyOf(template, 'berth-ci-deploy-prod');
    assert.match(policy, /cdk-qprod2-deploy-role/);
    assert.doesNotMatch(policy, /cdk-qtest1-/);
  });

  test('an existing provider is trusted as given and no second one is created', () => {
    const existing = ciAccess(GLOBAL.githubRepository, EXISTING_PROVIDER);
    existing.resourceCountIs('AWS::IAM::OIDCProvider', 0);
    existing.resourceCountIs('Custom::AWSCDKOpenIdConnectProvider', 0);
    assert.deepEqual(trustOf(existing, 'berth-ci-deploy-test').Principal, { Federated: EXISTING_PROVIDER });
  });

  test('the prod role can read images but never push them', () => {
    const policy = policyOf(template, 'berth-ci-deploy-prod');
    assert.match(policy, /ecr:BatchGetImage/);
    assert.doesNotMatch(policy, /ecr:PutImage|ecr:InitiateLayerUpload/);
    assert.match(policy, new RegExp(`parameter${PARAMETERS.imageDigest('prod')}`));
  });

  test('each deploy role may update only services tagged with its environment', () => {
    for (const env of ['test', 'prod'] as const) {
      const policy = JSON.parse(policyOf(template, `berth-ci-deploy-${env}`)) as {
        Statement: { Action: string | string[]; Condition?: unknown }[];
      }[];
      const update = policy
        .flatMap((d) => d.Statement)
        .find((s) => [s.Action].flat().includes('ecs:UpdateService'));
      assert.deepEqual(update?.Condition, { StringEquals: { 'aws:ResourceTag/Environment': env } });
    }
  });

  test('each deploy role may refresh only instances of its own environment and publish only its AMI', () => {
    for (const env of ['test', 'prod'] as const) {
      const other = env === 'test' ? 'prod' : 'test';
      const statements = (
        JSON.parse(policyOf(template, `berth-ci-deploy-${env}`)) as {
          Statement: { Action: string | string[]; Resource: unknown; Condition?: unknown }[];
        }[]
      ).flatMap((d) => d.Statement);
      const refresh = statements.find((s) => [s.Action].flat().includes('autoscaling:StartInstanceRefresh'));
      assert.deepEqual(refresh?.Condition, { StringEquals: { 'aws:ResourceTag/Environment': env } });
      const amiWrite = JSON.stringify(
        statements.filter((s) => [s.Action].flat().includes('ssm:PutParameter')).map((s) => s.Resource),
      );
      assert.match(amiWrite, new RegExp(`parameter${PARAMETERS.amiPrefix(env)}\\*`));
      assert.doesNotMatch(amiWrite, new RegExp(`parameter${PARAMETERS.amiPrefix(other)}`));
      assert.match(JSON.stringify(statements), /ssm:GetParameterHistory/);
    }
  });

  test('the test role can resolve a pushed tag to its digest', () => {
    assert.match(policyOf(template, 'berth-ci-deploy-test'), /ecr:DescribeImages/);
  });

  test('the plan role can only assume the read-only lookup role and read Berth stacks', () => {
    const policy = policyOf(template, 'berth-ci-plan');
    assert.match(policy, /cdk-qtest1-lookup-role/);
    assert.match(policy, /cdk-qprod2-lookup-role/);
    assert.doesNotMatch(policy, /deploy-role|publishing-role|ecr:|ssm:PutParameter/);
  });

  test('the AMI build role can build images but not deploy, push images or touch parameters', () => {
    const policy = policyOf(template, 'berth-ci-ami-build');
    assert.match(policy, /ec2:RunInstances/);
    assert.match(policy, /ec2:RegisterImage/);
    assert.match(policy, /kms:ViaService/);
    assert.doesNotMatch(policy, /cdk-|ecr:|ssm:|ecs:|iam:PassRole/);
  });

  test('rejects a repository that is not owner/name', () => {
    assert.throws(() => ciAccess('berth'), /githubRepository \(berth\) must be owner\/name/);
  });
});
