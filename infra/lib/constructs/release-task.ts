/**
 * The one-off task a deploy runs before the rollout (migrations): the service's image with its release
 * command, the same database secrets and environment, logs into the service's log group. Not a service: the
 * CLI starts it with RunTask (a revision carrying the new image), waits for it to stop, and goes on only if
 * the container exited 0. awsvpc in the private subnets with a security group that admits nothing, so the
 * database admits exactly the release task, as it does each service.
 */
import { Duration, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { RELEASE_CONTAINER } from '../naming.js';
import { createServiceTask } from './service-task.js';

export interface ReleaseTaskProps {
  readonly vpc: ec2.IVpc;
  /** Where the task is placed: RunTask on a cluster with managed scaling names its capacity provider. */
  readonly capacityProvider: ecs.AsgCapacityProvider;
  /** The ECR repository `image` is in. @default - `image` is a full reference from a public registry */
  readonly repository?: ecr.IRepository;
  /** The image the stack deploys; `berth deploy` registers a revision with the new one before running it. */
  readonly image: string;
  /** The release command, e.g. `['node', 'dist/migrate-command.js']`. */
  readonly command: string[];
  /** The service's log group: release output sits beside the service's own. */
  readonly logGroup: logs.ILogGroup;
  /** @default 256 */
  readonly cpu?: number;
  /** @default 512 */
  readonly memoryMiB?: number;
  /** The environment's database: credentials as ECS secrets. Admit `securityGroup` to it as well. @default - none */
  readonly databaseSecret?: secretsmanager.ISecret;
  /** The service's plain settings. @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /** The service's secrets, as ECS secrets; the execution role may read exactly these. @default - none */
  readonly secrets?: Readonly<Record<string, ecs.Secret>>;
}

export class ReleaseTask extends Construct {
  readonly taskDefinition: ecs.Ec2TaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly securityGroup: ec2.SecurityGroup;
  /** The private subnets RunTask places the task's network interface in. */
  readonly subnets: ec2.SelectedSubnets;
  readonly capacityProviderName: string;
  readonly logGroup: logs.ILogGroup;

  constructor(scope: Construct, id: string, props: ReleaseTaskProps) {
    super(scope, id);
    if (props.command.length === 0 || props.command.some((part) => part === '')) {
      throw new Error(
        'release command must be a non-empty list of non-empty strings, e.g. ["node", "dist/migrate.js"]',
      );
    }
    const task = createServiceTask(this, 'TaskDefinition', {
      networkMode: ecs.NetworkMode.AWS_VPC,
      containerName: RELEASE_CONTAINER.name,
      streamPrefix: RELEASE_CONTAINER.logStreamPrefix,
      repository: props.repository,
      image: props.image,
      cpu: props.cpu ?? 256,
      memoryMiB: props.memoryMiB ?? 512,
      logGroup: props.logGroup,
      // A timed-out release is stopped with StopTask: SIGTERM lets a migration roll its transaction back.
      stopTimeout: Duration.seconds(30),
      databaseSecret: props.databaseSecret,
      environment: props.environment,
      secrets: props.secrets,
      container: { command: props.command },
    });
    this.taskDefinition = task.taskDefinition;
    this.container = task.container;
    this.logGroup = props.logGroup;
    this.capacityProviderName = props.capacityProvider.capacityProviderName;
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Berth release task: no ingress; outbound to the database and AWS APIs',
      allowAllOutbound: true,
    });
    this.subnets = props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS });
    Tags.of(this).add('berth:service', 'release');
  }
}
