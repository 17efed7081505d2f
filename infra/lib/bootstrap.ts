/**
 * CDK bootstrap per environment: its own qualifier (so its own deploy, publishing and CloudFormation
 * execution roles) and a restricted execution policy instead of the default AdministratorAccess. The
 * test CI role may assume only `cdk-<test qualifier>-*` roles, whose CloudFormation execution role
 * cannot touch anything tagged prod or global, nor IAM outside `<App>-Test-*`.
 *
 * The policy and the bootstrap template are generated from the user's berth.config.ts into their own
 * repository (`berth bootstrap <env>` writes `.berth/bootstrap/<env>/`), never shipped pre-made: their
 * names come from the app.
 */
import { ENV_NAMES, type EnvName, type Region } from '../config/environments.js';
import type { ResolvedConfig } from '../config/resolve.js';

/** The Global stack (the CI roles, the OIDC provider, the registry) deploys through prod's bootstrap. */
export const GLOBAL_STACK_ENV: EnvName = 'prod';

/** What the bootstrap helpers read from the config: the environments' accounts and qualifiers, the app's names. */
export type BootstrapConfig = Pick<ResolvedConfig, 'environments' | 'names' | 'global'>;

export function qualifierOf(config: BootstrapConfig, env: EnvName): string {
  return config.environments[env].bootstrapQualifier;
}

/** The qualifier the Global stack's synthesizer uses: a role the test CI role cannot assume. */
export function globalQualifier(config: BootstrapConfig): string {
  return qualifierOf(config, GLOBAL_STACK_ENV);
}

/** The customer-managed policy the env's CloudFormation execution role gets (`--cloudformation-execution-policies`). */
export function executionPolicyName(config: BootstrapConfig, env: EnvName): string {
  return config.names.executionPolicyName(env);
}

/** Where `berth bootstrap <env>` writes the env's files, relative to the project root (`.berth/` is git-ignored). */
export function bootstrapDir(env: EnvName): string {
  return `.berth/bootstrap/${env}`;
}

/** The execution policy document `aws iam create-policy` reads, relative to the project root. */
export function executionPolicyFile(env: EnvName): string {
  return `${bootstrapDir(env)}/execution-policy.json`;
}

/** Services whose resources the env stacks create (a test compares this with the synthesized templates). */
export const EXECUTION_SERVICES = [
  'application-autoscaling',
  'autoscaling',
  // A domain's DNS-validated certificate and its alias record.
  'acm',
  'cloudwatch',
  'ec2',
  'ecs',
  'elasticloadbalancing',
  'kms',
  // The Data stack's log-retention custom resource is a Lambda function CloudFormation creates and invokes.
  'lambda',
  'logs',
  'rds',
  'route53',
  's3',
  'secretsmanager',
  'sns',
  // Workers' queues and their dead-letter queues (`queue` on a worker).
  'sqs',
  // The optional WAF web ACL, its association with the ALB and its logging configuration.
  'wafv2',
] as const;

interface Statement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/**
 * What CloudFormation may do when deploying `env`'s stacks. Everything Berth creates is tagged
 * `Environment` (infra/lib/app.ts), so resources of the other environment (and, for test, the global
 * ones) are denied by tag; IAM, whose names we control, is allowed only under the env's stack prefix.
 */
