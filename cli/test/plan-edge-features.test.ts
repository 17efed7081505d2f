// Issue #14, "Done when": with every edge and insight feature on at once (a domain with HTTPS, WAF, exec,
// tracing with its collector sidecar), nothing but the load balancer is reachable from the internet, and the
// plan's cost table prices WAF and tracing. Checked on the real CDK app's templates, as `berth plan` reads them.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { estimateCost } from '../src/plan/cost.js';
import { PRICES_2026_11_21 as PRICES } from '../src/plan/prices.js';
import { internetExposure } from '../src/plan/summary.js';
import type { StackTemplate } from '../src/plan/template.js';
import { synthesizeWith } from './fixtures/plan/config-change.js';

const ZONE = { id: 'Z0EDGE000FEATURES0001', name: 'berth-edge.org' };

/** Every resource of `type` in the stacks, with its stack's name. */
function resourcesOf(stacks: readonly StackTemplate[], type: string) {
  return stacks.flatMap((stack) =>
    Object.entries(stack.template.Resources ?? {})
      .filter(([, resource]) => resource.Type === type)
      .map(([id, resource]) => ({
        stack: stack.stackName,
        id,
        // biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation properties
        properties: (resource.Properties ?? {}) as any,
      })),
  );
}

describe('prod with domain, WAF, exec and tracing on', () => {
  let stacks: StackTemplate[];
  before(async () => {
    stacks = await synthesizeWith('prod', (c) => ({
      ...c,
      regions: [c.regions[0]!],
      domain: { name: 'shop.berth-edge.org', hostedZone: ZONE },
      waf: { ...c.waf, enabled: true },
      exec: { enabled: true },
      tracing: { enabled: true, sampleRatio: 0.1 },
    }));
  });

  it('opens only the load balancer to the internet, on 80 (the redirect) and 443, IPv4', () => {
    assert.deepEqual(
      internetExposure(stacks)
        .map((rule) => [rule.protocol, rule.ports, rule.source, rule.attachedTo])
        .sort((a, b) => Number(a[1]) - Number(b[1])),
      [
        ['tcp', '80', '0.0.0.0/0', [`AWS::ElasticLoadBalancingV2::LoadBalancer ${loadBalancerId()}`]],
        ['tcp', '443', '0.0.0.0/0', [`AWS::ElasticLoadBalancingV2::LoadBalancer ${loadBalancerId()}`]],
      ],
    );
  });

  it('has one internet-facing load balancer, a private database, and instances with no public address in private subnets', () => {
    const balancers = resourcesOf(stacks, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    assert.deepEqual(
      balancers.map((lb) => lb.properties.Scheme),
      ['internet-facing'],
    );
    const databases = resourcesOf(stacks, 'AWS::RDS::DBInstance');
    assert.ok(databases.length > 0);
    for (const db of databases) assert.equal(db.properties.PubliclyAccessible, false, db.id);
    const templates = resourcesOf(stacks, 'AWS::EC2::LaunchTemplate');
    assert.ok(templates.length > 0);
    for (const template of templates) {
      const interfaces = template.properties.LaunchTemplateData?.NetworkInterfaces ?? [];
      assert.ok(interfaces.length > 0, `${template.id} states its network interface`);
      for (const nic of interfaces) assert.equal(nic.AssociatePublicIpAddress, false, template.id);
    }
    for (const group of resourcesOf(stacks, 'AWS::AutoScaling::AutoScalingGroup')) {
      const subnets = JSON.stringify(group.properties.VPCZoneIdentifier);
      assert.match(subnets, /PrivateSubnet1/, group.id);
      assert.doesNotMatch(subnets, /PublicSubnet/, `${group.id} launches into private subnets only`);
    }
    // Nothing else that answers from the internet: no API, function URL, distribution or bare instance.
    for (const type of [
      'AWS::ApiGateway::RestApi',
      'AWS::ApiGatewayV2::Api',
      'AWS::Lambda::Url',
      'AWS::CloudFront::Distribution',
      'AWS::EC2::Instance',
    ])
      assert.deepEqual(resourcesOf(stacks, type), [], type);
  });

  it("prices WAF and the traces X-Ray records in the plan's cost table", () => {
    const items = estimateCost(stacks, PRICES)
      .lines.filter((line) => line.monthly > 0)
      .map((line) => line.item);
    for (const expected of ['WAF web ACL', 'WAF rules', 'WAF requests inspected', 'X-Ray traces recorded'])
      assert.ok(
        items.some((item) => item.startsWith(expected)),
        `a "${expected}" line, got: ${items.join('; ')}`,
      );
  });

  function loadBalancerId(): string {
    const [balancer] = resourcesOf(stacks, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    assert.ok(balancer, 'a load balancer');
    return balancer.id;
  }
});
