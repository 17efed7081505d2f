/**
 * scaleWebService on its own: the scalable target (what it scales, between which bounds, with which role), the
 * three target-tracking policies, and the construct paths that keep a running service's scalable target.
 * Expected values are literals: the Application Auto Scaling API Reference (RegisterScalableTarget: ResourceId
 * `service/<cluster>/<service>`, ScalableDimension `ecs:service:DesiredCount`; PredefinedMetricSpecification:
 * ALBRequestCountPerTarget's ResourceLabel `<load balancer full name>/<target group full name>`) and the ECS
 * Developer Guide ("Service-linked role for Application Auto Scaling":
 * AWSServiceRoleForApplicationAutoScaling_ECSService).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { scaleWebService } from '../lib/constructs/web-service-scaling.js';

const ACCOUNT = '345678901234';
const REGION = 'ap-southeast-2';

// biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON, read field by field
type Json = any;

function synthesized(groupCount: 0 | 1 | 2) {
  const stack = new Stack(new App(), 'Scaling', { env: { account: ACCOUNT, region: REGION } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
  const cluster = ecs.Cluster.fromClusterAttributes(stack, 'Cluster', { clusterName: 'berth-qa', vpc });
  const task = new ecs.Ec2TaskDefinition(stack, 'Task');
  task.addContainer('app', {
    image: ecs.ContainerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(stack, 'Repo', 'berth/qa')),
    memoryLimitMiB: 256,
  });
  const service = new ecs.Ec2Service(stack, 'Service', {
    cluster,
    taskDefinition: task,
    serviceName: 'shop',
    capacityProviderStrategies: [{ capacityProvider: 'qa-capacity', weight: 1 }],
  });
  const groups = ['Blue', 'Green'].slice(0, groupCount).map(
    (id) =>
      new elbv2.ApplicationTargetGroup(stack, id, {
        vpc,
        port: 8080,
        protocol: elbv2.ApplicationProtocol.HTTP,
      }),
  );
  const target = scaleWebService(service, {
    cluster,
    loadBalancerFullName: 'app/berth-qa/1a2b3c4d5e6f7a8b',
    targetGroups: groups,
    minTasks: 3,
    maxTasks: 9,
    cpuPercent: 41,
    memoryPercent: 77,
    requestsPerTarget: 250,
  });
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Json>;
  return { stack, service, target, resources };
}

function ofType(resources: Record<string, Json>, type: string): [string, Json][] {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

// GIVEN a rolling service (one target group) and a blue/green one (two).
const rolling = synthesized(1);
const blueGreen = synthesized(2);

describe('web service scaling: the scalable target', () => {
  const [[, target]] = ofType(rolling.resources, 'AWS::ApplicationAutoScaling::ScalableTarget') as [
    [string, Json],
  ];

  test("the service's desired count, between the given bounds", () => {
    assert.equal(target.Properties.ServiceNamespace, 'ecs');
    assert.equal(target.Properties.ScalableDimension, 'ecs:service:DesiredCount');
    assert.equal(target.Properties.MinCapacity, 3);
    assert.equal(target.Properties.MaxCapacity, 9);
    const serviceId = ofType(rolling.resources, 'AWS::ECS::Service')[0]![0];
    assert.deepEqual(target.Properties.ResourceId, {
      'Fn::Join': ['', ['service/berth-qa/', { 'Fn::GetAtt': [serviceId, 'Name'] }]],
    });
  });

  test("with ECS's service-linked role for Application Auto Scaling", () => {
    assert.deepEqual(target.Properties.RoleARN, {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          `:iam::${ACCOUNT}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService`,
        ],
      ],
    });
  });

  test('at the construct path autoScaleTaskCount uses, so a running service keeps its target', () => {
    assert.equal(rolling.target.node.path, 'Scaling/Service/TaskCount/Target');
  });
});

describe('web service scaling: policies', () => {
  const configurations = (resources: Record<string, Json>) =>
    ofType(resources, 'AWS::ApplicationAutoScaling::ScalingPolicy').map(([, policy]) => policy.Properties);

  test('rolling: CPU, memory and requests per target of its one group, each scaling out after 60 s and in after 300 s', () => {
    const policies = configurations(rolling.resources);
    assert.equal(policies.length, 3);
    const byMetric = Object.fromEntries(
      policies.map((p: Json) => [
        p.TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.PredefinedMetricType,
        p.TargetTrackingScalingPolicyConfiguration,
      ]),
    );
    assert.equal(byMetric.ECSServiceAverageCPUUtilization.TargetValue, 41);
    assert.equal(byMetric.ECSServiceAverageMemoryUtilization.TargetValue, 77);
    const requests = byMetric.ALBRequestCountPerTarget;
    assert.equal(requests.TargetValue, 250);
    const groupId = ofType(rolling.resources, 'AWS::ElasticLoadBalancingV2::TargetGroup')[0]![0];
    assert.deepEqual(requests.PredefinedMetricSpecification.ResourceLabel, {
      'Fn::Join': [
        '',
        ['app/berth-qa/1a2b3c4d5e6f7a8b/', { 'Fn::GetAtt': [groupId, 'TargetGroupFullName'] }],
      ],
    });
    for (const policy of policies) {
      assert.equal(policy.PolicyType, 'TargetTrackingScaling');
      assert.equal(policy.TargetTrackingScalingPolicyConfiguration.ScaleOutCooldown, 60);
      assert.equal(policy.TargetTrackingScalingPolicyConfiguration.ScaleInCooldown, 300);
    }
  });

  test('blue/green: the requests policy is metric math under the name the L2 policy would have had', () => {
    const policies = configurations(blueGreen.resources);
    assert.equal(policies.length, 3);
    const custom = policies.filter(
      (p: Json) => p.TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification,
    );
    assert.equal(custom.length, 1);
    // The L2 policy of the rolling case sits at the same construct path: the name it computes is the one to keep.
    const l2Name = configurations(rolling.resources).find(
      (p: Json) =>
        p.TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification?.PredefinedMetricType ===
        'ALBRequestCountPerTarget',
    ).PolicyName;
    assert.match(l2Name, /^ScalingServiceTaskCountTargetRequestScaling[0-9A-F]{8}$/);
    assert.equal(custom[0].PolicyName, l2Name);
    assert.equal(custom[0].PolicyType, 'TargetTrackingScaling');
    const targetId = ofType(blueGreen.resources, 'AWS::ApplicationAutoScaling::ScalableTarget')[0]![0];
    assert.deepEqual(custom[0].ScalingTargetId, { Ref: targetId });
    assert.equal(
      custom[0].TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification.Metrics.at(-1)
        .Expression,
      '(FILL(requests0, 0) + FILL(requests1, 0)) / tasks',
    );
  });

  test('a web service without a target group is a programming error, named', () => {
    assert.throws(() => synthesized(0), {
      message: 'scaleWebService: a web service has at least one target group',
    });
  });
});
