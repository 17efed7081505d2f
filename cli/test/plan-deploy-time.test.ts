import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ASSUMPTIONS,
  deployInputsFromTemplates,
  ecsPatternsDefaults,
  estimateEcsDeployment,
} from '../src/plan/deploy-time.js';
import { fixtureStacks } from './fixtures/plan/stacks.js';

describe('deploy-time estimate', () => {
  it('reads a rolling deploy from the templates and applies the batch formula', () => {
    // GIVEN 4 tasks, min 50% / max 100%, health checks 10 s × 3, deregistration 20 s,
    // stop timeout 30 s but the app exits after draining 15 s
    const inputs = deployInputsFromTemplates(
      fixtureStacks({
        minTasks: 4,
        deployment: { MinimumHealthyPercent: 50, MaximumPercent: 100 },
        healthCheck: { interval: 10, healthyThreshold: 3, unhealthyThreshold: 2 },
        deregistrationDelay: 20,
        stopTimeout: 30,
        drainSeconds: 15,
        gracePeriod: 60,
      }),
    );
    assert.ok(inputs);
    assert.equal(inputs.strategy, 'rolling');
    assert.equal(inputs.tasks, 4);
    assert.equal(inputs.stopSeconds, 15);
    // WHEN
    const e = estimateEcsDeployment(inputs);
    // THEN batch = floor(4×100%) − ceil(4×50%) = 2 tasks, 2 batches;
    // per batch = start 30 + 10×3 + 20 + 15 = 95 s; deploy = 2 × 95 = 190 s
    assert.equal(ASSUMPTIONS.startupSeconds, 30);
    assert.equal(e.batchSize, 2);
    assert.equal(e.batches, 2);
    assert.equal(e.perBatchSeconds, 95);
    assert.equal(e.deploySeconds, 190);
    assert.match(
      e.deployFormula,
      /2 batch\(es\) of 2 × \(start 30 \+ interval 10 × healthy 3 \+ deregistration 20 \+ stop 15\) s = 190 s/,
    );
    // rollback: circuit breaker needs max(3, ceil(4/2)) = 3 failures = ceil(3/2) = 2 attempts
    // of (30 + grace 60 + 10 × 2) = 110 s, then a redeploy of 190 s → 410 s
    assert.equal(e.rollbackSeconds, 410);
  });

  it('puts the ecs-patterns defaults at about 8 minutes per batch', () => {
    // 30 + 30 × 5 + 300 + 30 = 510 s = 8.5 min for one batch
    const base = estimateEcsDeployment(ecsPatternsDefaults(2));
    assert.equal(base.batches, 1);
    assert.equal(base.perBatchSeconds, 510);
    assert.ok(base.deploySeconds >= 8 * 60 && base.deploySeconds < 9 * 60);
    // Our test-env numbers (5 s × 2, 10 s deregistration, 10 s drain) are 8.5× faster.
    const ours = estimateEcsDeployment(deployInputsFromTemplates(fixtureStacks())!);
    assert.equal(ours.deploySeconds, 30 + 5 * 2 + 10 + 10);
  });

  it('times native blue/green as start + health + shift + bake + drain, rollback as a shift back', () => {
    const inputs = deployInputsFromTemplates(
      fixtureStacks({
        minTasks: 2,
        deployment: {
          Strategy: 'BLUE_GREEN',
          BakeTimeInMinutes: 5,
          MinimumHealthyPercent: 100,
          MaximumPercent: 200,
        },
        deregistrationDelay: 15,
        drainSeconds: 15,
      }),
    )!;
    const e = estimateEcsDeployment(inputs);
    // 30 + 5×2 + 15 + 5×60 + 15 + 15 = 385 s
    assert.equal(e.deploySeconds, 385);
    assert.equal(e.rollbackSeconds, ASSUMPTIONS.trafficShiftSeconds);
    assert.match(e.rollbackFormula, /during the 5 min bake/);
  });

  it('adds a second traffic shift for canary and reports its percentage', () => {
    const inputs = deployInputsFromTemplates(
      fixtureStacks({
        deployment: { Strategy: 'CANARY', BakeTimeInMinutes: 10, CanaryConfiguration: { CanaryPercent: 5 } },
      }),
    )!;
    assert.equal(inputs.canaryPercent, 5);
    // 30 + 5×2 + 2×15 + 600 + 10 + 10 = 690 s
    assert.equal(estimateEcsDeployment(inputs).deploySeconds, 690);
  });

  it('falls back to the AWS defaults for settings the template leaves out', () => {
    const inputs = deployInputsFromTemplates([
      {
        stackName: 'Bare',
        region: 'eu-west-1',
        template: {
          Resources: {
            Service: { Type: 'AWS::ECS::Service', Properties: { DesiredCount: 3 } },
            Tg: { Type: 'AWS::ElasticLoadBalancingV2::TargetGroup', Properties: {} },
          },
        },
      },
    ])!;
    assert.deepEqual(
      [
        inputs.tasks,
        inputs.healthCheckIntervalSeconds,
        inputs.healthyThreshold,
        inputs.deregistrationDelaySeconds,
      ],
      [3, 30, 5, 300],
    );
    assert.equal(inputs.stopSeconds, 30);
    assert.equal(
      deployInputsFromTemplates([{ stackName: 'Empty', region: 'eu-west-1', template: {} }]),
      undefined,
    );
  });

  it('times workers with no load balancer as start + stop: no health checks to pass, nothing to deregister', () => {
    // GIVEN an app of workers only: 2 tasks, min 100% / max 200%, stop timeout 45 s, no target group at all
    const inputs = deployInputsFromTemplates([
      {
        stackName: 'Workers',
        region: 'eu-west-1',
        template: {
          Resources: {
            Service: {
              Type: 'AWS::ECS::Service',
              Properties: {
                DesiredCount: 2,
                DeploymentConfiguration: { MinimumHealthyPercent: 100, MaximumPercent: 200 },
                TaskDefinition: { Ref: 'Task' },
              },
            },
            Task: {
              Type: 'AWS::ECS::TaskDefinition',
              Properties: { ContainerDefinitions: [{ Name: 'ingest', StopTimeout: 45 }] },
            },
          },
        },
      },
    ])!;
    // WHEN
    const e = estimateEcsDeployment(inputs);
    // THEN one batch of 2 × (start 30 + stop 45) = 75 s; a failed attempt is the start alone (30 s), and the
    // circuit breaker's 3 failures take ceil(3/2) = 2 of them before the 75 s redeploy: 135 s
    assert.equal(e.deploySeconds, 75);
    assert.match(e.deployFormula, /interval 0 × healthy 0 \+ deregistration 0 \+ stop 45/);
    assert.equal(e.rollbackSeconds, 135);
  });
});
