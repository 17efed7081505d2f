import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Duration } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { WorkerService, type WorkerServiceProps } from '../lib/constructs/worker-service.js';
import { createWebFixture, DIGEST, SECRET_ARN, synthesize, type WebFixture } from './support/web-fixture.js';

const QUEUE_ARN = 'arn:aws:sqs:eu-west-1:123456789012:berth-jobs';
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:berth-alarms';

function addWorker(fixture: WebFixture, overrides: Partial<WorkerServiceProps> = {}): WorkerService {
  return new WorkerService(fixture.stack, 'Worker', {
    vpc: fixture.vpc,
    cluster: fixture.cluster,
    capacityProvider: fixture.capacityProvider,
    name: 'cart-expiry',
    repository: fixture.repository,
    image: DIGEST,
    command: ['node', 'dist/worker.js'],
    cpu: 128,
    memoryMiB: 320,
    logRetentionDays: 30,
    databaseSecret: fixture.databaseSecret,
    environment: { CART_EXPIRY_HOURS: '48' },
    ...overrides,
  });
}

function synthesized(overrides: (fixture: WebFixture) => Partial<WorkerServiceProps> = () => ({})) {
  const fixture = createWebFixture();
  const worker = addWorker(fixture, overrides(fixture));
  return { fixture, worker, template: synthesize(fixture) };
}

function only(template: Template, type: string, props: object = {}) {
  const found = Object.entries(template.findResources(type, props));
  assert.equal(found.length, 1, `expected exactly one ${type}, found ${found.length}`);
  return { logicalId: found[0]![0], properties: found[0]![1].Properties };
}

// Synthesized once each; cdk-nag's AWS Solutions checks and the schema validation throw on any finding.
const plain = synthesized();
const withQueue = synthesized((fixture) => ({
  queueScaling: { queue: sqs.Queue.fromQueueArn(fixture.stack, 'Jobs', QUEUE_ARN), messagesPerTask: 25 },
  minTasks: 0,
  maxTasks: 6,
  cpuTargetPercent: 55,
  cpuAlarmPercent: 85,
  stopTimeout: Duration.seconds(45),
  alarmTopic: sns.Topic.fromTopicArn(fixture.stack, 'Alarms', TOPIC_ARN),
  tracing: { sampleRatio: 0.25 },
}));

