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
  /**
   * `ShopTest`: how the ECS task definition families CDK generates in an environment's stacks begin (the
   * construct path without its separators, e.g. `ShopTesteuwest1ServiceWebTaskDef…`).
   */
  taskFamilyPrefix(env: EnvName): string;
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
    taskFamilyPrefix: (env) => `${prefix}${title(env)}`.replace(/[^A-Za-z0-9]/g, ''),
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

/**
 * A service's name in Pascal case, `cart-expiry` → `CartExpiry`: its construct id and the start of its stack
 * outputs' keys (CloudFormation logical ids and output keys are alphanumeric).
 */
export function pascalCase(name: string): string {
  return name
    .split('-')
    .filter((part) => part !== '')
    .map(title)
    .join('');
}

/** The stack outputs of one service (the Service stack has them for each of its services). */
export interface ServiceOutputKeys {
  /** `WebServiceName`: the ECS service's name. */
  readonly serviceName: string;
  /** `WebLogGroupName`: the log group of its tasks (and of the release task, for the service that has one). */
  readonly logGroupName: string;
  /** Web only, `WebTargetGroupArn`: the primary (blue) target group. */
  readonly targetGroupArn: string;
  /** Web, blue/green and canary only, `WebProductionRuleArn`: the listener rule whose weights ECS shifts. */
  readonly productionRuleArn: string;
  /**
   * Web only, `WebUrl`: where it answers: `http(s)://<host>` for a host route, else the environment's URL with
   * the path's prefix.
   */
  readonly url: string;
  /** Worker with a queue only, `JobsQueueUrl`: the queue it consumes. */
  readonly queueUrl: string;
  /** Worker with a queue only, `JobsDeadLetterQueueUrl`: where the messages it failed go. */
  readonly deadLetterQueueUrl: string;
}

/** The output keys of service `name`, e.g. `serviceOutputs('web').serviceName` → `WebServiceName`. */
export function serviceOutputs(name: string): ServiceOutputKeys {
  const prefix = pascalCase(name);
  return {
    serviceName: `${prefix}ServiceName`,
    logGroupName: `${prefix}LogGroupName`,
    targetGroupArn: `${prefix}TargetGroupArn`,
    productionRuleArn: `${prefix}ProductionRuleArn`,
    url: `${prefix}Url`,
    queueUrl: `${prefix}QueueUrl`,
    deadLetterQueueUrl: `${prefix}DeadLetterQueueUrl`,
  };
}

/** CloudFormation output keys the CLI and the smoke test read: the environment's (per service: serviceOutputs). */
export const OUTPUTS = {
  /** The environment's URL (the load balancer's name, or the domain). */
  serviceUrl: 'ServiceUrl',
  repositoryUri: 'RepositoryUri',
  clusterName: 'ClusterName',
  dashboardUrl: 'DashboardUrl',
  alarmTopicArn: 'AlarmTopicArn',
  autoScalingGroupName: 'AutoScalingGroupName',
  deployRoleArn: 'DeployRoleArn',
  /**
   * Present only when the service has a release command: the one-off task `berth deploy` runs with the new
   * image before the rollout. Its task definition (revision the stack last deployed), where it runs
   * (capacity provider, private subnets joined with commas, its security group) and where its logs go.
   */
  releaseTaskDefinitionArn: 'ReleaseTaskDefinitionArn',
  releaseCapacityProviderName: 'ReleaseCapacityProviderName',
  releaseSubnetIds: 'ReleaseSubnetIds',
  releaseSecurityGroupId: 'ReleaseSecurityGroupId',
  releaseLogGroupName: 'ReleaseLogGroupName',
} as const;

/** The release task's container (the service's image running its release command) and its log stream prefix. */
export const RELEASE_CONTAINER = { name: 'release', logStreamPrefix: 'release' } as const;

/** Stream of the release task's logs: `<prefix>/<container name>/<task id>`, as for the service's tasks. */
export const releaseLogStreamName = (taskId: string) =>
  `${RELEASE_CONTAINER.logStreamPrefix}/${RELEASE_CONTAINER.name}/${taskId}`;

/**
 * The stream a task's logs land in: awslogs names it `<prefix>/<container name>/<task id>`
 * (AWS, "Using the awslogs log driver", awslogs-stream-prefix). A service's container and its stream prefix
 * are both the service's name: `logStreamName('web', id)` → `web/web/<id>`.
 */
export function logStreamName(service: string, taskId: string): string {
  return `${service}/${service}/${taskId}`;
}

/** CDK context key holding the image to deploy: a digest (`sha256:…`) or a tag. */
export const IMAGE_CONTEXT_KEY = 'berth:image';

/**
 * CDK context key holding the production rules' live weights, `<primary>/<alternate>` (e.g. `0/100` after an
 * odd number of blue/green deploys). `berth deploy` reads them from the rules (outputs `…ProductionRuleArn`) so
 * the template never moves traffic ECS has shifted; absent, a rule is rendered 100/0 (a first deploy).
 * The value: an object by web service, `{ "web": "0/100", "admin": "100/0" }` (the single-service string
 * `"0/100"` is still read, as the first web service's, until the CLI passes the object).
 */
export const PRODUCTION_WEIGHTS_CONTEXT_KEY = 'berth:production-weights';

/** What synth uses when no image was given; `berth deploy` refuses to ship it. */
export const PLACEHOLDER_IMAGE = 'berth-placeholder-image-not-deployable';
