/**
 * The short-period alarms ECS watches during a web service's deployment (and its bake); one firing rolls the
 * deployment back. Both count per target group, so they hold whichever group is live after a blue/green swap
 * and say nothing of the other services behind the same load balancer. A function, not a construct: the
 * alarms keep the logical ids they had inside WebService.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { targetGroupMetric } from './target-group-metric.js';

export interface DeploymentAlarmsProps {
  readonly loadBalancerFullName: string;
  /** The service's target groups: the primary first, then the alternate (blue/green, canary). */
  readonly targetGroupFullNames: readonly string[];
  /** Target 5xx responses per minute, over the service's groups, that fail a deployment (twice in a row). */
  readonly max5xxPerMinute: number;
}

export function createDeploymentAlarms(scope: Construct, props: DeploymentAlarmsProps): cloudwatch.Alarm[] {
  const minute = Duration.minutes(1);
  const perGroup = props.targetGroupFullNames.map((group) =>
    targetGroupMetric(props.loadBalancerFullName, group, 'HTTPCode_Target_5XX_Count', {
      period: minute,
      statistic: cloudwatch.Stats.SUM,
    }),
  );
  const target5xx =
    perGroup.length === 1
      ? perGroup[0]!
      : new cloudwatch.MathExpression({
          // A group with no 5xx in a minute publishes no datapoint: that is 0, not a gap.
          expression: perGroup.map((_, i) => `FILL(g${i}, 0)`).join(' + '),
          usingMetrics: Object.fromEntries(perGroup.map((metric, i) => [`g${i}`, metric])),
          label: 'Target 5xx',
          period: minute,
        });
  const fiveXx = new cloudwatch.Alarm(scope, 'Deployment5xxAlarm', {
    alarmDescription: `Rolls a deployment back: more than ${props.max5xxPerMinute} target 5xx responses in a minute, twice`,
    metric: target5xx,
    threshold: props.max5xxPerMinute,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    // No requests means no errors.
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  const unhealthy = props.targetGroupFullNames.map(
    (group, i) =>
      new cloudwatch.Alarm(
        scope,
        i === 0 ? 'DeploymentUnhealthyHostsAlarm' : 'DeploymentUnhealthyHostsAlarmAlternate',
        {
          alarmDescription: 'Rolls a deployment back: a target failed its health checks for two minutes',
          metric: targetGroupMetric(props.loadBalancerFullName, group, 'UnHealthyHostCount', {
            period: minute,
            statistic: cloudwatch.Stats.MAXIMUM,
          }),
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 2,
          datapointsToAlarm: 2,
          // ELB publishes this metric every minute while the group is attached; a gap says nothing about health.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
      ),
  );
  return [fiveXx, ...unhealthy];
}
