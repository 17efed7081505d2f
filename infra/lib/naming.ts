/**
 * Names shared by the CDK app, the CLI and the pipelines. Change them here and nowhere else.
 */
import type { EnvName, Region } from '../config/environments.js';

/** The regional components, in deploy order. */
export const COMPONENTS = ['Network', 'Data', 'Service', 'Monitoring'] as const;
export type Component = (typeof COMPONENTS)[number];

const title = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The names one app's resources get: its stacks, SSM parameters and image repositories. */
export interface AppNames {
  /** The config's `app`, e.g. `shop`. */
  readonly app: string;
  /** `Shop-Test-eu-west-1-Network`: app, env, region and component readable at a glance in the console. */
  stackName(env: EnvName, region: Region, component: Component): string;
  /** `Shop-`: every stack of the app starts with it (the plan role reads them all). */
  readonly stackPrefix: string;
  /** `Shop-Test-`: every stack of one environment starts with it (IAM and bootstrap policies scope by it). */
  envStackPrefix(env: EnvName): string;
  /** `Shop-Global`: account-wide resources (CI's OIDC provider and roles, the shared image registry). */
  readonly globalStackName: string;
  /** SSM parameters: the single source of truth for what runs where. */
  readonly parameters: {
    /** `/shop/test/image-digest`: the image digest (`sha256:…`) deployed to an environment; written by `berth deploy`. */
    imageDigest(env: EnvName): string;
    /** The AMI id our Packer pipeline published for an environment and architecture; read by the Cluster. */
    ami(env: EnvName, arch: 'x86_64' | 'arm64'): string;
    /** `/shop/test/ami/`: where an environment's AMI parameters live (one per architecture). */
    amiPrefix(env: EnvName): string;
  };
  /**
   * `shop-test`: the start of names AWS wants unique per account (and region): the RDS instance, the WAF web
   * ACL, the dashboard. Two apps in one account so never collide.
   */
  resourcePrefix(env: EnvName): string;
  /** `shop-ci-`: the GitHub Actions roles of the Global stack (`shop-ci-deploy-test`, `shop-ci-plan`, …). */
  readonly ciRolePrefix: string;
  /** `shop-test-cfn-execution`: the policy an environment's CDK bootstrap gives CloudFormation. */
  executionPolicyName(env: EnvName): string;
  /** `shop/web`: a service's image repository, shared by every environment (a digest is promoted, not rebuilt). */
  repositoryName(service: string): string;
}

/** The names of `app`'s resources; `app` is validated by the config loader (lower-case, starts with a letter). */
export function appNames(app: string): AppNames {
  const prefix = title(app);
  const amiPrefix = (env: EnvName) => `/${app}/${env}/ami/`;
  return {
    app,
    stackName: (env, region, component) => `${prefix}-${title(env)}-${region}-${component}`,
    stackPrefix: `${prefix}-`,
    envStackPrefix: (env) => `${prefix}-${title(env)}-`,
    globalStackName: `${prefix}-Global`,
    parameters: {
      imageDigest: (env) => `/${app}/${env}/image-digest`,
      ami: (env, arch) => `${amiPrefix(env)}${arch}`,
      amiPrefix,
    },
    resourcePrefix: (env) => `${app}-${env}`,
    ciRolePrefix: `${app}-ci-`,
    executionPolicyName: (env) => `${app}-${env}-cfn-execution`,
    repositoryName: (service) => `${app}/${service}`,
  };
}

/** CloudFormation output keys the CLI and the smoke test read. */
export const OUTPUTS = {
  serviceUrl: 'ServiceUrl',
  repositoryUri: 'RepositoryUri',
  clusterName: 'ClusterName',
  serviceName: 'ServiceName',
  dashboardUrl: 'DashboardUrl',
  logGroupName: 'LogGroupName',
  targetGroupArn: 'TargetGroupArn',
  alarmTopicArn: 'AlarmTopicArn',
  autoScalingGroupName: 'AutoScalingGroupName',
  deployRoleArn: 'DeployRoleArn',
  /** Blue/green and canary only: the listener rule whose weights ECS shifts (read before each deploy). */
  productionRuleArn: 'ProductionRuleArn',
} as const;

/** The application container of every task definition, and the awslogs stream prefix of its logs. */
export const CONTAINER = { name: 'web', logStreamPrefix: 'web' } as const;

/**
 * The stream a task's logs land in: awslogs names it `<prefix>/<container name>/<task id>`
 * (AWS, "Using the awslogs log driver", awslogs-stream-prefix).
 */
export const logStreamName = (taskId: string) => `${CONTAINER.logStreamPrefix}/${CONTAINER.name}/${taskId}`;

/** CDK context key holding the image to deploy: a digest (`sha256:…`) or a tag. */
export const IMAGE_CONTEXT_KEY = 'berth:image';

/**
 * CDK context key holding the production rule's live weights, `<primary>/<alternate>` (e.g. `0/100` after an
 * odd number of blue/green deploys). `berth deploy` reads them from the rule (output ProductionRuleArn) so the
 * template never moves traffic ECS has shifted; absent, the rule is rendered 100/0 (a first deploy).
 */
export const PRODUCTION_WEIGHTS_CONTEXT_KEY = 'berth:production-weights';

/** What synth uses when no image was given; `berth deploy` refuses to ship it. */
export const PLACEHOLDER_IMAGE = 'berth-placeholder-image-not-deployable';
