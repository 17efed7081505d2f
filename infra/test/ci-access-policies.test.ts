/**
 * CiAccess's four roles in full: every statement of every policy (actions, resources, conditions), the roles'
 * descriptions and session limits, each cdk-nag acknowledgement's id, and the input checks at their edges.
 * ci-access.test.ts checks the properties that matter most one by one; this suite pins the whole grant, so an
 * action, resource or condition that goes missing or widens shows. A bare stack, no cdk-nag.
 * Expected values are literals: Berth's least-privilege design for each role (docs/deploy.md, "Continuous delivery" and "Account layout"), the ARN formats of the
 * Service Authorization Reference (IAM roles, SSM parameters, Auto Scaling groups, ECS services, task definitions,
 * tasks and clusters, CloudFormation stacks), GitHub's OIDC subject formats ("About security hardening with
 * OpenID Connect": `repo:<owner/name>:ref:refs/heads/main`, `…:environment:<name>`, `…:pull_request`), the CDK
 * bootstrap role names (`cdk-<qualifier>-<kind>-role-<account>-<region>`), and Packer's amazon-ebs minimal policy.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import type { IConstruct } from 'constructs';
import { CiAccess, type CiAccessProps } from '../lib/constructs/ci-access.js';
import { NAMES } from './fixtures/cart-config.js';

// biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON, read field by field
type Json = any;

const ACCOUNT = '567890123456';
const QUALIFIERS = { test: 'tq9', prod: 'pq7' } as const;

/** `account: null` builds an environment-agnostic stack (the account stays a token). */
function build(props: Partial<CiAccessProps> = {}, account: string | null = ACCOUNT) {
  const stack = new Stack(new App(), 'Ci', account ? { env: { account, region: 'eu-north-1' } } : {});
  const repository = ecr.Repository.fromRepositoryName(stack, 'Images', 'berth/shop');
  const ci = new CiAccess(stack, 'Access', {
    names: NAMES,
    githubRepository: 'acme-co/shop.web',
    prodEnvironment: 'production',
    repository,
    bootstrapQualifiers: QUALIFIERS,
    ...props,
  });
  return { ci, resources: Template.fromStack(stack).toJSON().Resources as Record<string, Json> };
}

/** A CloudFormation value as text: `Fn::Join` joined, `Ref` as `<name>`, anything else as JSON. */
function text(value: Json): Json {
  if (typeof value === 'string' || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(text);
  if ('Fn::Join' in value) {
    const [separator, parts] = value['Fn::Join'];
    return parts.map((part: Json) => (typeof part === 'string' ? part : text(part))).join(separator);
  }
  if ('Ref' in value) return `<${value.Ref}>`;
  if ('Fn::GetAtt' in value) return `<${value['Fn::GetAtt'].join('.')}>`;
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, text(v)]));
}

const list = (value: Json): string[] => [value].flat();

/**
 * Statements as the grants they make: one `action on resource [if condition]` line each, sorted and unique.
 * How CDK groups actions and resources into statements (merged or not, depending on feature flags) changes no
 * grant, so the comparison does not depend on it.
 */
function grants(statements: Json[]): string[] {
  const lines = statements.flatMap((s) =>
    list(s.Action).flatMap((action) =>
      list(s.Resource).map(
        (resource) =>
          `${s.Effect ?? 'Allow'} ${action} on ${resource}${s.Condition ? ` if ${JSON.stringify(s.Condition)}` : ''}`,
      ),
    ),
  );
  return [...new Set(lines)].sort();
}

/** The grants of the policies attached to the role named `roleName`. */
function statementsOf(resources: Record<string, Json>, roleName: string): string[] {
  const [roleId] = Object.entries(resources).find(([, r]) => r.Properties?.RoleName === roleName)!;
  return grants(
    Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(roleId))
      .flatMap((r) => r.Properties.PolicyDocument.Statement)
      .map((s: Json) => ({ ...s, Resource: text(s.Resource), Condition: s.Condition && text(s.Condition) })),
  );
}

const ARN = `arn:<AWS::Partition>`;

