/**
 * What the WebService template promises, property by property, with a service config whose values are all
 * distinct (and distinct from the shipped environments), so a swapped or dropped value shows as a wrong literal.
 * Expected values are literals: Berth's design (docs/architecture.md) or AWS's documented names and formats
 * (CloudFormation resource reference; "Using the awslogs log driver"; "CloudWatch metrics for your Application
 * Load Balancer"; "Amazon ECS Container Insights metrics").
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Template } from 'aws-cdk-lib/assertions';
import { WebService, type WebServiceProps } from '../lib/constructs/web-service.js';
import {
  addLoadBalancer,
  createWebFixture,
  DISTINCT_SERVICE,
  platformProps,
  synthesize,
} from './support/web-fixture.js';

// biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON, read field by field
type Json = any;

function synthesized(props: Partial<WebServiceProps>, accessLogs: { accessLogRetentionDays?: number } = {}) {
  const fixture = createWebFixture();
  new WebService(fixture.stack, 'Web', {
    envName: 'test',
    name: 'web',
    loadBalancer: addLoadBalancer(fixture, 'test', accessLogs),
    ...platformProps(fixture),
    logRetentionDays: 30,
    service: DISTINCT_SERVICE,
    ...props,
  });
  const template = synthesize(fixture);
  return { template, resources: template.toJSON().Resources as Record<string, Json> };
}

// GIVEN a rolling service with a 5xx limit and an access-log retention of its own, and a blue/green one.
const rolling = synthesized({ deploymentMax5xxPerMinute: 17 }, { accessLogRetentionDays: 45 });
const blueGreen = synthesized({
  service: { ...DISTINCT_SERVICE, deployment: { ...DISTINCT_SERVICE.deployment, strategy: 'blue-green' } },
});

function only(template: Template, type: string): { id: string; resource: Json; properties: Json } {
  const found = Object.entries(template.findResources(type));
  assert.equal(found.length, 1, `one ${type}, found ${found.length}`);
  const [id, resource] = found[0]!;
  return { id, resource, properties: resource.Properties };
}

function all(resources: Record<string, Json>, type: string): [string, Json][] {
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}

const groupByDescription = (resources: Record<string, Json>, description: string) => {
  const found = all(resources, 'AWS::EC2::SecurityGroup').filter(
    ([, r]) => r.Properties.GroupDescription === description,
  );
  assert.equal(found.length, 1, `one security group described "${description}"`);
  return found[0]!;
};

const ALB_GROUP = 'Berth test ALB: HTTP(S) from the internet, ephemeral ports to the instances';

describe('WebService contract: network path', () => {
  test('the ALB group is described for what it admits (a changed description replaces the group)', () => {
    const [, group] = groupByDescription(rolling.resources, ALB_GROUP);
    assert.deepEqual(group.Properties.SecurityGroupIngress, [
      { CidrIp: '0.0.0.0/0', Description: 'HTTP from anywhere', FromPort: 80, IpProtocol: 'tcp', ToPort: 80 },
    ]);
  });

  test('the ALB may send only to the instances, only on the ephemeral ports (no open egress)', () => {
    const [albId, group] = groupByDescription(rolling.resources, ALB_GROUP);
    const [instancesId] = groupByDescription(rolling.resources, 'Container instances');
    assert.equal(group.Properties.SecurityGroupEgress, undefined, 'no inline egress, so no 0.0.0.0/0');
    const egress = all(rolling.resources, 'AWS::EC2::SecurityGroupEgress').map(([, r]) => r.Properties);
    assert.deepEqual(egress, [
      {
        GroupId: { 'Fn::GetAtt': [albId, 'GroupId'] },
        IpProtocol: 'tcp',
        Description: 'To bridge-mode tasks on the instances',
        DestinationSecurityGroupId: { 'Fn::GetAtt': [instancesId, 'GroupId'] },
        FromPort: 32768,
        ToPort: 65535,
      },
    ]);
    const ingress = all(rolling.resources, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties);
    assert.deepEqual(ingress, [
      {
        IpProtocol: 'tcp',
        Description: 'Dynamic host ports of bridge-mode tasks, from the ALB only',
        FromPort: 32768,
        GroupId: { 'Fn::GetAtt': [instancesId, 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [albId, 'GroupId'] },
        ToPort: 65535,
      },
    ]);
  });

  test('access logs: bucket owner enforced, kept on delete, expired after the given days, under berth-<env>', () => {
    const bucket = only(rolling.template, 'AWS::S3::Bucket');
    assert.deepEqual(bucket.properties.OwnershipControls, {
      Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }],
    });
    assert.equal(bucket.resource.DeletionPolicy, 'Retain');
    assert.deepEqual(bucket.properties.LifecycleConfiguration.Rules, [
      { ExpirationInDays: 45, Status: 'Enabled' },
    ]);
    const attributes = Object.fromEntries(
      only(
        rolling.template,
        'AWS::ElasticLoadBalancingV2::LoadBalancer',
      ).properties.LoadBalancerAttributes.map((a: { Key: string; Value: string }) => [a.Key, a.Value]),
    );
    assert.equal(attributes['access_logs.s3.prefix'], 'berth-test');
    assert.deepEqual(attributes['access_logs.s3.bucket'], { Ref: bucket.id });
  });

  test('the target group defaults to the container port', () => {
    assert.equal(only(rolling.template, 'AWS::ElasticLoadBalancingV2::TargetGroup').properties.Port, 8080);
  });
});

describe('WebService contract: container', () => {
  const task = only(rolling.template, 'AWS::ECS::TaskDefinition').properties;
  const container = task.ContainerDefinitions[0];

  test('awslogs in non-blocking mode with a 25 MiB buffer, so a CloudWatch Logs hiccup never blocks the app', () => {
    // "Using the awslogs log driver": mode non-blocking, max-buffer-size; 25 MiB = 26,214,400 bytes ("b" suffix).
    assert.equal(container.LogConfiguration.Options.mode, 'non-blocking');
    assert.equal(container.LogConfiguration.Options['max-buffer-size'], '26214400b');
  });

  test('the container health check runs node against /healthz on the container port, with its timings', () => {
    assert.deepEqual(container.HealthCheck, {
      Command: [
        'CMD',
        'node',
        '-e',
        "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))",
      ],
      Interval: 10,
      Timeout: 5,
      Retries: 3,
      // The grace period (45 s), held between 10 and 300 s.
      StartPeriod: 45,
    });
  });

  test('the container listens on the configured port, mapped to a dynamic host port', () => {
    assert.deepEqual(container.PortMappings, [{ ContainerPort: 8080, HostPort: 0, Protocol: 'tcp' }]);
    const env = Object.fromEntries(
      (container.Environment as { Name: string; Value: string }[]).map((e) => [e.Name, e.Value]),
    );
    assert.equal(env.PORT, '8080');
    assert.equal(env.SHUTDOWN_DRAIN_SECONDS, '11');
    assert.equal(container.StopTimeout, 25);
    assert.equal(container.Cpu, 384);
    assert.equal(container.Memory, 768);
  });
});

describe('WebService contract: ECS service', () => {
  const service = only(rolling.template, 'AWS::ECS::Service');

  test('tasks are placed by the capacity provider alone, with weight 1', () => {
    const [providerId] = Object.keys(rolling.template.findResources('AWS::ECS::CapacityProvider'));
    assert.deepEqual(service.properties.CapacityProviderStrategy, [
      { CapacityProvider: { Ref: providerId }, Weight: 1 },
    ]);
  });

  test('rolling: the ROLLING strategy, with neither a bake time nor a canary step', () => {
    const deployment = service.properties.DeploymentConfiguration;
    assert.equal(deployment.Strategy, 'ROLLING');
    assert.equal(deployment.BakeTimeInMinutes, undefined);
    assert.equal(deployment.CanaryConfiguration, undefined);
    assert.equal(service.properties.HealthCheckGracePeriodSeconds, 45);
  });

  test('blue-green: the BLUE_GREEN strategy with the configured bake time and no canary step', () => {
    const deployment = only(blueGreen.template, 'AWS::ECS::Service').properties.DeploymentConfiguration;
    assert.equal(deployment.Strategy, 'BLUE_GREEN');
    assert.equal(deployment.BakeTimeInMinutes, 4);
    assert.equal(deployment.CanaryConfiguration, undefined);
  });

  test('every resource of the service carries the berth:env tag', () => {
    for (const type of [
      'AWS::ECS::Service',
      'AWS::ElasticLoadBalancingV2::LoadBalancer',
      'AWS::ElasticLoadBalancingV2::TargetGroup',
      'AWS::ECS::TaskDefinition',
    ]) {
      const tags = only(rolling.template, type).properties.Tags as { Key: string; Value: string }[];
      assert.deepEqual(
        tags.filter((t) => t.Key === 'berth:env'),
        [{ Key: 'berth:env', Value: 'test' }],
        type,
      );
    }
  });
});

describe('WebService contract: deployment alarms', () => {
  const alarms = all(rolling.resources, 'AWS::CloudWatch::Alarm');
  const byMetric = (name: string) => {
    const found = alarms.filter(([, a]) => a.Properties.MetricName === name);
    assert.equal(found.length, 1, `one alarm on ${name}`);
    return found[0]!;
  };

  test('5xx: more than the given count (17) of target 5xx in its own target group per minute, two minutes out of two', () => {
    const [, alarm] = byMetric('HTTPCode_Target_5XX_Count');
    const { Dimensions, Tags: _tags, ...rest } = alarm.Properties;
    assert.deepEqual(rest, {
      AlarmDescription: 'Rolls a deployment back: more than 17 target 5xx responses in a minute, twice',
      ComparisonOperator: 'GreaterThanThreshold',
      DatapointsToAlarm: 2,
      EvaluationPeriods: 2,
      MetricName: 'HTTPCode_Target_5XX_Count',
      Namespace: 'AWS/ApplicationELB',
      Period: 60,
      Statistic: 'Sum',
      Threshold: 17,
      TreatMissingData: 'notBreaching',
    });
    // Its own target group's: other services behind the same load balancer do not roll it back.
    assert.deepEqual(
      Dimensions.map((d: { Name: string }) => d.Name),
      ['LoadBalancer', 'TargetGroup'],
    );
  });

  test('unhealthy hosts: any unhealthy target (maximum) for two minutes out of two', () => {
    const [, alarm] = byMetric('UnHealthyHostCount');
    const { Dimensions, Tags: _tags, ...rest } = alarm.Properties;
    assert.deepEqual(rest, {
      AlarmDescription: 'Rolls a deployment back: a target failed its health checks for two minutes',
      ComparisonOperator: 'GreaterThanThreshold',
      DatapointsToAlarm: 2,
      EvaluationPeriods: 2,
      MetricName: 'UnHealthyHostCount',
      Namespace: 'AWS/ApplicationELB',
      Period: 60,
      Statistic: 'Maximum',
      Threshold: 0,
      TreatMissingData: 'notBreaching',
    });
    assert.deepEqual(Dimensions.map((d: { Name: string }) => d.Name).sort(), ['LoadBalancer', 'TargetGroup']);
  });

  test('the service rolls back on exactly these alarms', () => {
    const names = only(rolling.template, 'AWS::ECS::Service').properties.DeploymentConfiguration.Alarms
      .AlarmNames;
    assert.deepEqual(names.map((n: { Ref: string }) => n.Ref).sort(), alarms.map(([id]) => id).sort());
  });
});

describe('WebService contract: scaling', () => {
  const policies = all(rolling.resources, 'AWS::ApplicationAutoScaling::ScalingPolicy').map(
    ([, p]) => p.Properties.TargetTrackingScalingPolicyConfiguration,
  );

  test('the task count scales between the configured minimum and maximum', () => {
    const target = only(rolling.template, 'AWS::ApplicationAutoScaling::ScalableTarget').properties;
    assert.equal(target.MinCapacity, 2);
    assert.equal(target.MaxCapacity, 6);
  });

  test('CPU, memory and requests per target each track their own target value', () => {
    const byType = Object.fromEntries(
      policies.map((c: Json) => [c.PredefinedMetricSpecification.PredefinedMetricType, c.TargetValue]),
    );
    assert.deepEqual(byType, {
      ECSServiceAverageCPUUtilization: 55,
      ECSServiceAverageMemoryUtilization: 70,
      ALBRequestCountPerTarget: 300,
    });
  });

  test('out after 60 s, in after 300 s, for every policy', () => {
    assert.equal(policies.length, 3);
    for (const c of policies) {
      assert.equal(c.ScaleOutCooldown, 60);
      assert.equal(c.ScaleInCooldown, 300);
    }
  });

  test('blue/green: requests per task = RequestCount of both groups (Sum) / Container Insights RunningTaskCount (Average)', () => {
    const custom = all(blueGreen.resources, 'AWS::ApplicationAutoScaling::ScalingPolicy')
      .map(([, p]) => p.Properties.TargetTrackingScalingPolicyConfiguration)
      .find((c: Json) => c.CustomizedMetricSpecification);
    assert.ok(custom);
    assert.equal(custom.TargetValue, 300);
    assert.equal(custom.ScaleOutCooldown, 60);
    assert.equal(custom.ScaleInCooldown, 300);
    const [serviceId] = Object.keys(blueGreen.template.findResources('AWS::ECS::Service'));
    const [clusterId] = Object.keys(blueGreen.template.findResources('AWS::ECS::Cluster'));
    const [albId] = Object.keys(
      blueGreen.template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'),
    );
    const groups = Object.keys(blueGreen.template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'));
    const primary = groups.find((id) => id.startsWith('WebTargetGroup'))!;
    const alternate = groups.find((id) => id.startsWith('WebAlternateTargetGroup'))!;
    const requests = (id: string, group: string) => ({
      Id: id,
      MetricStat: {
        Metric: {
          Namespace: 'AWS/ApplicationELB',
          MetricName: 'RequestCount',
          Dimensions: [
            { Name: 'LoadBalancer', Value: { 'Fn::GetAtt': [albId, 'LoadBalancerFullName'] } },
            { Name: 'TargetGroup', Value: { 'Fn::GetAtt': [group, 'TargetGroupFullName'] } },
          ],
        },
        Stat: 'Sum',
      },
      ReturnData: false,
    });
    assert.deepEqual(custom.CustomizedMetricSpecification.Metrics, [
      requests('requests0', primary),
      requests('requests1', alternate),
      {
        Id: 'tasks',
        MetricStat: {
          Metric: {
            Namespace: 'ECS/ContainerInsights',
            MetricName: 'RunningTaskCount',
            Dimensions: [
              { Name: 'ClusterName', Value: { Ref: clusterId } },
              { Name: 'ServiceName', Value: { 'Fn::GetAtt': [serviceId, 'Name'] } },
            ],
          },
          Stat: 'Average',
        },
        ReturnData: false,
      },
      {
        Id: 'perTask',
        Expression: '(FILL(requests0, 0) + FILL(requests1, 0)) / tasks',
        Label: 'Requests per running task',
        ReturnData: true,
      },
    ]);
  });

  test('blue/green: the traffic-shift role says what ECS uses it for', () => {
    const roles = all(blueGreen.resources, 'AWS::IAM::Role').filter(
      ([, r]) => r.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Service === 'ecs.amazonaws.com',
    );
    assert.equal(roles.length, 1);
    assert.equal(
      roles[0]![1].Properties.Description,
      'Lets ECS shift the ALB traffic of this service between its blue and green target groups',
    );
  });
});
