/**
 * Two LoadBalancer guarantees its own suites left to the whole web service's: the load balancer drops requests
 * with invalid header fields, and only one web service may take the listener's default action. A bare stack, no
 * cdk-nag. Expected values are literals: "Application Load Balancer attributes"
 * (`routing.http.drop_invalid_header_fields.enabled`, off by default: request smuggling protection is opt-in) and
 * Berth's design (one catch-all service per load balancer).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { LoadBalancer } from '../lib/constructs/load-balancer.js';

// biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON, read field by field
type Json = any;

function build() {
  const stack = new Stack(new App(), 'Edge', { env: { account: '789012345678', region: 'eu-south-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
  const loadBalancer = new LoadBalancer(stack, 'LoadBalancer', {
    envName: 'qa',
    vpc,
    instanceSecurityGroup: new ec2.SecurityGroup(stack, 'Instances', { vpc }),
    accessLogPrefix: 'edge-qa',
  });
  const group = (id: string) =>
    new elbv2.ApplicationTargetGroup(stack, id, {
      vpc,
      port: 8080,
      protocol: elbv2.ApplicationProtocol.HTTP,
    });
  return { stack, loadBalancer, group };
}

describe('LoadBalancer guards', () => {
  test('requests with invalid header fields are dropped', () => {
    const { stack } = build();
    const [alb] = Object.values(
      Template.fromStack(stack).findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'),
    );
    const attributes = Object.fromEntries(
      (alb as Json).Properties.LoadBalancerAttributes.map((a: Json) => [a.Key, a.Value]),
    );
    assert.equal(attributes['routing.http.drop_invalid_header_fields.enabled'], 'true');
  });

  test('a second catch-all is refused, and the first keeps the default', () => {
    const { loadBalancer, group } = build();
    const first = group('Storefront');
    loadBalancer.forwardByDefault(first);
    assert.throws(
      () => loadBalancer.forwardByDefault(group('Admin')),
      (error: Error) => error.message === 'LoadBalancer: only one web service can be the catch-all',
    );
    const listener = loadBalancer.listener.node.defaultChild as elbv2.CfnListener;
    assert.deepEqual(listener.defaultActions, [{ type: 'forward', targetGroupArn: first.targetGroupArn }]);
  });
});
