/**
 * An environment deployed before apps could have several services upgrades in place: the templates Berth
 * synthesized then (fixtures/one-service-era, see its README) are "what runs", today's synth of the same
 * environment is the deploy. AWS's diff engine (`@aws-cdk/cloudformation-diff`, what `cdk diff` uses) says
 * which resources CloudFormation would replace or delete; `berth deploy`'s change-safety gate must pass.
 *
 * Cost: two synths (test; prod with a domain), ~4 s each on an idle machine.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { fullDiff, ResourceImpact } from '@aws-cdk/cloudformation-diff';
import { assessChangeSafety } from '../src/plan/change-safety.js';
import type { CfnTemplate, StackTemplate } from '../src/plan/template.js';
import { synthesizeWith } from './fixtures/plan/config-change.js';

const FIXTURES = new URL('./fixtures/one-service-era/', import.meta.url);
/** The domain the prod fixture was synthesized with (its README). */
const DOMAIN = {
  name: 'shop.berth-upgrade.org',
  hostedZone: { id: 'Z0456789UPGRADEZONE1', name: 'berth-upgrade.org' },
};

function deployed(dir: string): StackTemplate[] {
  const folder = new URL(`${dir}/`, FIXTURES);
  return readdirSync(folder).map((file) => ({
    stackName: file.replace('.template.json', ''),
    region: 'eu-west-1',
    template: JSON.parse(readFileSync(new URL(file, folder), 'utf8')) as CfnTemplate,
  }));
}

/** Resources whose replacement changes the URL, drops traffic or data, or fails on a duplicate. */
const KEPT_TYPES = new Set([
  'AWS::ElasticLoadBalancingV2::LoadBalancer',
  'AWS::ElasticLoadBalancingV2::Listener',
  'AWS::ElasticLoadBalancingV2::ListenerRule',
  'AWS::ElasticLoadBalancingV2::TargetGroup',
  'AWS::EC2::SecurityGroup',
  'AWS::EC2::SecurityGroupIngress',
  'AWS::EC2::SecurityGroupEgress',
  'AWS::S3::Bucket',
  'AWS::RDS::DBInstance',
  'AWS::ECS::Service',
  'AWS::WAFv2::WebACLAssociation',
  'AWS::Route53::RecordSet',
  'AWS::CertificateManager::Certificate',
]);

/** `<logical id> <type> <impact>` for every kept-type resource the upgrade would remove or replace. */
function lostResources(before: readonly StackTemplate[], after: readonly StackTemplate[]): string[] {
  return before.flatMap((old) => {
    const now = after.find((s) => s.stackName === old.stackName);
    assert.ok(now, `today's synth has no stack ${old.stackName}`);
    const lost: string[] = [];
    fullDiff(old.template, now.template).resources.forEachDifference((id, change) => {
      const type = change.oldResourceType ?? change.newResourceType ?? '';
      if (!KEPT_TYPES.has(type) || change.isAddition) return;
      if (
        change.isRemoval ||
        change.changeImpact === ResourceImpact.WILL_REPLACE ||
        change.changeImpact === ResourceImpact.MAY_REPLACE
      ) {
        lost.push(`${old.stackName}/${id} ${type} ${change.changeImpact}`);
      }
    });
    return lost;
  });
}

function resourceIds(stacks: readonly StackTemplate[], stackName: string, type: string): string[] {
  const stack = stacks.find((s) => s.stackName === stackName);
  return Object.entries(stack?.template.Resources ?? {})
    .filter(([, r]) => r.Type === type)
    .map(([id]) => id)
    .sort();
}

describe('upgrading an environment deployed when the app had one service', () => {
  const TEST_BEFORE = deployed('test');
  const PROD_BEFORE = deployed('prod-domain');
  let testNow: StackTemplate[];
  let prodNow: StackTemplate[];
  before(async () => {
    testNow = await synthesizeWith('test');
    prodNow = await synthesizeWith('prod', (c) => ({ ...c, domain: DOMAIN }));
  });

  it('keeps the load balancer, its listeners, target groups, security groups and the database (test)', () => {
    assert.deepEqual(lostResources(TEST_BEFORE, testNow), []);
  });

  it('keeps the HTTPS listener, the certificate, the DNS alias and the WAF association (prod with a domain)', () => {
    assert.deepEqual(lostResources(PROD_BEFORE, prodNow), []);
  });

  it('still names them as the one-service era did (a rename would be a new load balancer and a new URL)', () => {
    // Literals from the fixture templates (the logical ids CloudFormation knows these resources by).
    const service = 'Berth-Prod-eu-west-1-Service';
    assert.deepEqual(resourceIds(prodNow, service, 'AWS::ElasticLoadBalancingV2::LoadBalancer'), [
      'WebLoadBalancer8E8983B1',
    ]);
    assert.deepEqual(resourceIds(prodNow, service, 'AWS::ElasticLoadBalancingV2::Listener'), [
      'WebLoadBalancerHttpListener6E69E303',
      'WebLoadBalancerHttpsListenerF5A68E98',
    ]);
    assert.deepEqual(resourceIds(prodNow, service, 'AWS::ElasticLoadBalancingV2::TargetGroup'), [
      'WebAlternateTargetGroupB211FDA6',
      'WebTargetGroupFE6444AE',
    ]);
    assert.ok(
      resourceIds(prodNow, service, 'AWS::EC2::SecurityGroup').includes(
        'WebLoadBalancerSecurityGroupAAB6BB02',
      ),
    );
    assert.deepEqual(resourceIds(testNow, 'Berth-Test-eu-west-1-Data', 'AWS::RDS::DBInstance'), [
      'DatabaseInstanceAA8A5FDE',
    ]);
  });

  it("passes berth deploy's change-safety gate over what runs", () => {
    for (const [before, now] of [
      [TEST_BEFORE, testNow],
      [PROD_BEFORE, prodNow],
    ] as const) {
      const proposed = now.filter((s) => before.some((b) => b.stackName === s.stackName));
      assert.deepEqual(
        assessChangeSafety({ deployed: before, proposed }).map((f) => f.id),
        [],
      );
    }
  });
});
