/**
 * What every Berth service type runs in: its log group, and an EC2 task definition with the app container
 * (image from the registry, JSON logs to CloudWatch, database credentials as ECS secrets, read-only root,
 * non-root user, a writable /tmp) plus the tracing sidecar when asked. WebService, WorkerService and
 * ReleaseTask compose these; each adds only what is its own (ports, health check, command).
 * Functions, not a construct: they create their resources directly in the caller's scope, so the logical ids
 * WebService had before this module existed stay exactly as they were.
 */
import { type Duration, RemovalPolicy, Size, Validations } from 'aws-cdk-lib';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { addTracingSidecar } from './tracing-sidecar.js';

/** The image ships the RDS CA bundle here, so `verify-full` needs no download at start-up. */
export const RDS_CA_BUNDLE = '/etc/ssl/certs/rds-global-bundle.pem';

/** The service's log group, kept after a stack deletion so the reason a first deploy failed survives a rollback. */
export function createServiceLogGroup(
  scope: Construct,
  retentionDays: number,
  id = 'LogGroup',
): logs.LogGroup {
  validateLogRetention(retentionDays);
  return new logs.LogGroup(scope, id, {
    retention: retentionDays as logs.RetentionDays,
    // Keeps the reason a first deploy failed even after CloudFormation rolls the stack back.
    removalPolicy: RemovalPolicy.RETAIN,
  });
}

/** CloudWatch Logs accepts only its listed retentions (1, 3, 5, 7, 14, 30, 60, 90, ... days). */
export function validateLogRetention(retentionDays: number): void {
  if (!Object.values(logs.RetentionDays).includes(retentionDays as logs.RetentionDays)) {
    throw new Error(
      `logRetentionDays (${retentionDays}) is not a CloudWatch Logs retention such as 14 or 90`,
    );
  }
}

export interface ServiceTaskProps {
  /** BRIDGE for tasks behind the ALB on dynamic host ports; AWS_VPC for tasks with a security group of their own. */
  readonly networkMode: ecs.NetworkMode;
  /** Name of the app container; its awslogs stream prefix is `streamPrefix`. */
  readonly containerName: string;
  readonly streamPrefix: string;
  /**
   * The ECR repository `image` is in; the task's execution role may pull from it.
   * @default - `image` is a full reference pulled from a public registry (no pull permission needed)
   */
  readonly repository?: ecr.IRepository;
  /** A digest (`sha256:…`) or a tag in `repository`; without one, a full image reference (`nginx:1.27`). */
  readonly image: string;
  /** CPU units reserved for the app container (1024 = one vCPU). */
  readonly cpu: number;
  /** Hard and soft memory limit of the app container. */
  readonly memoryMiB: number;
  readonly logGroup: logs.ILogGroup;
  /** SIGTERM to SIGKILL: the app's graceful stop must fit in it (ECS on EC2 allows up to 120 s; Berth uses <= 30 s). */
  readonly stopTimeout: Duration;
  /**
   * RDS-generated JSON secret (username, password, host, port, dbname): injected as the PG* variables, as ECS
   * secrets (never plain), with TLS verified against the bundled RDS CA.
   * @default - no database variables
   */
  readonly databaseSecret?: secretsmanager.ISecret;
  /** Plain, non-secret settings, after the database ones. @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * The service's own secrets (SSM parameters, Secrets Manager secrets), after the database ones: ECS reads them
   * with the execution role, which is granted exactly these. @default - none
   */
  readonly secrets?: Readonly<Record<string, ecs.Secret>>;
  /** The ADOT collector sidecar (tracing-sidecar.ts). @default - tracing off */
  readonly tracing?: { readonly sampleRatio: number };
  /** What only this service type has: port mappings, a health check, system controls, a command. */
  readonly container?: Pick<
    ecs.ContainerDefinitionOptions,
    'portMappings' | 'healthCheck' | 'systemControls' | 'command'
  >;
}

export interface ServiceTask {
  readonly taskDefinition: ecs.Ec2TaskDefinition;
  readonly container: ecs.ContainerDefinition;
}

/** The task definition (construct id `id` in `scope`) and its app container; see the module comment. */
export function createServiceTask(scope: Construct, id: string, props: ServiceTaskProps): ServiceTask {
  const taskDefinition = new ecs.Ec2TaskDefinition(scope, id, {
    networkMode: props.networkMode,
    // The root filesystem is read-only; this Docker-managed scratch volume is the writable /tmp.
    volumes: [{ name: 'tmp' }],
  });
  const secret = (field: string) => ecs.Secret.fromSecretsManager(props.databaseSecret!, field);
  const container = taskDefinition.addContainer(props.containerName, {
    containerName: props.containerName,
    image: props.repository
      ? ecs.ContainerImage.fromEcrRepository(props.repository, props.image)
      : ecs.ContainerImage.fromRegistry(props.image),
    cpu: props.cpu,
    memoryReservationMiB: props.memoryMiB,
    memoryLimitMiB: props.memoryMiB,
    ...props.container,
    logging: ecs.LogDrivers.awsLogs({
      logGroup: props.logGroup,
      streamPrefix: props.streamPrefix,
      // A CloudWatch Logs hiccup must not block the event loop; the buffer absorbs bursts.
      mode: ecs.AwsLogDriverMode.NON_BLOCKING,
      maxBufferSize: Size.mebibytes(25),
    }),
    secrets:
      props.databaseSecret || props.secrets
        ? {
            ...(props.databaseSecret
              ? {
                  PGHOST: secret('host'),
                  PGPORT: secret('port'),
                  PGUSER: secret('username'),
                  PGPASSWORD: secret('password'),
                  PGDATABASE: secret('dbname'),
                }
              : {}),
            ...props.secrets,
          }
        : undefined,
    environment: {
      ...(props.databaseSecret ? { PGSSLMODE: 'verify-full', PGSSLROOTCERT: RDS_CA_BUNDLE } : {}),
      ...props.environment,
    },
    readonlyRootFilesystem: true,
    user: '1000',
    stopTimeout: props.stopTimeout,
  });
  container.addMountPoints({ containerPath: '/tmp', sourceVolume: 'tmp', readOnly: false });
  if (props.tracing) {
    addTracingSidecar(taskDefinition, container, {
      sampleRatio: props.tracing.sampleRatio,
      logGroup: props.logGroup,
    });
  }

  Validations.of(taskDefinition).acknowledge({
    id: 'AwsSolutions::AwsSolutions-ECS2',
    reason:
      'Only non-secret settings are plain environment variables; credentials come from Secrets Manager.',
  });
  // GetAuthorizationToken has no resource-level permissions; image pulls are scoped to the repository.
  Validations.of(taskDefinition).acknowledge({
    id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    reason: 'ecr:GetAuthorizationToken supports only Resource "*"; layer pulls are scoped to the repository.',
  });
  return { taskDefinition, container };
}
