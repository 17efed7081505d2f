/**
 * Where the shared load balancer lives: an internet-facing ALB must sit in the public subnets, the ones with a
 * route to the internet gateway ("Application Load Balancers": "For an internet-facing load balancer, the
 * subnets that you specify must have at least 8 available IP addresses" and be public, i.e. route 0.0.0.0/0 to an
 * internet gateway, VPC User Guide "Subnets for your VPC"). CDK's VPC default selection is the private subnets,
 * so a dropped subnet selection would put it where no client reaches it. Construction only, no synth.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { addLoadBalancer, createWebFixture } from './support/web-fixture.js';

describe('LoadBalancer placement', () => {
  test('the internet-facing ALB is in the public subnets, one per availability zone', () => {
    const fixture = createWebFixture('Placement');
    const { loadBalancer } = addLoadBalancer(fixture, 'test');
    const resource = loadBalancer.node.defaultChild as elbv2.CfnLoadBalancer;
    assert.equal(resource.scheme, 'internet-facing');
    const publicSubnets = fixture.vpc.publicSubnets.map((subnet) => subnet.subnetId);
    assert.equal(publicSubnets.length, 2);
    assert.deepEqual(resource.subnets, publicSubnets);
    const privateSubnets = fixture.vpc.privateSubnets.map((subnet) => subnet.subnetId);
    assert.ok(!privateSubnets.some((id) => resource.subnets?.includes(id)));
  });
});
