import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { EnvName } from '../../config/environments.js';
import type { AppNames } from '../naming.js';

export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';

/** The roles `cdk bootstrap` creates per qualifier that a deploy assumes (toolkit: deploy, assets, lookups). */
const BOOTSTRAP_ROLE_KINDS = ['deploy', 'file-publishing', 'image-publishing', 'lookup'] as const;

export interface CiAccessProps {
  /** The app's names: its stacks and parameters the roles may touch, and the roles' own names. */
  readonly names: AppNames;
  /** `owner/name` of the GitHub repository whose workflows may assume the roles. */
  readonly githubRepository: string;
  /** GitHub environment (with required reviewers) that gates prod deploys. */
  readonly prodEnvironment: string;
  /**
   * The shared image repository: test's role pushes to it, prod's role only reads it.
   * @default - none: the app builds no image (every service runs a prebuilt one), so no role gets ECR access
   */
  readonly repository?: ecr.IRepository;
  /**
   * Each environment's CDK bootstrap qualifier: its deploy role may assume only `cdk-<qualifier>-*` roles,
   * so with distinct qualifiers the test role cannot reach prod's bootstrap (see infra/lib/bootstrap.ts).
   */
  readonly bootstrapQualifiers: Readonly<Record<EnvName, string>>;
  /**
   * Pass an existing provider's ARN when the account already has one for GitHub (only one per URL is allowed).
   * @default - a new provider is created
   */
  readonly existingProviderArn?: string;
}

/**
 * GitHub Actions → AWS without long-lived keys: an OIDC provider and three roles.
 * - test deploy: only workflows on `main`; may push images.
 * - prod deploy: only jobs running in the protected GitHub environment; promotes digests, never pushes.
 * - plan: pull requests; read-only (CDK lookup role and stack reads) for `berth plan`.
 */
export class CiAccess extends Construct {
  public readonly providerArn: string;
  public readonly deployRoles: Readonly<Record<EnvName, iam.Role>>;
  public readonly planRole: iam.Role;
  /** Packer's role in the AMI workflow: builds AMIs, nothing else. */
  public readonly amiBuildRole: iam.Role;