export function executionPolicy(
  config: BootstrapConfig,
  env: EnvName,
): { Version: string; Statement: Statement[] } {
  const { names } = config;
  const ownsGlobal = env === GLOBAL_STACK_ENV;
  const foreign = [...ENV_NAMES.filter((e) => e !== env), ...(ownsGlobal ? [] : ['global'])];
  const prefix = names.envStackPrefix(env);
  const iamResources = [
    `arn:aws:iam::*:role/${prefix}*`,
    `arn:aws:iam::*:instance-profile/${prefix}*`,
    `arn:aws:iam::*:policy/${prefix}*`,
    ...(ownsGlobal
      ? [
          // The Global stack: the CI roles (fixed names) and the GitHub OIDC provider.
          `arn:aws:iam::*:role/${names.ciRolePrefix}*`,
          `arn:aws:iam::*:role/${names.globalStackName}-*`,
          `arn:aws:iam::*:policy/${names.globalStackName}-*`,
          'arn:aws:iam::*:oidc-provider/token.actions.githubusercontent.com',
        ]
      : []),
  ];
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ServicesTheStacksUse',
        Effect: 'Allow',
        Action: [
          ...EXECUTION_SERVICES.map((s) => `${s}:*`),
          ...(ownsGlobal ? ['ecr:*'] : []),
          // CloudFormation resolves SSM parameter types (the AMI ids) while creating a change set.
          'ssm:GetParameter',
          'ssm:GetParameters',
        ],
        Resource: '*',
      },
      { Sid: 'OwnIamOnly', Effect: 'Allow', Action: 'iam:*', Resource: iamResources },
      {
        // ECS, ELB, Auto Scaling and RDS create their service-linked roles on first use.
        Sid: 'ServiceLinkedRoles',
        Effect: 'Allow',
        Action: 'iam:CreateServiceLinkedRole',
        Resource: 'arn:aws:iam::*:role/aws-service-role/*',
      },
      {
        Sid: 'NothingOfOtherEnvironments',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { StringEquals: { 'aws:ResourceTag/Environment': foreign } },
      },
      {
        Sid: 'NoResourcesLabelledForOtherEnvironments',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { StringEquals: { 'aws:RequestTag/Environment': foreign } },
      },
      {
        // S3 bucket names start with the lower-cased stack name; untagged API paths still cannot reach them.
        Sid: 'NoBucketsOfOtherEnvironments',
        Effect: 'Deny',
        Action: 's3:*',
        Resource: ENV_NAMES.filter((e) => e !== env).flatMap((e) => {
          const bucket = names.envStackPrefix(e).toLowerCase();
          return [`arn:aws:s3:::${bucket}*`, `arn:aws:s3:::${bucket}*/*`];
        }),
      },
    ],
  };
}

/** The bootstrap template `cdk bootstrap --template` reads, relative to the project root. */
export function bootstrapTemplateFile(env: EnvName): string {
  return `${bootstrapDir(env)}/bootstrap-template.yaml`;
}

/** The stack names an environment's bootstrap deploy role may change (CloudFormation `stack` ARNs). */
export function ownStackPatterns(config: BootstrapConfig, env: EnvName): string[] {
  const { names } = config;
  return [`${names.envStackPrefix(env)}*`, ...(env === GLOBAL_STACK_ENV ? [names.globalStackName] : [])];
}

/** The ARN the bootstrap command passes to `--cloudformation-execution-policies`. */
export function executionPolicyArn(config: BootstrapConfig, env: EnvName): string {
  return `arn:aws:iam::${config.environments[env].account}:policy/${executionPolicyName(config, env)}`;
}

/**
 * Where `env` needs a bootstrap: each of its regions and, for the env that deploys the Global stack,
 * the primary region too (Berth-Global lives there).
 */
export function bootstrapRegions(config: BootstrapConfig, env: EnvName): Region[] {
  const own = config.environments[env].regions;
  return [...new Set([...own, ...(env === GLOBAL_STACK_ENV ? [config.global.primaryRegion] : [])])];
}

/**
 * The commands `berth bootstrap <env>` prints once it has written the env's files, to be run from the
 * project root with administrator credentials for the env's account: create the execution policy (once
 * per account), then one bootstrap per region with the env's qualifier, its own toolkit stack (two
 * qualifiers in one account and region need two toolkit stacks) and the template whose deploy role may
 * change only the env's own stacks. `aws-cdk@2` by name: a user's repository need not have the CDK CLI.
 */
export function bootstrapSteps(
  config: BootstrapConfig,
  env: EnvName,
  regions: readonly Region[] = bootstrapRegions(config, env),
): string[] {
  const { account } = config.environments[env];
  const qualifier = qualifierOf(config, env);
  return [
    `aws iam create-policy --policy-name ${executionPolicyName(config, env)} --policy-document file://${executionPolicyFile(env)}`,
    ...regions.map(
      (region) =>
        `npx aws-cdk@2 bootstrap aws://${account}/${region} --qualifier ${qualifier} ` +
        `--toolkit-stack-name CDKToolkit-${qualifier} --template ${bootstrapTemplateFile(env)} ` +
        `--cloudformation-execution-policies ${executionPolicyArn(config, env)}`,
    ),
  ];
}

/**
 * Everything that bootstraps `env` (in `region`, else wherever it needs it), from a repository that has
 * not generated its bootstrap files yet: `berth bootstrap` writes them, then the steps it prints.
 */
export function bootstrapCommand(config: BootstrapConfig, env: EnvName, region?: Region): string {
  const regions = region === undefined ? bootstrapRegions(config, env) : [region];
  return [`npx berth bootstrap ${env}`, ...bootstrapSteps(config, env, regions)].join('\n');
}
