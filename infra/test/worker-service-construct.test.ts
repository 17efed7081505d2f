/**
 * WorkerService on a bare stack (worker-service.test.ts checks it inside the cdk-nag fixture): the name and
 * number checks at their edges, the service's placement, tags and dependencies, the scalable target's resource
 * id and role, every field of the queue-backlog policy and of both alarms, and what `alarms: false` leaves out.
 * No cdk-nag: a mutant costs one small synthesis.
 * Expected values are literals from AWS documentation (Application Auto Scaling API Reference,
 * RegisterScalableTarget: ResourceId `service/<cluster>/<service>`; ECS Developer Guide, "Service-linked role for
 * Application Auto Scaling"; "Scaling policy based on Amazon SQS" for the backlog-per-task math; Container
 * Insights' ECS metrics DesiredTaskCount and RunningTaskCount per ClusterName, ServiceName; Task definition
 * parameters, stopTimeout up to 120 s) and Berth's design (thresholds, periods, wording).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { WorkerService, type WorkerServiceProps } from '../lib/constructs/worker-service.js';

// biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON, read field by field
type Json = any;

const ACCOUNT = '456789012345';
const REGION = 'sa-east-1';

/** GIVEN a bare stack with a cluster on an ASG capacity provider; WHEN a worker is added; synthesized unless `construct`. */
function build(props: Partial<WorkerServiceProps> = {}, construct = false) {
  const app = new App({
    context: { '@aws-cdk/aws-autoscaling:generateLaunchTemplateInsteadOfLaunchConfig': true },
  });
  const stack = new Stack(app, 'Workers', { env: { account: ACCOUNT, region: REGION } });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    availabilityZones: ['sa-east-1a', 'sa-east-1c'],
    natGateways: 1,
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
      { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
    ],
  });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, clusterName: 'berth-jobs' });
  const autoScalingGroup = new autoscaling.AutoScalingGroup(stack, 'Instances', {
    vpc,
    instanceType: new ec2.InstanceType('t3.small'),
    machineImage: ecs.EcsOptimizedImage.amazonLinux2023(),
    minCapacity: 1,
    maxCapacity: 2,
  });
  const capacityProvider = new ecs.AsgCapacityProvider(stack, 'Capacity', {
    autoScalingGroup,
    enableManagedTerminationProtection: false,
  });
  cluster.addAsgCapacityProvider(capacityProvider);
  const worker = new WorkerService(stack, 'Mailer', {
    vpc,
    cluster,
    capacityProvider,
    name: 'mailer',
    image: 'public.ecr.aws/example/mailer:7',
    cpu: 96,
    memoryMiB: 192,
    logRetentionDays: 7,
    ...props,
  });
  const resources: Record<string, Json> = construct ? {} : Template.fromStack(stack).toJSON().Resources;
  return { worker, resources };
}

const ofType = (resources: Record<string, Json>, type: string) =>
  Object.entries(resources).filter(([, r]) => r.Type === type);

function only(resources: Record<string, Json>, type: string): [string, Json] {
  const found = ofType(resources, type);
  assert.equal(found.length, 1, `one ${type}`);
  return found[0]!;
}

/** The group the service runs in (the ASG has one of its own). */
function workerGroup(resources: Record<string, Json>): [string, Json] {
  const [, service] = only(resources, 'AWS::ECS::Service');
  const [reference] = service.Properties.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups;
  const id = reference['Fn::GetAtt'][0];
  return [id, resources[id]];
}

// GIVEN a plain worker, and one consuming a queue with every option set.
const plain = build();
const queued = build({
  queueScaling: {
    queue: sqs.Queue.fromQueueArn(new Stack(), 'Outbox', `arn:aws:sqs:${REGION}:${ACCOUNT}:berth-outbox`),
    messagesPerTask: 40,
  },
  minHealthyPercent: 50,
  maxHealthyPercent: 150,
  cpuAlarmPercent: 75,
});