/** What a deploy role may do in its environment (`Test`/`Prod` in stack names, `test`/`prod` in tags). */
function deployStatements(
  env: 'test' | 'prod',
  title: 'Test' | 'Prod',
  qualifier: string,
  ecrActions: string[],
) {
  const bootstrap = (kind: string) =>
    `${ARN}:iam::${ACCOUNT}:role/cdk-${qualifier}-${kind}-role-${ACCOUNT}-*`;
  const ownStacks = `${ARN}:cloudformation:*:${ACCOUNT}:stack/Berth-${title}-*/*`;
  return grants([
    {
      Action: ['sts:AssumeRole', 'sts:TagSession'],
      Resource: ['deploy', 'file-publishing', 'image-publishing', 'lookup'].map(bootstrap),
    },
    {
      Action: ['ssm:GetParameter', 'ssm:GetParameterHistory', 'ssm:PutParameter'],
      Resource: [
        `${ARN}:ssm:*:${ACCOUNT}:parameter/berth/${env}/ami/*`,
        `${ARN}:ssm:*:${ACCOUNT}:parameter/berth/${env}/image-digest`,
      ],
    },
    {
      Action: ['autoscaling:CancelInstanceRefresh', 'autoscaling:StartInstanceRefresh'],
      Resource: `${ARN}:autoscaling:*:${ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/*`,
      Condition: { StringEquals: { 'aws:ResourceTag/Environment': env } },
    },
    {
      Action: 'ecs:UpdateService',
      Resource: `${ARN}:ecs:*:${ACCOUNT}:service/*`,
      Condition: { StringEquals: { 'aws:ResourceTag/Environment': env } },
    },
    {
      Action: [
        'autoscaling:DescribeAutoScalingGroups',
        'autoscaling:DescribeInstanceRefreshes',
        'ec2:DescribeImages',
        'ec2:DescribeLaunchTemplateVersions',
        'ecr:GetAuthorizationToken',
        'ecs:DeregisterTaskDefinition',
        'ecs:DescribeClusters',
        'ecs:DescribeServices',
        'ecs:DescribeTaskDefinition',
        'ecs:DescribeTasks',
        'ecs:ListTasks',
        'elasticloadbalancing:DescribeRules',
        'elasticloadbalancing:DescribeTargetHealth',
        'logs:DescribeLogStreams',
        'logs:FilterLogEvents',
        'logs:GetLogEvents',
      ],
      Resource: '*',
    },
    {
      Action: 'ecs:RegisterTaskDefinition',
      Resource: '*',
      Condition: { StringEquals: { 'aws:RequestTag/Environment': env } },
    },
    {
      Action: 'ecs:TagResource',
      Resource: '*',
      Condition: { StringEquals: { 'ecs:CreateAction': ['RegisterTaskDefinition', 'RunTask'] } },
    },
    {
      Action: 'ecs:RunTask',
      Resource: `${ARN}:ecs:*:${ACCOUNT}:task-definition/Berth${title}*:*`,
      Condition: { ArnLike: { 'ecs:cluster': `${ARN}:ecs:*:${ACCOUNT}:cluster/Berth-${title}-*` } },
    },
    { Action: 'ecs:StopTask', Resource: `${ARN}:ecs:*:${ACCOUNT}:task/Berth-${title}-*/*` },
    {
      Action: 'iam:PassRole',
      Resource: `${ARN}:iam::${ACCOUNT}:role/Berth-${title}-*`,
      Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    },
    {
      Action: [
        'cloudformation:DescribeStackEvents',
        'cloudformation:DescribeStackResources',
        'cloudformation:DescribeStacks',
        'cloudformation:GetTemplate',
      ],
      Resource: [`${ARN}:cloudformation:*:${ACCOUNT}:stack/Berth-Global/*`, ownStacks],
    },
    { Action: 'cloudformation:CancelUpdateStack', Resource: ownStacks },
    { Action: ecrActions, Resource: `${ARN}:ecr:eu-north-1:${ACCOUNT}:repository/berth/shop` },
  ]);
}