describe('WorkerService', () => {
  test('has no load balancer: no ELB resource, no target group on the service, no port mapping', () => {
    const template = plain.template;
    for (const type of [
      'AWS::ElasticLoadBalancingV2::LoadBalancer',
      'AWS::ElasticLoadBalancingV2::TargetGroup',
      'AWS::ElasticLoadBalancingV2::Listener',
    ]) {
      assert.deepEqual(template.findResources(type), {}, type);
    }
    const service = only(template, 'AWS::ECS::Service').properties;
    assert.equal(service.LoadBalancers, undefined);
    const [container] = only(template, 'AWS::ECS::TaskDefinition').properties.ContainerDefinitions;
    assert.equal(container.PortMappings, undefined);
    assert.equal(container.HealthCheck, undefined);
  });

  test('runs in the private subnets behind its own security group, which admits nothing', () => {
    const template = plain.template;
    const group = only(template, 'AWS::EC2::SecurityGroup', {
      Properties: { GroupDescription: Match.stringLikeRegexp('Berth worker cart-expiry') },
    });
    assert.equal(group.properties.SecurityGroupIngress, undefined);
    assert.deepEqual(group.properties.SecurityGroupEgress, [
      { CidrIp: '0.0.0.0/0', Description: 'Allow all outbound traffic by default', IpProtocol: '-1' },
    ]);
    const ingressToWorker = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).filter(
      (rule) => JSON.stringify(rule.Properties.GroupId).includes(group.logicalId),
    );
    assert.deepEqual(ingressToWorker, []);
    const network = only(template, 'AWS::ECS::Service').properties.NetworkConfiguration.AwsvpcConfiguration;
    assert.deepEqual(network.SecurityGroups, [{ 'Fn::GetAtt': [group.logicalId, 'GroupId'] }]);
    assert.equal(network.AssignPublicIp, 'DISABLED');
    const privateSubnets = Object.keys(template.findResources('AWS::EC2::Subnet')).filter((id) =>
      id.startsWith('VpcprivateSubnet'),
    );
    assert.equal(privateSubnets.length, 2);
    assert.deepEqual(
      network.Subnets.map((subnet: { Ref: string }) => subnet.Ref).sort(),
      privateSubnets.sort(),
    );
    assert.equal(
      only(template, 'AWS::ECS::TaskDefinition').properties.NetworkMode,
      'awsvpc',
      'a security group of its own needs awsvpc',
    );
  });

  test('the container: its command, image digest, database secrets, settings, non-root, read-only root, logs', () => {
    const template = plain.template;
    const [container] = only(template, 'AWS::ECS::TaskDefinition').properties.ContainerDefinitions;
    assert.equal(container.Name, 'cart-expiry');
    assert.deepEqual(container.Command, ['node', 'dist/worker.js']);
    assert.match(JSON.stringify(container.Image), new RegExp(`@${DIGEST}`));
    assert.equal(container.Cpu, 128);
    assert.equal(container.Memory, 320);
    assert.equal(container.User, '1000');
    assert.equal(container.ReadonlyRootFilesystem, true);
    assert.equal(container.StopTimeout, 30);
    assert.deepEqual(
      container.Secrets.map((s: { Name: string; ValueFrom: unknown }) => [s.Name, s.ValueFrom]),
      [
        ['PGHOST', `${SECRET_ARN}:host::`],
        ['PGPORT', `${SECRET_ARN}:port::`],
        ['PGUSER', `${SECRET_ARN}:username::`],
        ['PGPASSWORD', `${SECRET_ARN}:password::`],
        ['PGDATABASE', `${SECRET_ARN}:dbname::`],
      ],
    );
    assert.deepEqual(container.Environment, [
      { Name: 'PGSSLMODE', Value: 'verify-full' },
      { Name: 'PGSSLROOTCERT', Value: '/etc/ssl/certs/rds-global-bundle.pem' },
      { Name: 'CART_EXPIRY_HOURS', Value: '48' },
      // aws-cdk-lib adds it to every container of an awsvpc Ec2TaskDefinition.
      { Name: 'AWS_REGION', Value: 'eu-west-1' },
    ]);
    const logGroupId = container.LogConfiguration.Options['awslogs-group'].Ref;
    assert.equal(template.toJSON().Resources[logGroupId].Properties.RetentionInDays, 30);
    assert.deepEqual(container.LogConfiguration.Options, {
      'awslogs-group': { Ref: logGroupId },
      'awslogs-stream-prefix': 'cart-expiry',
      'awslogs-region': 'eu-west-1',
      mode: 'non-blocking',
      'max-buffer-size': '26214400b', // 25 MiB
    });
  });

  test('deployments roll back on the circuit breaker and keep every task until its replacement runs', () => {
    const service = only(plain.template, 'AWS::ECS::Service').properties;
    assert.deepEqual(service.DeploymentConfiguration, {
      // aws-cdk-lib renders deployment alarms off when none are given.
      Alarms: { AlarmNames: [], Enable: false, Rollback: false },
      DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      MinimumHealthyPercent: 100,
      MaximumPercent: 200,
    });
    assert.deepEqual(service.CapacityProviderStrategy, [
      { CapacityProvider: { Ref: only(plain.template, 'AWS::ECS::CapacityProvider').logicalId }, Weight: 1 },
    ]);
  });

  test('scales 1 to 2 tasks on average CPU at 70 %, with no queue policy', () => {
    const target = only(plain.template, 'AWS::ApplicationAutoScaling::ScalableTarget').properties;
    assert.equal(target.MinCapacity, 1);
    assert.equal(target.MaxCapacity, 2);
    assert.equal(target.ScalableDimension, 'ecs:service:DesiredCount');
    assert.match(JSON.stringify(target.RoleARN), /AWSServiceRoleForApplicationAutoScaling_ECSService/);
    const policy = only(plain.template, 'AWS::ApplicationAutoScaling::ScalingPolicy').properties;
    assert.deepEqual(policy.TargetTrackingScalingPolicyConfiguration, {
      PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
      TargetValue: 70,
      ScaleOutCooldown: 60,
      ScaleInCooldown: 300,
    });
  });

  test('alarms: CPU above 90 % for five minutes, and fewer tasks running than desired for ten', () => {
    const cpu = only(plain.template, 'AWS::CloudWatch::Alarm', {
      Properties: { MetricName: 'CPUUtilization' },
    }).properties;
    assert.equal(cpu.Namespace, 'AWS/ECS');
    assert.equal(cpu.Threshold, 90);
    assert.equal(cpu.EvaluationPeriods, 5);
    assert.equal(cpu.DatapointsToAlarm, 5);
    assert.equal(cpu.ComparisonOperator, 'GreaterThanThreshold');
    const tasks = only(plain.template, 'AWS::CloudWatch::Alarm', {
      Properties: { Metrics: Match.anyValue() },
    }).properties;
    assert.equal(tasks.Threshold, 0);
    assert.equal(tasks.EvaluationPeriods, 10);
    assert.equal(tasks.TreatMissingData, 'missing');
    const expression = tasks.Metrics.find((m: { Expression?: string }) => m.Expression);
    assert.equal(expression.Expression, 'desired - running');
    const names = tasks.Metrics.filter((m: { MetricStat?: unknown }) => m.MetricStat).map(
      (m: { Id: string; MetricStat: { Metric: { MetricName: string; Namespace: string } } }) => [
        m.Id,
        m.MetricStat.Metric.Namespace,
        m.MetricStat.Metric.MetricName,
      ],
    );
    assert.deepEqual(names.sort(), [
      ['desired', 'ECS/ContainerInsights', 'DesiredTaskCount'],
      ['running', 'ECS/ContainerInsights', 'RunningTaskCount'],
    ]);
    assert.equal(cpu.AlarmActions, undefined, 'no topic given, no action');
  });

  test('with a queue: target tracking on backlog per task (AWS metric-math example), consumer rights on that queue', () => {
    const template = withQueue.template;
    const target = only(template, 'AWS::ApplicationAutoScaling::ScalableTarget');
    assert.equal(target.properties.MinCapacity, 0);
    assert.equal(target.properties.MaxCapacity, 6);
    const queuePolicy = only(template, 'AWS::ApplicationAutoScaling::ScalingPolicy', {
      Properties: {
        TargetTrackingScalingPolicyConfiguration: { CustomizedMetricSpecification: Match.anyValue() },
      },
    }).properties;
    assert.deepEqual(queuePolicy.ScalingTargetId, { Ref: target.logicalId });
    assert.equal(queuePolicy.PolicyType, 'TargetTrackingScaling');
    const config = queuePolicy.TargetTrackingScalingPolicyConfiguration;
    assert.equal(config.TargetValue, 25);
    const [messages, tasks, perTask] = config.CustomizedMetricSpecification.Metrics;
    assert.deepEqual(messages.MetricStat, {
      Metric: {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: 'berth-jobs' }],
      },
      Stat: 'Sum',
    });
    assert.equal(tasks.MetricStat.Metric.MetricName, 'RunningTaskCount');
    assert.equal(tasks.MetricStat.Metric.Namespace, 'ECS/ContainerInsights');
    assert.equal(tasks.MetricStat.Stat, 'Average');
    assert.deepEqual(
      [messages.ReturnData, tasks.ReturnData, perTask.ReturnData, perTask.Expression],
      [false, false, true, `${messages.Id} / ${tasks.Id}`],
    );
    const cpuPolicy = only(template, 'AWS::ApplicationAutoScaling::ScalingPolicy', {
      Properties: {
        TargetTrackingScalingPolicyConfiguration: { PredefinedMetricSpecification: Match.anyValue() },
      },
    }).properties;
    assert.equal(cpuPolicy.TargetTrackingScalingPolicyConfiguration.TargetValue, 55);

    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement,
    );
    const sqsStatement = statements.find((s: { Action: string[] }) =>
      [s.Action].flat().includes('sqs:ReceiveMessage'),
    );
    assert.deepEqual(sqsStatement.Resource, QUEUE_ARN);
    assert.deepEqual([sqsStatement.Action].flat().sort(), [
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
    ]);
  });

  test('with options: stop timeout, alarm topic and CPU threshold as given; tracing reaches the sidecar on localhost', () => {
    const template = withQueue.template;
    const containers = only(template, 'AWS::ECS::TaskDefinition').properties.ContainerDefinitions;
    const app = containers.find((c: { Name: string }) => c.Name === 'cart-expiry');
    assert.equal(app.StopTimeout, 45);
    assert.equal(app.Links, undefined);
    assert.deepEqual(
      app.Environment.filter(
        (e: { Name: string }) => e.Name.startsWith('OTEL') || e.Name.startsWith('TRACING'),
      ),
      [
        { Name: 'TRACING', Value: 'otlp' },
        { Name: 'OTEL_EXPORTER_OTLP_ENDPOINT', Value: 'http://localhost:4318' },
        { Name: 'TRACING_SAMPLE_RATIO', Value: '0.25' },
      ],
    );
    assert.ok(containers.some((c: { Name: string }) => c.Name === 'otel-collector'));
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    assert.equal(alarms.length, 2);
    for (const alarm of alarms) assert.deepEqual(alarm.Properties.AlarmActions, [TOPIC_ARN]);
    const cpu = only(template, 'AWS::CloudWatch::Alarm', { Properties: { MetricName: 'CPUUtilization' } });
    assert.equal(cpu.properties.Threshold, 85);
  });

  test('refuses props that cannot work, naming the field', () => {
    const cases: [Partial<WorkerServiceProps>, RegExp][] = [
      [{ minTasks: 3, maxTasks: 2 }, /^minTasks \(3\) must be <= maxTasks \(2\)$/],
      [{ stopTimeout: Duration.seconds(121) }, /^stopTimeout \(121 s\) must be from 2 to 120 seconds$/],
      [{ name: 'Cart_Expiry' }, /^worker name "Cart_Expiry" must be lower-case/],
      [{ maxTasks: 0, minTasks: 0 }, /^maxTasks \(0\) must be a whole number >= 1$/],
      [{ logRetentionDays: 10 }, /^logRetentionDays \(10\) is not a CloudWatch Logs retention/],
    ];
    for (const [overrides, message] of cases) {
      assert.throws(() => addWorker(createWebFixture(), overrides), { message });
    }
  });
});