describe('WorkerService checks, at their edges', () => {
  // The checks run before any resource exists: constructing is enough, no synthesis.
  const accepts = (props: Partial<WorkerServiceProps>, label: string) =>
    assert.doesNotThrow(() => build(props, true), label);
  const refuses = (props: Partial<WorkerServiceProps>, message: string) =>
    assert.throws(
      () => build(props, true),
      (error: Error) => error.message === message,
      message,
    );

  test('names: a letter, then up to 31 lower-case letters, digits or dashes', () => {
    for (const name of ['m', `m${'a1-'.repeat(10)}z`]) accepts({ name }, name);
    for (const name of [
      '',
      '1mailer',
      '-mailer',
      'Mailer',
      'mail_er',
      ` mailer`,
      'mailer ',
      `m${'a'.repeat(32)}`,
    ]) {
      refuses(
        { name },
        `worker name "${name}" must be lower-case letters, digits and dashes, starting with a letter`,
      );
    }
  });

  test('task counts: whole numbers, min >= 0, max >= 1, min <= max', () => {
    accepts({ minTasks: 0, maxTasks: 1 }, '0..1');
    accepts({ minTasks: 4, maxTasks: 4 }, '4..4');
    refuses({ minTasks: -1 }, 'minTasks (-1) must be a whole number >= 0');
    refuses({ minTasks: 0.5 }, 'minTasks (0.5) must be a whole number >= 0');
    refuses({ maxTasks: 1.5 }, 'maxTasks (1.5) must be a whole number >= 1');
    refuses({ minTasks: 0, maxTasks: 0 }, 'maxTasks (0) must be a whole number >= 1');
    refuses({ minTasks: 5, maxTasks: 4 }, 'minTasks (5) must be <= maxTasks (4)');
  });

  test('stop timeout: 2 to 120 seconds', () => {
    for (const seconds of [2, 120]) {
      accepts({ stopTimeout: Duration.seconds(seconds) }, String(seconds));
    }
    for (const seconds of [1, 121]) {
      refuses(
        { stopTimeout: Duration.seconds(seconds) },
        `stopTimeout (${seconds} s) must be from 2 to 120 seconds`,
      );
    }
  });

  test('messages per task above zero; CPU target above zero and at most 100', () => {
    const queue = (messagesPerTask: number) => ({
      queue: sqs.Queue.fromQueueArn(new Stack(), 'Q', `arn:aws:sqs:${REGION}:${ACCOUNT}:q`),
      messagesPerTask,
    });
    accepts({ queueScaling: queue(0.5) }, '0.5 per task');
    for (const perTask of [0, -3]) {
      refuses({ queueScaling: queue(perTask) }, `queueScaling.messagesPerTask (${perTask}) must be > 0`);
    }
    for (const cpuTargetPercent of [0.5, 100]) {
      accepts({ cpuTargetPercent }, String(cpuTargetPercent));
    }
    for (const cpuTargetPercent of [0, 100.5]) {
      refuses({ cpuTargetPercent }, `cpuTargetPercent (${cpuTargetPercent}) must be from 1 to 100`);
    }
  });
});

describe('WorkerService: the service', () => {
  test('its security group says whose it is and what it is for', () => {
    const [, group] = workerGroup(plain.resources);
    assert.equal(
      group.Properties.GroupDescription,
      'Berth worker mailer: no ingress; outbound to the database and AWS APIs',
    );
  });

  test('spread across availability zones, tags propagated from the service, no ECS Exec', () => {
    const [, service] = only(plain.resources, 'AWS::ECS::Service');
    assert.deepEqual(service.Properties.PlacementStrategies, [
      { Field: 'attribute:ecs.availability-zone', Type: 'spread' },
    ]);
    assert.equal(service.Properties.PropagateTags, 'SERVICE');
    assert.equal(service.Properties.EnableExecuteCommand, false);
  });

  test('deploys within the given healthy percentages', () => {
    const [, service] = only(queued.resources, 'AWS::ECS::Service');
    assert.equal(service.Properties.DeploymentConfiguration.MinimumHealthyPercent, 50);
    assert.equal(service.Properties.DeploymentConfiguration.MaximumPercent, 150);
  });

  test('created after the capacity provider and the cluster, so it is deleted before them', () => {
    const [, service] = only(plain.resources, 'AWS::ECS::Service');
    const [providerId] = only(plain.resources, 'AWS::ECS::CapacityProvider');
    const [clusterId] = only(plain.resources, 'AWS::ECS::Cluster');
    const [associationId] = only(plain.resources, 'AWS::ECS::ClusterCapacityProviderAssociations');
    for (const id of [providerId, clusterId, associationId]) {
      assert.ok(service.DependsOn.includes(id), `${id} in ${JSON.stringify(service.DependsOn)}`);
    }
  });

  test("every resource carries the worker's name as berth:service", () => {
    const [, service] = only(plain.resources, 'AWS::ECS::Service');
    const [, group] = workerGroup(plain.resources);
    for (const tags of [service.Properties.Tags, group.Properties.Tags]) {
      assert.deepEqual(tags, [{ Key: 'berth:service', Value: 'mailer' }]);
    }
  });

  test('no command of its own unless given (the image CMD runs)', () => {
    const [, task] = only(plain.resources, 'AWS::ECS::TaskDefinition');
    assert.equal(task.Properties.ContainerDefinitions[0].Command, undefined);
    assert.equal(task.Properties.ContainerDefinitions[0].Image, 'public.ecr.aws/example/mailer:7');
  });
});

