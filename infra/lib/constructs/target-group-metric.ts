import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/**
 * A per-target-group ALB metric with its dimensions spelled out. CDK's `targetGroup.metrics` derives the load
 * balancer dimension from the first listener's ARN, so the metric (and any stack reading it) would change when
 * the listener does (turning HTTPS on); the load balancer's own full name never does.
 * Dimensions from AWS, "CloudWatch metrics for your Application Load Balancer": these four are published per
 * TargetGroup, LoadBalancer.
 */
export function targetGroupMetric(
  loadBalancerFullName: string,
  targetGroupFullName: string,
  metricName: 'HealthyHostCount' | 'UnHealthyHostCount' | 'RequestCount' | 'HTTPCode_Target_5XX_Count',
  options: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/ApplicationELB',
    metricName,
    dimensionsMap: { LoadBalancer: loadBalancerFullName, TargetGroup: targetGroupFullName },
    ...options,
  });
}
