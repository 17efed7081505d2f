/**
 * addTracingSidecar on a bare task definition (tracing-sidecar.test.ts checks it inside a synthesized web service):
 * every field of the collector container, how the app reaches it in each network mode, the X-Ray permissions and
 * their acknowledgement. No cdk-nag, no whole app: a mutant costs one small synthesis.
 * Expected values are literals from AWS documentation (ADOT collector v0.43.2 release notes for the image; "Task
 * definition parameters": `links` only in bridge mode, `dependsOn` condition START; "Amazon ECS task networking
 * options for EC2": awsvpc containers share localhost; AWSXrayWriteOnlyAccess for the actions; OpenTelemetry's
 * OTLP/HTTP port 4318) and Berth's design (limits, stop timeout, log stream prefix, the traces-only pipeline).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { addTracingSidecar } from '../lib/constructs/tracing-sidecar.js';

// biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON, read field by field
type Json = any;

/** The collector's whole configuration: OTLP over HTTP in, batched, X-Ray out, and nothing else. */
const TRACES_ONLY_CONFIG = `receivers:
  otlp:
    protocols:
      http:
        endpoint: 0.0.0.0:4318
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

function traced(networkMode: ecs.NetworkMode, sampleRatio: number) {
  const stack = new Stack(new App(), 'Tracing', {
    env: { account: '109876543210', region: 'ap-southeast-2' },
  });
  const logGroup = new logs.LogGroup(stack, 'Spans');
  const taskDefinition = new ecs.Ec2TaskDefinition(stack, 'Task', { networkMode });
  const app = taskDefinition.addContainer('shop', {
    image: ecs.ContainerImage.fromRegistry('example.com/shop:1'),
    memoryLimitMiB: 320,
  });
  const returned = addTracingSidecar(taskDefinition, app, { sampleRatio, logGroup });
  const json = Template.fromStack(stack).toJSON();
  const resources = Object.entries(json.Resources as Record<string, Json>);
  const [, definition] = resources.find(([, r]) => r.Type === 'AWS::ECS::TaskDefinition')!;
  const containers = definition.Properties.ContainerDefinitions as Json[];
  const byName = (name: string) => containers.find((c) => c.Name === name);
  const [logGroupId] = resources.find(([, r]) => r.Type === 'AWS::Logs::LogGroup')!;
  const policies = resources.filter(([, r]) => r.Type === 'AWS::IAM::Policy').map(([, r]) => r.Properties);
  return {
    taskDefinition,
    returned,
    containers,
    app: byName('shop'),
    collector: byName('otel-collector'),
    logGroupId,
    policies,
  };
}

const environment = (container: Json) =>
  Object.fromEntries((container.Environment ?? []).map((e: Json) => [e.Name, e.Value]));

// GIVEN one sidecar in a bridge-mode task (EC2 web services) and one in an awsvpc task (workers, release).
const bridge = traced(ecs.NetworkMode.BRIDGE, 0.35);
const awsvpc = traced(ecs.NetworkMode.AWS_VPC, 0.6);

describe('addTracingSidecar on a bare task definition', () => {
  test('the collector: pinned ADOT image, not essential, bounded memory, read-only, 10 s to stop', () => {
    const { collector } = bridge;
    assert.equal(collector.Image, 'public.ecr.aws/aws-observability/aws-otel-collector:v0.43.2');
    assert.equal(collector.Essential, false);
    assert.equal(collector.MemoryReservation, 64);
    assert.equal(collector.Memory, 256);
    assert.equal(collector.ReadonlyRootFilesystem, true);
    assert.equal(collector.StopTimeout, 10);
    assert.equal(collector.PortMappings, undefined, 'no port opened on the host');
    assert.deepEqual(environment(collector), { AOT_CONFIG_CONTENT: TRACES_ONLY_CONFIG });
  });

  test('the collector logs to the given group under its own prefix, without blocking', () => {
    const { collector, logGroupId } = bridge;
    assert.equal(collector.LogConfiguration.LogDriver, 'awslogs');
    assert.deepEqual(collector.LogConfiguration.Options['awslogs-group'], { Ref: logGroupId });
    assert.equal(collector.LogConfiguration.Options['awslogs-stream-prefix'], 'otel-collector');
    assert.equal(collector.LogConfiguration.Options.mode, 'non-blocking');
  });

  test('bridge: the app links to the collector by name and sends OTLP/HTTP to it', () => {
    const { app } = bridge;
    assert.deepEqual(app.Links, ['otel-collector']);
    assert.deepEqual(environment(app), {
      TRACING: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318',
      TRACING_SAMPLE_RATIO: '0.35',
    });
  });

  test('awsvpc: no link (bridge only); the app sends to localhost', () => {
    const { app } = awsvpc;
    assert.equal(app.Links, undefined);
    // CDK adds AWS_REGION to awsvpc containers itself; the three below are the sidecar's.
    const { AWS_REGION, ...tracing } = environment(app);
    assert.deepEqual(tracing, {
      TRACING: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318',
      TRACING_SAMPLE_RATIO: '0.6',
    });
  });

  test('the app starts after the collector has started, in either mode', () => {
    for (const { app } of [bridge, awsvpc]) {
      assert.deepEqual(app.DependsOn, [{ ContainerName: 'otel-collector', Condition: 'START' }]);
    }
  });

  test('the task role may call the four X-Ray write actions on any resource, and nothing else', () => {
    for (const { policies } of [bridge, awsvpc]) {
      const statements = policies.flatMap((p) => p.PolicyDocument.Statement);
      const xray = statements.filter((s: Json) => JSON.stringify(s).includes('xray:'));
      assert.deepEqual(xray, [
        {
          Effect: 'Allow',
          Action: [
            'xray:PutTraceSegments',
            'xray:PutTelemetryRecords',
            'xray:GetSamplingRules',
            'xray:GetSamplingTargets',
          ],
          Resource: '*',
        },
      ]);
    }
  });

  test('the wildcard resource is acknowledged on the task role, with its reason', () => {
    const role = bridge.taskDefinition.taskRole.node;
    const acknowledged = role.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .map((entry) => entry.data as Record<string, string>);
    const reason = acknowledged.find((data) => 'AwsSolutions::AwsSolutions-IAM5[Resource::*]' in data)?.[
      'AwsSolutions::AwsSolutions-IAM5[Resource::*]'
    ];
    assert.match(reason ?? '', /X-Ray .*no resource-level permissions/);
  });

  test('returns the collector container it added', () => {
    assert.equal(bridge.returned.containerName, 'otel-collector');
    assert.equal(bridge.returned.taskDefinition, bridge.taskDefinition);
  });
});
