/**
 * #10 item 14: first create, update and rollback modelled from the stacks' resources. Every expectation
 * is computed by hand in the comment above it from the documented per-resource figures
 * (RDS Multi-AZ 20 min, single-AZ 12, NAT 3, ALB 3, interface endpoints 3, first instance 3; 45 s per
 * change set, 20 s per synth, 2 synths per deploy, 1 per rollback).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CREATE_MINUTES,
  defaultDeployTimeoutMs,
  estimateDeployTime,
  FLOW_SECONDS,
} from '../src/plan/stack-time.js';
import { fixtureStacks } from './fixtures/plan/stacks.js';

describe('deploy timeline from the stacks', () => {
  it('uses the documented per-resource figures', () => {
    assert.deepEqual(
      { ...CREATE_MINUTES, ...FLOW_SECONDS },
      {
        rdsSingleAz: 12,
        rdsMultiAz: 20,
        natGateway: 3,
        loadBalancer: 3,
        interfaceEndpoint: 3,
        containerInstance: 3,
        synth: 20,
        changeSetPerStack: 45,
      },
    );
  });

  it('first create of a prod-like region is dominated by the Multi-AZ database', () => {
    // GIVEN 2 NATs, 3 interface endpoints, Multi-AZ RDS, rolling service with health checks 5 s × 2
    const e = estimateDeployTime(fixtureStacks({ natGateways: 2, multiAz: true, interfaceEndpoints: 3 }));
    // Network 0.75 + max(NAT 3, endpoints 3) = 3.75; Data 0.75 + 20 = 20.75;
    // Service 0.75 + max(ALB 3, instance 3) + (30 + 5 × 2) s = 4.42; Monitoring 0.75;
    // + 2 synths × 20 s → 30.33 → 31 min
    assert.deepEqual(
      e.firstCreate.map((s) => [
        s.stackName.replace(/^Berth-Test-eu-west-1-/, ''),
        Math.round(s.minutes * 100) / 100,
      ]),
      [
        ['Network', 3.75],
        ['Data', 20.75],
        ['Service', 4.42],
        ['Monitoring', 0.75],
      ],
    );
    assert.equal(e.firstCreateMinutes, 31);
    assert.match(e.firstCreate[1]!.why, /Multi-AZ RDS 20 min/);
    // timeout: 1.5 × 31 = 46.5 → 50
    assert.equal(e.suggestedTimeoutMinutes.firstCreate, 50);
  });

  it('a single-AZ database with one NAT creates faster', () => {
    // 3.75 + 12.75 + 4.42 + 0.75 + 0.67 = 22.33 → 23 min
    assert.equal(
      estimateDeployTime(fixtureStacks({ natGateways: 1, multiAz: false })).firstCreateMinutes,
      23,
    );
  });

  it('update = synths + a change set per stack + the ECS rolling deployment', () => {
    // rolling, 1 batch: 30 + 5 × 2 + deregistration 10 + stop 10 = 60 s;
    // 2 × 20 + 4 × 45 + 60 = 280 s = 4.67 → 5 min; rollback 20 + 45 + 60 = 125 s → 3 min
    const e = estimateDeployTime(fixtureStacks());
    assert.equal(e.updateMinutes, 5);
    assert.equal(e.rollbackMinutes, 3);
    assert.match(
      e.updateFormula,
      /2 synths × 20 s \+ 4 change sets × 45 s \+ ECS rolling deployment 60 s = 5 min/,
    );
  });

  it('blue/green update and rollback both include the bake: rollback is a full redeploy', () => {
    // ECS blue/green: 30 + 5 × 2 + 15 shift + 5 min bake + 15 deregistration + 15 stop = 385 s
    // update 40 + 180 + 385 = 605 s = 10.08 → 11 min; rollback 20 + 45 + 385 = 450 s = 7.5 → 8 min
    const e = estimateDeployTime(
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
    );
    assert.equal(e.updateMinutes, 11);
    assert.equal(e.rollbackMinutes, 8);
    assert.match(e.rollbackFormula, /full redeploy of the previous digest/);
    // timeouts: 16.5 → 20, 12 → 15
    assert.deepEqual([e.suggestedTimeoutMinutes.update, e.suggestedTimeoutMinutes.rollback], [20, 15]);
  });

  it('gives berth deploy its default --timeout: first create vs update', () => {
    const stacks = fixtureStacks({ natGateways: 2, multiAz: true, interfaceEndpoints: 3 });
    // first create 31 min → 50 min; update 5 min → 1.5 × 5 = 7.5 → 10 min
    assert.equal(defaultDeployTimeoutMs(stacks, true), 50 * 60_000);
    assert.equal(defaultDeployTimeoutMs(stacks, false), 10 * 60_000);
  });
});