const ECR_READ = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:BatchGetImage',
  'ecr:DescribeImages',
  'ecr:DescribeRepositories',
  'ecr:GetDownloadUrlForLayer',
];
const ECR_PUSH = [
  'ecr:CompleteLayerUpload',
  'ecr:InitiateLayerUpload',
  'ecr:PutImage',
  'ecr:UploadLayerPart',
];

/** The cdk-nag rule ids acknowledged on a construct, sorted, after checking each reason says something. */
function acknowledgedIds(construct: IConstruct): string[] {
  const entries = construct.node.metadata
    .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((entry) => Object.entries(entry.data as Record<string, unknown>));
  for (const [id, reason] of entries) {
    assert.ok(
      typeof reason === 'string' && reason.split(' ').length >= 5,
      `${id}: ${JSON.stringify(reason)}`,
    );
  }
  return entries.map(([id]) => id).sort();
}

// GIVEN the four roles in an account-bound stack, with a new OIDC provider.
const { ci, resources } = build();
const roles: Record<string, Json> = Object.fromEntries(
  Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Role')
    .map((r) => [r.Properties.RoleName, r.Properties]),
);

describe('CiAccess roles in full', () => {
  test('names, descriptions with the trusted subject, one hour (two for Packer)', () => {
    const summary = Object.fromEntries(
      Object.entries(roles).map(([name, role]) => [
        name,
        [role.Description, role.MaxSessionDuration, role.AssumeRolePolicyDocument.Statement[0].Condition],
      ]),
    );
    const trust = (sub: string) => ({
      StringEquals: {
        'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
        'token.actions.githubusercontent.com:sub': sub,
      },
    });
    assert.deepEqual(summary, {
      'berth-ci-deploy-test': [
        'GitHub Actions deploys to test (repo:acme-co/shop.web:ref:refs/heads/main)',
        3600,
        trust('repo:acme-co/shop.web:ref:refs/heads/main'),
      ],
      'berth-ci-deploy-prod': [
        'GitHub Actions deploys to prod (repo:acme-co/shop.web:environment:production)',
        3600,
        trust('repo:acme-co/shop.web:environment:production'),
      ],
      'berth-ci-plan': [
        'GitHub Actions pull requests: read-only diff (berth plan)',
        3600,
        trust('repo:acme-co/shop.web:pull_request'),
      ],
      'berth-ci-ami-build': [
        'GitHub Actions AMI workflow on main: Packer builds the ECS node AMI',
        7200,
        trust('repo:acme-co/shop.web:ref:refs/heads/main'),
      ],
    });
  });

  test("the test deploy role: its environment's stacks, tasks, parameters and instances, and pushes images", () => {
    assert.deepEqual(
      statementsOf(resources, 'berth-ci-deploy-test'),
      deployStatements('test', 'Test', 'tq9', [...ECR_READ, ...ECR_PUSH]),
    );
  });

  test('the prod deploy role: the same in prod, and only reads images', () => {
    assert.deepEqual(
      statementsOf(resources, 'berth-ci-deploy-prod'),
      deployStatements('prod', 'Prod', 'pq7', ECR_READ),
    );
  });

  test('an app with nothing to build (no repository): the deploy roles get no ECR action, not even the login', () => {
    const { resources: noRepository } = build({ repository: undefined });
    for (const [env, title, qualifier] of [
      ['test', 'Test', 'tq9'],
      ['prod', 'Prod', 'pq7'],
    ] as const) {
      assert.deepEqual(
        statementsOf(noRepository, `berth-ci-deploy-${env}`),
        deployStatements(env, title, qualifier, []).filter((grant) => !grant.includes(' ecr:')),
      );
    }
  });

  test('the deploy roles keep their logical ids: a new one would replace a role whose fixed name then collides', () => {
    const logicalIds = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Role' && /deploy-(test|prod)$/.test(r.Properties.RoleName))
      .map(([id, r]) => `${r.Properties.RoleName} ${id.replace(/[0-9A-F]{8}$/, '')}`)
      .sort();
    assert.deepEqual(logicalIds, [
      'berth-ci-deploy-prod AccessProdDeployRole',
      'berth-ci-deploy-test AccessTestDeployRole',
    ]);
  });

  test("the plan role: both environments' lookup roles and reads of Berth's stacks", () => {
    assert.deepEqual(
      statementsOf(resources, 'berth-ci-plan'),
      grants([
        {
          Action: 'sts:AssumeRole',
          Resource: [
            `${ARN}:iam::${ACCOUNT}:role/cdk-pq7-lookup-role-${ACCOUNT}-*`,
            `${ARN}:iam::${ACCOUNT}:role/cdk-tq9-lookup-role-${ACCOUNT}-*`,
          ],
        },
        {
          Action: ['cloudformation:DescribeStacks', 'cloudformation:GetTemplate'],
          Resource: `${ARN}:cloudformation:*:${ACCOUNT}:stack/Berth-*/*`,
        },
      ]),
    );
  });

  test('one lookup role for the plan when both environments share a qualifier', () => {
    const shared = build({ bootstrapQualifiers: { test: 'sq5', prod: 'sq5' } }).resources;
    assert.deepEqual(
      statementsOf(shared, 'berth-ci-plan').filter((grant) => grant.includes('sts:AssumeRole')),
      [`Allow sts:AssumeRole on ${ARN}:iam::${ACCOUNT}:role/cdk-sq5-lookup-role-${ACCOUNT}-*`],
    );
  });

  test("the AMI build role: Packer's EC2 actions, and the EBS key only through EC2", () => {
    assert.deepEqual(
      statementsOf(resources, 'berth-ci-ami-build'),
      grants([
        {
          Action: [
            'ec2:AttachVolume',
            'ec2:AuthorizeSecurityGroupIngress',
            'ec2:CopyImage',
            'ec2:CreateImage',
            'ec2:CreateKeyPair',
            'ec2:CreateSecurityGroup',
            'ec2:CreateSnapshot',
            'ec2:CreateTags',
            'ec2:CreateVolume',
            'ec2:DeleteKeyPair',
            'ec2:DeleteSecurityGroup',
            'ec2:DeleteSnapshot',
            'ec2:DeleteVolume',
            'ec2:DeregisterImage',
            'ec2:DescribeImageAttribute',
            'ec2:DescribeImages',
            'ec2:DescribeInstanceStatus',
            'ec2:DescribeInstances',
            'ec2:DescribeRegions',
            'ec2:DescribeSecurityGroups',
            'ec2:DescribeSnapshots',
            'ec2:DescribeSubnets',
            'ec2:DescribeTags',
            'ec2:DescribeVolumes',
            'ec2:DetachVolume',
            'ec2:ModifyImageAttribute',
            'ec2:ModifyInstanceAttribute',
            'ec2:ModifySnapshotAttribute',
            'ec2:RegisterImage',
            'ec2:RunInstances',
            'ec2:StopInstances',
            'ec2:TerminateInstances',
          ],
          Resource: '*',
        },
        {
          Action: [
            'kms:CreateGrant',
            'kms:Decrypt',
            'kms:DescribeKey',
            'kms:GenerateDataKey*',
            'kms:ReEncrypt*',
          ],
          Resource: '*',
          Condition: { StringLike: { 'kms:ViaService': 'ec2.*.amazonaws.com' } },
        },
      ]),
    );
  });
});

