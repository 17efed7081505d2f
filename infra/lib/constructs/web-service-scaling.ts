/**
 * A web service's task count: target tracking on CPU, memory and requests per task. Built from the public
 * Application Auto Scaling constructs at the construct paths `autoScaleTaskCount` uses
 * (`Service/TaskCount/Target/…`), so the scalable target of a running service keeps its logical id: a replaced
 * target would be registered again under the same service and then deregistered by the old one's deletion.
 */
import { Duration, Names, Stack } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface WebServiceScalingProps {
  readonly cluster: ecs.ICluster;
  readonly loadBalancerFullName: string;
  /** The service's groups: one (rolling) or the primary and the alternate (blue/green, canary). */
  readonly targetGroups: readonly elbv2.ApplicationTargetGroup[];
  readonly minTasks: number;
  readonly maxTasks: number;
  readonly cpuPercent: number;
  readonly memoryPercent: number;
  readonly requestsPerTarget: number;
}

/** Scale out fast, scale in slowly: a flapping count costs more than a few idle minutes. */
const COOLDOWNS = { scaleOutCooldown: Duration.seconds(60), scaleInCooldown: Duration.seconds(300) };

export function scaleWebService(
  service: ecs.Ec2Service,
  props: WebServiceScalingProps,
): appscaling.ScalableTarget {
  const taskCount = new Construct(service, 'TaskCount');
  // ECS's service-linked role for Application Auto Scaling, as `autoScaleTaskCount` names it.
  const role = iam.Role.fromRoleArn(
    taskCount,
    'ScalingRole',
    Stack.of(service).formatArn({
      region: '',
      service: 'iam',
      resource: 'role/aws-service-role/ecs.application-autoscaling.amazonaws.com',
      resourceName: 'AWSServiceRoleForApplicationAutoScaling_ECSService',
    }),
  );
  const target = new appscaling.ScalableTarget(taskCount, 'Target', {
    serviceNamespace: appscaling.ServiceNamespace.ECS,
    scalableDimension: 'ecs:service:DesiredCount',
    resourceId: `service/${props.cluster.clusterName}/${service.serviceName}`,
    minCapacity: props.minTasks,
    maxCapacity: props.maxTasks,
    role,
  });
  new appscaling.TargetTrackingScalingPolicy(target, 'CpuScaling', {
    scalingTarget: target,
    predefinedMetric: appscaling.PredefinedMetric.ECS_SERVICE_AVERAGE_CPU_UTILIZATION,
    targetValue: props.cpuPercent,
    ...COOLDOWNS,
  });
  new appscaling.TargetTrackingScalingPolicy(target, 'MemoryScaling', {
    scalingTarget: target,
    predefinedMetric: appscaling.PredefinedMetric.ECS_SERVICE_AVERAGE_MEMORY_UTILIZATION,
    targetValue: props.memoryPercent,
    ...COOLDOWNS,
  });
  const [primary, alternate] = props.targetGroups;
  if (primary === undefined) throw new Error('scaleWebService: a web service has at least one target group');
  if (alternate === undefined) {
    // ALBRequestCountPerTarget of the one group: label `<load balancer full name>/<target group full name>`
    // (Application Auto Scaling API Reference, PredefinedMetricSpecification `ResourceLabel`).
    new appscaling.TargetTrackingScalingPolicy(target, 'RequestScaling', {
      scalingTarget: target,
      predefinedMetric: appscaling.PredefinedMetric.ALB_REQUEST_COUNT_PER_TARGET,
      resourceLabel: `${props.loadBalancerFullName}/${primary.targetGroupFullName}`,
      targetValue: props.requestsPerTarget,
      ...COOLDOWNS,
    });
  } else {
    scaleOnRequestsPerTask(target, service, props, [primary, alternate]);
  }
  return target;
}

/**
 * Blue/green and canary: requests per running task over both groups, since either may be live after a swap
 * (ALB RequestCount per target group, summed, over Container Insights' RunningTaskCount). The L2 policy takes
 * only a single metric, so this is the L1 with metric math (Application Auto Scaling User Guide, "Create a
 * target tracking scaling policy for Application Auto Scaling using metric math"), named through the typed
 * `scalableTargetId`.
 */
function scaleOnRequestsPerTask(
  target: appscaling.ScalableTarget,
  service: ecs.Ec2Service,
  props: WebServiceScalingProps,
  groups: readonly elbv2.ApplicationTargetGroup[],
): void {
  // The scope the L2 policy would have had, so the policy keeps its logical id and name.
  const scope = new Construct(target, 'RequestScaling');
  const requests = groups.map((group, i) => ({
    id: `requests${i}`,
    metricStat: {
      metric: {
        namespace: 'AWS/ApplicationELB',
        metricName: 'RequestCount',
        dimensions: [
          { name: 'LoadBalancer', value: props.loadBalancerFullName },
          { name: 'TargetGroup', value: group.targetGroupFullName },
        ],
      },
      stat: 'Sum',
    },
    returnData: false,
  }));
  new appscaling.CfnScalingPolicy(scope, 'Resource', {
    policyName: Names.uniqueId(scope),
    policyType: 'TargetTrackingScaling',
    scalingTargetId: target.scalableTargetId,
    targetTrackingScalingPolicyConfiguration: {
      targetValue: props.requestsPerTarget,
      scaleOutCooldown: COOLDOWNS.scaleOutCooldown.toSeconds(),
      scaleInCooldown: COOLDOWNS.scaleInCooldown.toSeconds(),
      customizedMetricSpecification: {
        metrics: [
          ...requests,
          {
            id: 'tasks',
            metricStat: {
              metric: {
                namespace: 'ECS/ContainerInsights',
                metricName: 'RunningTaskCount',
                dimensions: [
                  { name: 'ClusterName', value: props.cluster.clusterName },
                  { name: 'ServiceName', value: service.serviceName },
                ],
              },
              stat: 'Average',
            },
            returnData: false,
          },
          {
            id: 'perTask',
            expression: `(${requests.map((r) => `FILL(${r.id}, 0)`).join(' + ')}) / tasks`,
            label: 'Requests per running task',
            returnData: true,
          },
        ],
      },
    },
  });
}