  constructor(scope: Construct, id: string, props: CiAccessProps) {
    super(scope, id);

    if (!/^[\w.-]+\/[\w.-]+$/.test(props.githubRepository)) {
      throw new Error(
        `CiAccess githubRepository (${props.githubRepository}) must be owner/name, e.g. acme/shop`,
      );
    }
    if (!/^[\w.-]+$/.test(props.prodEnvironment)) {
      throw new Error(
        `CiAccess prodEnvironment (${props.prodEnvironment}) must be a GitHub environment name`,
      );
    }

    this.providerArn =
      props.existingProviderArn ??
      new iam.OidcProviderNative(this, 'GitHubProvider', {
        url: `https://${GITHUB_OIDC_HOST}`,
        clientIds: [GITHUB_OIDC_AUDIENCE],
      }).oidcProviderArn;

    const { account, partition } = Stack.of(this);
    const repo = props.githubRepository;
    const trust = (subject: string) =>
      new iam.WebIdentityPrincipal(this.providerArn, {
        StringEquals: {
          [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE,
          [`${GITHUB_OIDC_HOST}:sub`]: subject,
        },
      });
    // How cdk-nag prints the account in a finding: literal for an env-bound stack, else the pseudo parameter.
    const acct = Token.isUnresolved(account) ? '<AWS::AccountId>' : account;
    const bootstrapRole = (qualifier: string, kind: string) =>
      `arn:${partition}:iam::${account}:role/cdk-${qualifier}-${kind}-role-${account}-*`;
    const bootstrapRoleFinding = (qualifier: string, kind: string) => ({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::${acct}:role/cdk-${qualifier}-${kind}-role-${acct}-*]`,
      reason: 'The CDK bootstrap roles exist once per region; the wildcard is the region suffix.',
    });

    const deployRole = (env: EnvName, subject: string) => {
      const qualifier = props.bootstrapQualifiers[env];
      const role = new iam.Role(this, `${env === 'test' ? 'Test' : 'Prod'}DeployRole`, {
        roleName: `${props.names.ciRolePrefix}deploy-${env}`,
        description: `GitHub Actions deploys to ${env} (${subject})`,
        assumedBy: trust(subject),
        maxSessionDuration: Duration.hours(1),
      });
      // CloudFormation changes go through the CDK bootstrap roles; their policies bound what a deploy can do.
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['sts:AssumeRole', 'sts:TagSession'],
          resources: BOOTSTRAP_ROLE_KINDS.map((kind) => bootstrapRole(qualifier, kind)),
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          // History: `berth rollback` redeploys the previous digest.
          actions: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:GetParameterHistory'],
          resources: [
            `arn:${partition}:ssm:*:${account}:parameter${props.names.parameters.imageDigest(env)}`,
          ],
        }),
      );
      // `berth ami publish|rollback|rollout`: the env's AMI parameters and an instance refresh of its own group.
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:GetParameterHistory'],
          resources: [`arn:${partition}:ssm:*:${account}:parameter${props.names.parameters.amiPrefix(env)}*`],
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['autoscaling:StartInstanceRefresh', 'autoscaling:CancelInstanceRefresh'],
          resources: [`arn:${partition}:autoscaling:*:${account}:autoScalingGroup:*:autoScalingGroupName/*`],
          conditions: { StringEquals: { 'aws:ResourceTag/Environment': env } },
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['ecs:UpdateService'],
          resources: [`arn:${partition}:ecs:*:${account}:service/*`],
          // Stack tags reach the service, so the test role cannot touch prod's service and vice versa.
          conditions: { StringEquals: { 'aws:ResourceTag/Environment': env } },
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: [
            'ecs:DescribeServices',
            'ecs:DescribeTaskDefinition',
            'ecs:DescribeTasks',
            'ecs:ListTasks',
            'ecs:DescribeClusters',
            'logs:FilterLogEvents',
            'logs:GetLogEvents',
            'logs:DescribeLogStreams',
            'elasticloadbalancing:DescribeTargetHealth',
            // The production rule's live weights, which deploy and rollback render the template with.
            'elasticloadbalancing:DescribeRules',
            'ec2:DescribeImages',
            'ec2:DescribeLaunchTemplateVersions',
            'autoscaling:DescribeAutoScalingGroups',
            'autoscaling:DescribeInstanceRefreshes',
          ],
          resources: ['*'],
        }),
      );
      // The release step of `berth deploy` (cli/src/aws/release-task.ts): a revision of the env's release task
      // definition with the new image, run once in the env's cluster, stopped at the timeout, then deregistered.
      // Families and clusters are named after the env's stacks (BerthTest…, Berth-Test-…); the copy keeps the
      // definition's Environment tag, which ECS needs ecs:TagResource for (ECS Developer Guide, "Grant
      // permission to tag resources on creation").
      const ownCluster = `arn:${partition}:ecs:*:${account}:cluster/${props.names.envStackPrefix(env)}*`;
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['ecs:RegisterTaskDefinition'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:RequestTag/Environment': env } },
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['ecs:TagResource'],
          resources: ['*'],
          conditions: {
            StringEquals: { 'ecs:CreateAction': ['RegisterTaskDefinition', 'RunTask'] },
          },
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['ecs:RunTask'],
          resources: [
            `arn:${partition}:ecs:*:${account}:task-definition/${props.names.taskFamilyPrefix(env)}*:*`,
          ],
          conditions: { ArnLike: { 'ecs:cluster': ownCluster } },
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['ecs:StopTask'],
          resources: [`arn:${partition}:ecs:*:${account}:task/${props.names.envStackPrefix(env)}*/*`],
        }),
      );
      // DeregisterTaskDefinition supports no resource-level permissions (Service Authorization Reference, ECS).
      role.addToPolicy(
        new iam.PolicyStatement({ actions: ['ecs:DeregisterTaskDefinition'], resources: ['*'] }),
      );
      // RunTask hands the release task its task and execution roles, the env's stack-named roles, to ECS only.
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['iam:PassRole'],
          resources: [`arn:${partition}:iam::${account}:role/${props.names.envStackPrefix(env)}*`],
          conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
        }),
      );
      // Stack reads for status, outputs and failure diagnosis: the env's own stacks and Berth-Global's outputs.
      const ownStacks = `arn:${partition}:cloudformation:*:${account}:stack/${props.names.envStackPrefix(env)}*/*`;
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: [
            'cloudformation:DescribeStacks',
            'cloudformation:DescribeStackEvents',
            'cloudformation:DescribeStackResources',
            'cloudformation:GetTemplate',
          ],
          resources: [
            ownStacks,
            `arn:${partition}:cloudformation:*:${account}:stack/${props.names.globalStackName}/*`,
          ],
        }),
      );
      // A deploy that runs out of time cancels its own update, never another environment's.
      role.addToPolicy(
        new iam.PolicyStatement({ actions: ['cloudformation:CancelUpdateStack'], resources: [ownStacks] }),
      );
      Validations.of(role).acknowledge(
        {
          id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
          reason:
            'Read-only describe/log reads to wait for a rollout (names are generated), and ecr:GetAuthorizationToken, which has no resource scope.',
        },
        ...BOOTSTRAP_ROLE_KINDS.map((kind) => bootstrapRoleFinding(qualifier, kind)),
        {
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:*:${acct}:stack/${props.names.envStackPrefix(env)}*/*]`,
          reason: "The environment's stacks in every region it runs in, and only those.",
        },
        {
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:*:${acct}:stack/${props.names.globalStackName}/*]`,
          reason: 'Berth-Global by name; the wildcard is the stack id CloudFormation appends.',
        },
        {
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:*:${acct}:parameter${props.names.parameters.imageDigest(env)}]`,
          reason: 'The same parameter name exists in every region the environment runs in.',
        },
        {
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:*:${acct}:parameter${props.names.parameters.amiPrefix(env)}*]`,
          reason: 'One AMI parameter per architecture, in every region the environment runs in.',
        },
        {
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:autoscaling:*:${acct}:autoScalingGroup:*:autoScalingGroupName/*]`,
          reason:
            'Group names are generated; the Environment tag condition confines the refresh to its own env.',
        },
        {
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:*:${acct}:service/*]`,
          reason:
            'Service names are generated; the Environment tag condition confines the role to its own env.',
        },
        {
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:*:${acct}:task-definition/${props.names.taskFamilyPrefix(env)}*:*]`,
          reason:
            "The env's generated task definition families, any revision; RunTask only in the env's clusters.",
        },
        {
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:*:${acct}:task/${props.names.envStackPrefix(env)}*/*]`,
          reason: "Tasks of the env's generated clusters: the release task a timed-out deploy stops.",
        },
        {
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::${acct}:role/${props.names.envStackPrefix(env)}*]`,
          reason: "The env's stack-named task roles, passed to ECS tasks only (iam:PassedToService).",
        },
      );
      return role;
    };

    const testRole = deployRole('test', `repo:${repo}:ref:refs/heads/main`);
    // The repository's grants include `ecr:GetAuthorizationToken` (the registry login before a push or pull);
    // an app that builds nothing has no repository, and its roles log in to no registry.
    props.repository?.grantPullPush(testRole);
    // DescribeImages resolves a pushed tag to the digest that is deployed and promoted.
    props.repository?.grantRead(testRole);
    const prodRole = deployRole('prod', `repo:${repo}:environment:${props.prodEnvironment}`);
    // Prod promotes the digest test already ran; it verifies the image exists but never writes one.
    props.repository?.grantPull(prodRole);
    props.repository?.grantRead(prodRole);
    this.deployRoles = { test: testRole, prod: prodRole };

    const planQualifiers = [...new Set(Object.values(props.bootstrapQualifiers))];
    this.planRole = new iam.Role(this, 'PlanRole', {
      roleName: `${props.names.ciRolePrefix}plan`,
      description: 'GitHub Actions pull requests: read-only diff (berth plan)',
      assumedBy: trust(`repo:${repo}:pull_request`),
      maxSessionDuration: Duration.hours(1),
    });
    this.planRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['sts:AssumeRole'],
        resources: planQualifiers.map((qualifier) => bootstrapRole(qualifier, 'lookup')),
      }),
    );
    this.planRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudformation:DescribeStacks', 'cloudformation:GetTemplate'],
        resources: [`arn:${partition}:cloudformation:*:${account}:stack/${props.names.stackPrefix}*/*`],
      }),
    );
    Validations.of(this.planRole).acknowledge(
      ...planQualifiers.map((qualifier) => bootstrapRoleFinding(qualifier, 'lookup')),
      {
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:*:${acct}:stack/${props.names.stackPrefix}*/*]`,
        reason: 'Read-only access to Berth stacks in any region, for the diff.',
      },
    );

    this.amiBuildRole = new iam.Role(this, 'AmiBuildRole', {
      roleName: `${props.names.ciRolePrefix}ami-build`,
      description: 'GitHub Actions AMI workflow on main: Packer builds the ECS node AMI',
      assumedBy: trust(`repo:${repo}:ref:refs/heads/main`),
      maxSessionDuration: Duration.hours(2),
    });
    // What Packer's amazon-ebs builder documents as its minimum: a temporary instance, key pair and
    // security group, then snapshot, register and tag the image.
    this.amiBuildRole.addToPolicy(
      new iam.PolicyStatement({
        actions: [
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
        resources: ['*'],
      }),
    );
    // encrypt_boot uses the account's EBS key, only through EC2.
    this.amiBuildRole.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'kms:CreateGrant',
          'kms:Decrypt',
          'kms:DescribeKey',
          'kms:GenerateDataKey*',
          'kms:ReEncrypt*',
        ],
        resources: ['*'],
        conditions: { StringLike: { 'kms:ViaService': 'ec2.*.amazonaws.com' } },
      }),
    );
    Validations.of(this.amiBuildRole).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'Packer creates its temporary instance, volumes, key pair and security group under names it picks at run time, so EC2 resources cannot be named in advance; KMS use is limited to calls made through EC2.',
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason: 'Encrypting the AMI snapshots needs every GenerateDataKey variant EC2 may call.',
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
        reason: 'Copying an encrypted snapshot re-encrypts it; EC2 chooses the variant.',
      },
    );
  }
}
