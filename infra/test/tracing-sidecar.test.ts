import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { validateEnvironment } from '../config/validate.js';
import { ENVIRONMENTS } from './fixtures/cart-config.js';
import { addWebService, createWebFixture, synthesize } from './support/web-fixture.js';

function template(tracing: { enabled: boolean; sampleRatio: number } | undefined) {
  const fixture = createWebFixture();
  addWebService(fixture, 'prod', { tracing });
  // cdk-nag and schema validation run in synthesize and throw on any finding.
  return synthesize(fixture);
}

type Container = { Name: string; Environment?: { Name: string; Value: string }[]; [key: string]: unknown };

function containers(t: ReturnType<typeof template>): Container[] {
  const [definition] = Object.values(t.findResources('AWS::ECS::TaskDefinition'));
  return (definition as { Properties: { ContainerDefinitions: Container[] } }).Properties
    .ContainerDefinitions;
}

const env = (container: Container | undefined, name: string) =>
  container?.Environment?.find((entry) => entry.Name === name)?.Value;

describe('tracing sidecar', () => {
  const on = template({ enabled: true, sampleRatio: 0.25 });

  test('on: an ADOT collector beside the app, pinned, not essential, configured for OTLP/HTTP → X-Ray', () => {
    const collector = containers(on).find((c) => c.Name === 'otel-collector');
    assert.ok(collector);
    assert.equal(collector.Image, 'public.ecr.aws/aws-observability/aws-otel-collector:v0.43.2');
    assert.equal(collector.Essential, false);
    assert.equal(collector.ReadonlyRootFilesystem, true);
    assert.equal(collector.PortMappings, undefined, 'no port opened on the host');
    const config = env(collector, 'AOT_CONFIG_CONTENT') ?? '';
    assert.match(config, /endpoint: 0\.0\.0\.0:4318/);
    assert.match(config, /exporters: \[awsxray\]/);
    assert.doesNotMatch(config, /awsemf/, 'no metrics pipeline (it would need CloudWatch Logs permissions)');
  });

  test('on: the app reaches the collector through a bridge-mode link, not localhost', () => {
    const app = containers(on).find((c) => c.Name !== 'otel-collector');
    assert.deepEqual(app?.Links, ['otel-collector']);
    assert.equal(env(app, 'TRACING'), 'otlp');
    assert.equal(env(app, 'OTEL_EXPORTER_OTLP_ENDPOINT'), 'http://otel-collector:4318');
    assert.equal(env(app, 'TRACING_SAMPLE_RATIO'), '0.25');
    assert.deepEqual(app?.DependsOn, [{ ContainerName: 'otel-collector', Condition: 'START' }]);
  });

  test('on: the task role may write to X-Ray and nothing more (AWSXrayWriteOnlyAccess actions)', () => {
    on.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
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
        ]),
      },
    });
  });

  test('off: no collector, no tracing variables, no X-Ray permissions', () => {
    const off = template({ enabled: false, sampleRatio: 0.25 });
    assert.deepEqual(
      containers(off).map((c) => c.Name),
      ['web'],
    );
    assert.equal(env(containers(off)[0], 'TRACING'), undefined);
    assert.doesNotMatch(JSON.stringify(off.toJSON()), /xray:/);
  });

  test('config: sampleRatio outside 0..1 is refused naming the field', () => {
    assert.throws(
      () => validateEnvironment({ ...ENVIRONMENTS.prod, tracing: { enabled: true, sampleRatio: 1.5 } }),
      /prod\.tracing\.sampleRatio/,
    );
    assert.throws(
      () => validateEnvironment({ ...ENVIRONMENTS.test, tracing: { enabled: true, sampleRatio: -0.1 } }),
      /test\.tracing\.sampleRatio/,
    );
  });
});
