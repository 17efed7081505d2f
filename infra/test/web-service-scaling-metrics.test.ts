/**
 * The blue/green requests-per-task policy's metric math, every field (web-service-scaling.test.ts checks its
 * expression and name; web-service-contract.test.ts the same list inside a whole web service, at a minute or more
 * per run here). A bare stack, no cdk-nag.
 * Expected values are literals from AWS documentation: "CloudWatch metrics for your Application Load Balancer"
 * (RequestCount, Sum, per LoadBalancer and TargetGroup), "Amazon ECS Container Insights metrics" (RunningTaskCount
 * per ClusterName and ServiceName), and the Application Auto Scaling User Guide, "Create a target tracking scaling
 * policy for Application Auto Scaling using metric math" (only the expression returns data).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { scaleWebService } from '../lib/constructs/web-service-scaling.js';

// biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON, read field by field
type Json = any;

const LOAD_BALANCER = 'app/berth-stage/9f8e7d6c5b4a3f2e';

// GIVEN a blue/green service (two target groups) in a cluster named by the caller.
const stack = new Stack(new App(), 'Metrics', { env: { account: '678901234567', region: 'us-west-2' } });
const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
const cluster = ecs.Cluster.fromClusterAttributes(stack, 'Cluster', { clusterName: 'berth-stage', vpc });
const task = new ecs.Ec2TaskDefinition(stack, 'Task');
task.addContainer('app', {
  image: ecs.ContainerImage.fromRegistry('example.com/app:3'),
  memoryLimitMiB: 128,
});
const service = new ecs.Ec2Service(stack, 'Service', {
  cluster,
  taskDefinition: task,
  serviceName: 'storefront',
  capacityProviderStrategies: [{ capacityProvider: 'stage-capacity', weight: 1 }],
});
const [blue, green] = ['Blue', 'Green'].map(
  (id) =>
    new elbv2.ApplicationTargetGroup(stack, id, {
      vpc,
      port: 8080,
      protocol: elbv2.ApplicationProtocol.HTTP,
    }),
);
scaleWebService(service, {
  cluster,
  loadBalancerFullName: LOAD_BALANCER,
  targetGroups: [blue!, green!],
  minTasks: 2,
  maxTasks: 8,
  cpuPercent: 63,
  memoryPercent: 71,
  requestsPerTarget: 180,
});
const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Json>;
const idOf = (type: string, prefix: string) =>
  Object.entries(resources).find(([id, r]) => r.Type === type && id.startsWith(prefix))![0];

describe('blue/green scaling: requests per running task', () => {
  test('RequestCount summed per group, RunningTaskCount averaged, only the quotient returned', () => {
    const policy = Object.values(resources).find(
      (r) =>
        r.Type === 'AWS::ApplicationAutoScaling::ScalingPolicy' &&
        r.Properties.TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification,
    );
    const requests = (id: string, group: string) => ({
      Id: id,
      MetricStat: {
        Metric: {
          Namespace: 'AWS/ApplicationELB',
          MetricName: 'RequestCount',
          Dimensions: [
            { Name: 'LoadBalancer', Value: LOAD_BALANCER },
            {
              Name: 'TargetGroup',
              Value: {
                'Fn::GetAtt': [
                  idOf('AWS::ElasticLoadBalancingV2::TargetGroup', group),
                  'TargetGroupFullName',
                ],
              },
            },
          ],
        },
        Stat: 'Sum',
      },
      ReturnData: false,
    });
    assert.deepEqual(
      policy.Properties.TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification,
      {
        Metrics: [
          requests('requests0', 'Blue'),
          requests('requests1', 'Green'),
          {
            Id: 'tasks',
            MetricStat: {
              Metric: {
                Namespace: 'ECS/ContainerInsights',
                MetricName: 'RunningTaskCount',
                Dimensions: [
                  { Name: 'ClusterName', Value: 'berth-stage' },
                  {
                    Name: 'ServiceName',
                    Value: { 'Fn::GetAtt': [idOf('AWS::ECS::Service', 'Service'), 'Name'] },
                  },
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
        ],
      },
    );
    assert.equal(policy.Properties.TargetTrackingScalingPolicyConfiguration.TargetValue, 180);
  });
});
