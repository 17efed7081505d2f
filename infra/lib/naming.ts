/**
 * Names shared by the CDK app, the CLI and the pipelines. Change them here and nowhere else.
 */
import type { EnvName, Region } from '../config/environments.js';

/** The regional components, in deploy order. */
export const COMPONENTS = ['Network', 'Data', 'Service', 'Monitoring'] as const;
export type Component = (typeof COMPONENTS)[number];

const title = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** `Berth-Test-eu-west-1-Network`: env, region and component readable at a glance in the console. */
export function stackName(env: EnvName, region: Region, component: Component): string {
  return `Berth-${title(env)}-${region}-${component}`;
}

/** Account-wide resources (CI's OIDC provider and roles, the shared image registry) live in one stack. */
export const GLOBAL_STACK_NAME = 'Berth-Global';

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

/** SSM parameters: the single source of truth for what runs where. */
export const PARAMETERS = {
  /** The image digest (`sha256:…`) deployed to an environment; written by `berth deploy`. */
  imageDigest: (env: EnvName) => `/berth/${env}/image-digest`,
  /** The AMI id our Packer pipeline published for an environment and architecture; read by the Cluster. */
  ami: (env: EnvName, arch: 'x86_64' | 'arm64') => `${PARAMETERS.amiPrefix(env)}${arch}`,
  /** Path under which an environment's AMI parameters live (one per architecture). */
  amiPrefix: (env: EnvName) => `/berth/${env}/ami/`,
} as const;

/** The application container of every task definition, and the awslogs stream prefix of its logs. */
export const CONTAINER = { name: 'web', logStreamPrefix: 'web' } as const;

/** The release task's container (the service's image running its release command) and its log stream prefix. */
export const RELEASE_CONTAINER = { name: 'release', logStreamPrefix: 'release' } as const;

/** Stream of the release task's logs: `<prefix>/<container name>/<task id>`, as for the service's tasks. */
export const releaseLogStreamName = (taskId: string) =>
  `${RELEASE_CONTAINER.logStreamPrefix}/${RELEASE_CONTAINER.name}/${taskId}`;

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