describe('CiAccess acknowledgements', () => {
  const finding = (resource: string) => `AwsSolutions::AwsSolutions-IAM5[Resource::${resource}]`;

  function deployFindings(env: 'test' | 'prod', title: string, qualifier: string, account: string) {
    return [
      finding('*'),
      ...['deploy', 'file-publishing', 'image-publishing', 'lookup'].map((kind) =>
        finding(`${ARN}:iam::${account}:role/cdk-${qualifier}-${kind}-role-${account}-*`),
      ),
      finding(`${ARN}:cloudformation:*:${account}:stack/Berth-${title}-*/*`),
      finding(`${ARN}:cloudformation:*:${account}:stack/Berth-Global/*`),
      finding(`${ARN}:ssm:*:${account}:parameter/berth/${env}/image-digest`),
      finding(`${ARN}:ssm:*:${account}:parameter/berth/${env}/ami/*`),
      finding(`${ARN}:autoscaling:*:${account}:autoScalingGroup:*:autoScalingGroupName/*`),
      finding(`${ARN}:ecs:*:${account}:service/*`),
      finding(`${ARN}:ecs:*:${account}:task-definition/Berth${title}*:*`),
      finding(`${ARN}:ecs:*:${account}:task/Berth-${title}-*/*`),
      finding(`${ARN}:iam::${account}:role/Berth-${title}-*`),
    ].sort();
  }

  test('each deploy role acknowledges exactly its own wildcards, each with a reason', () => {
    assert.deepEqual(acknowledgedIds(ci.deployRoles.test), deployFindings('test', 'Test', 'tq9', ACCOUNT));
    assert.deepEqual(acknowledgedIds(ci.deployRoles.prod), deployFindings('prod', 'Prod', 'pq7', ACCOUNT));
  });

  test('the plan and AMI roles acknowledge their own, each with a reason', () => {
    assert.deepEqual(
      acknowledgedIds(ci.planRole),
      [
        finding(`${ARN}:iam::${ACCOUNT}:role/cdk-tq9-lookup-role-${ACCOUNT}-*`),
        finding(`${ARN}:iam::${ACCOUNT}:role/cdk-pq7-lookup-role-${ACCOUNT}-*`),
        finding(`${ARN}:cloudformation:*:${ACCOUNT}:stack/Berth-*/*`),
      ].sort(),
    );
    assert.deepEqual(
      acknowledgedIds(ci.amiBuildRole),
      [
        finding('*'),
        'AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        'AwsSolutions::AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
      ].sort(),
    );
  });

  test('in a stack without an account, the findings name the account as cdk-nag prints it', () => {
    const { ci: agnostic } = build({}, null);
    assert.deepEqual(
      acknowledgedIds(agnostic.deployRoles.test),
      deployFindings('test', 'Test', 'tq9', '<AWS::AccountId>'),
    );
  });
});

