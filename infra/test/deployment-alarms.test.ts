/**
 * createDeploymentAlarms on its own, for one target group (rolling) and two (blue/green, canary): the alarms ECS
 * rolls a deployment back on, their metrics, and the construct ids that keep their logical ids.
 * Expected values are literals: "CloudWatch metrics for your Application Load Balancer" (HTTPCode_Target_5XX_Count,
 * UnHealthyHostCount, dimensions LoadBalancer and TargetGroup), "Using metric math" (FILL(metric, 0)), and
 * "Configuring how CloudWatch alarms treat missing data" (notBreaching).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { createDeploymentAlarms } from '../lib/constructs/deployment-alarms.js';

const LOAD_BALANCER = 'app/berth-qa/50dc6c495c0c9188';
const PRIMARY = 'targetgroup/blue-qa/73e2d6bc24d8a067';
const ALTERNATE = 'targetgroup/green-qa/2453ed029918f21f';

// biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON, read field by field
type Json = any;

function synthesized(groups: string[], max5xxPerMinute: number) {
  const stack = new Stack(new App(), 'Alarms');
  const alarms = createDeploymentAlarms(stack, {
    loadBalancerFullName: LOAD_BALANCER,
    targetGroupFullNames: groups,
    max5xxPerMinute,
  });
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Json>;
  return { stack, alarms, resources };
}

const dimensions = (group: string) => [
  { Name: 'LoadBalancer', Value: LOAD_BALANCER },
  { Name: 'TargetGroup', Value: group },
];

// GIVEN a rolling service's one group (5xx limit 23) and a blue/green service's two (limit 4).
const rolling = synthesized([PRIMARY], 23);
const blueGreen = synthesized([PRIMARY, ALTERNATE], 4);

describe('deployment alarms: one target group', () => {
  test('two alarms, the 5xx one first, each under the construct id that keeps its logical id', () => {
    assert.deepEqual(
      rolling.alarms.map((alarm) => alarm.node.id),
      ['Deployment5xxAlarm', 'DeploymentUnhealthyHostsAlarm'],
    );
    assert.equal(Object.keys(rolling.resources).length, 2);
  });

  test('5xx: more than the limit of target 5xx in the group (Sum per minute), two minutes of two', () => {
    const fiveXx =
      rolling.resources[rolling.stack.getLogicalId(rolling.alarms[0]!.node.defaultChild as never)];
    assert.deepEqual(fiveXx.Properties, {
      AlarmDescription: 'Rolls a deployment back: more than 23 target 5xx responses in a minute, twice',
      ComparisonOperator: 'GreaterThanThreshold',
      DatapointsToAlarm: 2,
      Dimensions: dimensions(PRIMARY),
      EvaluationPeriods: 2,
      MetricName: 'HTTPCode_Target_5XX_Count',
      Namespace: 'AWS/ApplicationELB',
      Period: 60,
      Statistic: 'Sum',
      Threshold: 23,
      TreatMissingData: 'notBreaching',
    });
  });

  test('unhealthy hosts: any unhealthy target (Maximum per minute), two minutes of two', () => {
    const unhealthy =
      rolling.resources[rolling.stack.getLogicalId(rolling.alarms[1]!.node.defaultChild as never)];
    assert.deepEqual(unhealthy.Properties, {
      AlarmDescription: 'Rolls a deployment back: a target failed its health checks for two minutes',
      ComparisonOperator: 'GreaterThanThreshold',
      DatapointsToAlarm: 2,
      Dimensions: dimensions(PRIMARY),
      EvaluationPeriods: 2,
      MetricName: 'UnHealthyHostCount',
      Namespace: 'AWS/ApplicationELB',
      Period: 60,
      Statistic: 'Maximum',
      Threshold: 0,
      TreatMissingData: 'notBreaching',
    });
  });
});

describe('deployment alarms: two target groups (blue/green, canary)', () => {
  test('three alarms: 5xx over both groups, then unhealthy hosts per group', () => {
    assert.deepEqual(
      blueGreen.alarms.map((alarm) => alarm.node.id),
      ['Deployment5xxAlarm', 'DeploymentUnhealthyHostsAlarm', 'DeploymentUnhealthyHostsAlarmAlternate'],
    );
  });

  test('5xx: the sum of both groups per minute, a group without datapoints counting 0', () => {
    const fiveXx =
      blueGreen.resources[blueGreen.stack.getLogicalId(blueGreen.alarms[0]!.node.defaultChild as never)]
        .Properties;
    assert.equal(fiveXx.Threshold, 4);
    assert.equal(fiveXx.MetricName, undefined, 'metric math, not one metric');
    const metric = (id: string, group: string) => ({
      Id: id,
      MetricStat: {
        Metric: {
          Dimensions: dimensions(group),
          MetricName: 'HTTPCode_Target_5XX_Count',
          Namespace: 'AWS/ApplicationELB',
        },
        Period: 60,
        Stat: 'Sum',
      },
      ReturnData: false,
    });
    assert.deepEqual(fiveXx.Metrics, [
      { Expression: 'FILL(g0, 0) + FILL(g1, 0)', Id: 'expr_1', Label: 'Target 5xx', ReturnData: true },
      metric('g0', PRIMARY),
      metric('g1', ALTERNATE),
    ]);
  });

  test('unhealthy hosts: one alarm per group, on that group', () => {
    for (const [index, group] of [
      [1, PRIMARY],
      [2, ALTERNATE],
    ] as const) {
      const alarm =
        blueGreen.resources[blueGreen.stack.getLogicalId(blueGreen.alarms[index]!.node.defaultChild as never)]
          .Properties;
      assert.equal(alarm.MetricName, 'UnHealthyHostCount');
      assert.deepEqual(alarm.Dimensions, dimensions(group));
    }
  });
});