describe('WorkerService: scaling', () => {
  test('the scalable target names the service in its cluster and uses the ECS service-linked role', () => {
    const [, target] = only(plain.resources, 'AWS::ApplicationAutoScaling::ScalableTarget');
    const [serviceId] = only(plain.resources, 'AWS::ECS::Service');
    const [clusterId] = only(plain.resources, 'AWS::ECS::Cluster');
    assert.equal(target.Properties.ServiceNamespace, 'ecs');
    assert.deepEqual(target.Properties.ResourceId, {
      'Fn::Join': ['', ['service/', { Ref: clusterId }, '/', { 'Fn::GetAtt': [serviceId, 'Name'] }]],
    });
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

  test('the queue policy: named after the construct, cooldowns, and the backlog-per-task math field by field', () => {
    const policies = ofType(queued.resources, 'AWS::ApplicationAutoScaling::ScalingPolicy').map(([, r]) => r);
    const queue = policies.find(
      (p) => p.Properties.TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification,
    );
    const [serviceId] = only(queued.resources, 'AWS::ECS::Service');
    const [clusterId] = only(queued.resources, 'AWS::ECS::Cluster');
    // CDK's unique id of the construct (path Workers/Mailer plus a hash), then the policy's own name.
    assert.match(queue.Properties.PolicyName, /^WorkersMailer[0-9A-F]{8}QueueScaling$/);
    const config = queue.Properties.TargetTrackingScalingPolicyConfiguration;
    assert.equal(config.TargetValue, 40);
    assert.equal(config.ScaleOutCooldown, 60);
    assert.equal(config.ScaleInCooldown, 300);
    assert.deepEqual(config.CustomizedMetricSpecification.Metrics, [
      {
        Id: 'messages',
        Label: 'Messages waiting in the queue',
        MetricStat: {
          Metric: {
            Namespace: 'AWS/SQS',
            MetricName: 'ApproximateNumberOfMessagesVisible',
            Dimensions: [{ Name: 'QueueName', Value: 'berth-outbox' }],
          },
          Stat: 'Sum',
        },
        ReturnData: false,
      },
      {
        Id: 'tasks',
        Label: 'Running tasks of the service',
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
      { Id: 'backlogPerTask', Label: 'Backlog per task', Expression: 'messages / tasks', ReturnData: true },
    ]);
  });
});

describe('WorkerService: alarms', () => {
  const alarms = ofType(queued.resources, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);
  const cpu = alarms.find((a) => a.MetricName === 'CPUUtilization');
  const tasks = alarms.find((a) => a.Metrics);
  const [serviceId] = only(queued.resources, 'AWS::ECS::Service');
  const [clusterId] = only(queued.resources, 'AWS::ECS::Cluster');
  const dimensions = [
    { Name: 'ClusterName', Value: { Ref: clusterId } },
    { Name: 'ServiceName', Value: { 'Fn::GetAtt': [serviceId, 'Name'] } },
  ];

  test('CPU: the given threshold in its description, one-minute averages, missing data is not a breach', () => {
    assert.deepEqual(cpu, {
      AlarmDescription: 'Worker CPU above 75% for five minutes: scaling is at its maximum or cannot keep up',
      Namespace: 'AWS/ECS',
      MetricName: 'CPUUtilization',
      Dimensions: dimensions,
      Period: 60,
      Statistic: 'Average',
      Threshold: 75,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
      TreatMissingData: 'notBreaching',
      Tags: [{ Key: 'berth:service', Value: 'mailer' }],
    });
  });

  test('tasks below desired: desired - running over one-minute Container Insights averages, ten in a row', () => {
    const metric = (id: string, name: string) => ({
      Id: id,
      MetricStat: {
        Metric: { Namespace: 'ECS/ContainerInsights', MetricName: name, Dimensions: dimensions },
        Period: 60,
        Stat: 'Average',
      },
      ReturnData: false,
    });
    assert.deepEqual(tasks, {
      AlarmDescription:
        'Fewer worker tasks running than desired for ten minutes (crash loop, no capacity, image)',
      Metrics: [
        { Id: 'expr_1', Label: 'Tasks missing', Expression: 'desired - running', ReturnData: true },
        metric('desired', 'DesiredTaskCount'),
        metric('running', 'RunningTaskCount'),
      ],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 10,
      DatapointsToAlarm: 10,
      TreatMissingData: 'missing',
      Tags: [{ Key: 'berth:service', Value: 'mailer' }],
    });
  });

  test('exposed on the construct; none at all with alarms: false', () => {
    assert.equal(plain.worker.cpuAlarm?.node.id, 'CpuHighAlarm');
    assert.equal(plain.worker.tasksBelowDesiredAlarm?.node.id, 'TasksBelowDesiredAlarm');
    const without = build({ alarms: false });
    assert.equal(ofType(without.resources, 'AWS::CloudWatch::Alarm').length, 0);
    assert.equal(without.worker.cpuAlarm, undefined);
    assert.equal(without.worker.tasksBelowDesiredAlarm, undefined);
  });

  test('CPU alarm at 90 % by default', () => {
    const defaultCpu = ofType(plain.resources, 'AWS::CloudWatch::Alarm')
      .map(([, r]) => r.Properties)
      .find((a) => a.MetricName === 'CPUUtilization');
    assert.equal(defaultCpu.Threshold, 90);
    assert.match(defaultCpu.AlarmDescription, /^Worker CPU above 90% /);
  });
});