describe('CiAccess inputs', () => {
  const refuses = (props: Partial<CiAccessProps>, message: string) =>
    assert.throws(
      () => build(props),
      (error: Error) => error.message === message,
      message,
    );

  test('the repository: owner/name of word characters, dots and dashes', () => {
    for (const githubRepository of ['a/b', 'Acme_1/shop-web.v2']) {
      assert.doesNotThrow(() => build({ githubRepository }), githubRepository);
    }
    for (const githubRepository of [
      'shop',
      'acme/',
      '/shop',
      'acme/shop/extra',
      ' acme/shop',
      'acme/shop ',
      'ac me/shop',
    ]) {
      refuses(
        { githubRepository },
        `CiAccess githubRepository (${githubRepository}) must be owner/name, e.g. acme/shop`,
      );
    }
  });

  test('the prod environment: a name of word characters, dots and dashes', () => {
    for (const prodEnvironment of ['p', 'Prod_EU-1.a']) {
      assert.doesNotThrow(() => build({ prodEnvironment }), prodEnvironment);
    }
    for (const prodEnvironment of ['', 'prod env', ' prod', 'prod ', 'prod/eu', 'prod:eu']) {
      refuses(
        { prodEnvironment },
        `CiAccess prodEnvironment (${prodEnvironment}) must be a GitHub environment name`,
      );
    }
  });

  test('a new OIDC provider for GitHub: its URL and audience', () => {
    const providers = Object.values(resources).filter((r) => r.Type === 'AWS::IAM::OIDCProvider');
    assert.equal(providers.length, 1);
    assert.equal(providers[0].Properties.Url, 'https://token.actions.githubusercontent.com');
    assert.deepEqual(providers[0].Properties.ClientIdList, ['sts.amazonaws.com']);
    assert.match(ci.providerArn, /^\$\{Token\[/);
  });
});
