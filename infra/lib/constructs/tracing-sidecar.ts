import { Duration, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';

/**
 * AWS Distro for OpenTelemetry collector, pinned to a published release (ADOT Collector v0.43.2 release notes:
 * "docker pull public.ecr.aws/aws-observability/aws-otel-collector:v0.43.2"). Read the release notes before moving it.
 */
export const COLLECTOR_IMAGE = 'public.ecr.aws/aws-observability/aws-otel-collector:v0.43.2';
/** Name of the sidecar container, and so the host name the app reaches it by through the container link. */
export const COLLECTOR_NAME = 'otel-collector';
/** OTLP/HTTP, the protocol the service's exporter speaks (OpenTelemetry spec, "OTLP/HTTP" default port 4318). */
export const COLLECTOR_OTLP_HTTP_PORT = 4318;

/**
 * Traces only: OTLP/HTTP in, X-Ray out. The built-in /etc/ecs/ecs-default-config.yaml also runs a metrics
 * pipeline to CloudWatch (EMF), which would need CloudWatch Logs permissions the task does not otherwise have.
 * Passed whole through the AOT_CONFIG_CONTENT environment variable, which the ADOT collector image reads in place
 * of a config file (AWS Distro for OpenTelemetry docs, "Setting up the ADOT Collector on Amazon ECS"; not verified
 * against a running collector here: no Docker on this machine).
 */
const COLLECTOR_CONFIG = `receivers:
  otlp:
    protocols:
      http:
        endpoint: 0.0.0.0:${COLLECTOR_OTLP_HTTP_PORT}
processors:
  batch/traces:
    timeout: 1s
    send_batch_size: 50
exporters:
  awsxray:
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch/traces]
      exporters: [awsxray]
`;

/**
 * The X-Ray write actions of the AWS managed policy AWSXrayWriteOnlyAccess (AWS managed policy reference).
 * X-Ray supports no resource-level permissions for them ("Actions, resources, and condition keys for AWS X-Ray":
 * resource types column empty), hence Resource "*".
 */
export const XRAY_WRITE_ACTIONS = [
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
] as const;

/**
 * Adds the ADOT collector beside the app container and points the app's OTLP exporter at it.
 *
 * Bridge network mode gives each container its own network namespace, so `localhost` in the app is not the
 * collector: in bridge mode containers of a task reach each other through `links` (Amazon ECS Developer
 * Guide, "Task definition parameters" / ContainerDefinition links: "allows containers to communicate with each
 * other without the need for port mappings. This parameter is only supported if the network mode of a task
 * definition is bridge"). The link makes the name `otel-collector` resolve in the app container; no host port is opened.
 *
 * Not essential: spans are diagnostics. If the collector stops, ECS keeps the task serving; the app's batch
 * exporter drops the spans it cannot send and requests never wait on it.
 */
export function addTracingSidecar(
  taskDefinition: ecs.TaskDefinition,
  app: ecs.ContainerDefinition,
  options: { sampleRatio: number; logGroup: logs.ILogGroup },
): ecs.ContainerDefinition {
  const collector = taskDefinition.addContainer(COLLECTOR_NAME, {
    containerName: COLLECTOR_NAME,
    image: ecs.ContainerImage.fromRegistry(COLLECTOR_IMAGE),
    essential: false,
    memoryReservationMiB: 64,
    memoryLimitMiB: 256,
    environment: { AOT_CONFIG_CONTENT: COLLECTOR_CONFIG },
    logging: ecs.LogDrivers.awsLogs({
      logGroup: options.logGroup,
      streamPrefix: COLLECTOR_NAME,
      mode: ecs.AwsLogDriverMode.NON_BLOCKING,
    }),
    readonlyRootFilesystem: true,
    stopTimeout: Duration.seconds(10),
  });
  // awsvpc: the task's containers share one network namespace, so the collector is on localhost (Amazon ECS
  // Developer Guide, "Amazon ECS task networking options for EC2": awsvpc "containers that belong to the same
  // task can communicate over the localhost interface"); links exist only in bridge mode.
  const bridge = taskDefinition.networkMode === ecs.NetworkMode.BRIDGE;
  if (bridge) app.addLink(collector);
  // Started first, so the app's first spans find it listening.
  app.addContainerDependencies({ container: collector, condition: ecs.ContainerDependencyCondition.START });
  app.addEnvironment('TRACING', 'otlp');
  app.addEnvironment(
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    `http://${bridge ? COLLECTOR_NAME : 'localhost'}:${COLLECTOR_OTLP_HTTP_PORT}`,
  );
  app.addEnvironment('TRACING_SAMPLE_RATIO', String(options.sampleRatio));

  taskDefinition.addToTaskRolePolicy(
    new iam.PolicyStatement({ actions: [...XRAY_WRITE_ACTIONS], resources: ['*'] }),
  );
  Validations.of(taskDefinition.taskRole).acknowledge({
    id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    reason:
      'The X-Ray write actions support no resource-level permissions (X-Ray service authorization reference).',
  });
  return collector;
}
