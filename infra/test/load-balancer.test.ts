/**
 * The shared LoadBalancer on its own, before and after a web service takes its default: what a request no rule
 * matches gets, the listeners' TLS, the defaults a caller may leave out, and the names a console shows.
 * Expected values are literals: AWS's documentation ("Listeners for your Application Load Balancers": fixed-response
 * and redirect actions; "Security policies for your Application Load Balancer": ELBSecurityPolicy-TLS13-1-2-2021-06;
 * "Application Load Balancer attributes": deletion_protection.enabled, access_logs.s3.prefix) and Berth's design.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { LoadBalancer, type LoadBalancerProps } from '../lib/constructs/load-balancer.js';
import { CERTIFICATE_ARN, createWebFixture, synthesize, type WebFixture } from './support/web-fixture.js';

// biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON, read field by field
type Json = any;

let stacks = 0;
function build(props: Partial<LoadBalancerProps> = {}): { fixture: WebFixture; loadBalancer: LoadBalancer } {
  const fixture = createWebFixture(`LoadBalancer${stacks++}`);
  const loadBalancer = new LoadBalancer(fixture.stack, 'LoadBalancer', {
    envName: 'qa',
    vpc: fixture.vpc,
    instanceSecurityGroup: fixture.instanceSecurityGroup,
    accessLogPrefix: 'logs-qa',
    ...props,
  });
  return { fixture, loadBalancer };
}

function synthesized(props: Partial<LoadBalancerProps> = {}) {
  const built = build(props);
  return { ...built, resources: synthesize(built.fixture).toJSON().Resources as Record<string, Json> };
}

function ofType(resources: Record<string, Json>, type: string): [string, Json][] {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

function listenerOn(resources: Record<string, Json>, port: number): Json {
  const found = ofType(resources, 'AWS::ElasticLoadBalancingV2::Listener').filter(
    ([, listener]) => listener.Properties.Port === port,
  );
  assert.equal(found.length, 1, `one listener on ${port}`);
  return found[0]![1].Properties;
}

function attributes(resources: Record<string, Json>): Record<string, string> {
  const [[, alb]] = ofType(resources, 'AWS::ElasticLoadBalancingV2::LoadBalancer') as [[string, Json]];
  return Object.fromEntries(
    (alb.Properties.LoadBalancerAttributes as { Key: string; Value: string }[]).map((a) => [a.Key, a.Value]),
  );
}

const NOT_FOUND = [
  {
    Type: 'fixed-response',
    FixedResponseConfig: {
      StatusCode: '404',
      ContentType: 'application/json',
      MessageBody: '{"error":"not_found","message":"No service is routed here."}',
    },
  },
];

// GIVEN a load balancer with only the props a caller must give, and one with HTTPS, protection and a retention.
const plain = synthesized();
const https = synthesized({
  certificateArn: CERTIFICATE_ARN,
  deletionProtection: true,
  accessLogRetentionDays: 21,
});

describe('LoadBalancer before any web service', () => {
  test('a request no rule matches gets a JSON 404 naming the problem', () => {
    assert.deepEqual(listenerOn(plain.resources, 80).DefaultActions, NOT_FOUND);
    assert.deepEqual(JSON.parse(NOT_FOUND[0]!.FixedResponseConfig.MessageBody), {
      error: 'not_found',
      message: 'No service is routed here.',
    });
  });

  test('HTTPS: 443 answers the 404 with TLS 1.3/1.2 only; 80 redirects permanently to 443', () => {
    const secure = listenerOn(https.resources, 443);
    assert.deepEqual(secure.DefaultActions, NOT_FOUND);
    assert.equal(secure.SslPolicy, 'ELBSecurityPolicy-TLS13-1-2-2021-06');
    assert.deepEqual(secure.Certificates, [{ CertificateArn: CERTIFICATE_ARN }]);
    assert.deepEqual(listenerOn(https.resources, 80).DefaultActions, [
      { Type: 'redirect', RedirectConfig: { Port: '443', Protocol: 'HTTPS', StatusCode: 'HTTP_301' } },
    ]);
    assert.equal(https.loadBalancer.listener.port, 443, 'services add their rules to 443');
  });

  test('without a certificate the one listener is plain HTTP on 80, and services add their rules there', () => {
    assert.equal(ofType(plain.resources, 'AWS::ElasticLoadBalancingV2::Listener').length, 1);
    assert.equal(listenerOn(plain.resources, 80).Protocol, 'HTTP');
    assert.equal(plain.loadBalancer.listener.port, 80);
  });

  test('deletion protection is off unless asked for; access logs go under the given prefix', () => {
    assert.equal(attributes(plain.resources)['deletion_protection.enabled'], 'false');
    assert.equal(attributes(https.resources)['deletion_protection.enabled'], 'true');
    assert.equal(attributes(plain.resources)['access_logs.s3.prefix'], 'logs-qa');
  });

  test('access logs are kept 90 days unless told otherwise', () => {
    const expiration = (resources: Record<string, Json>) =>
      ofType(resources, 'AWS::S3::Bucket')[0]![1].Properties.LifecycleConfiguration.Rules[0].ExpirationInDays;
    assert.equal(expiration(plain.resources), 90);
    assert.equal(expiration(https.resources), 21);
  });

  test('the load balancer, its security group and its log bucket carry the berth:env tag', () => {
    for (const type of [
      'AWS::ElasticLoadBalancingV2::LoadBalancer',
      'AWS::EC2::SecurityGroup',
      'AWS::S3::Bucket',
    ]) {
      const tagged = ofType(plain.resources, type).filter(([, resource]) =>
        (resource.Properties.Tags ?? []).some((tag: Json) => tag.Key === 'berth:env' && tag.Value === 'qa'),
      );
      assert.equal(tagged.length, 1, `${type} tagged berth:env=qa`);
    }
  });

  test('each security group rule says what it is for', () => {
    const [[groupId, group]] = ofType(plain.resources, 'AWS::EC2::SecurityGroup').filter(
      ([, g]) =>
        g.Properties.GroupDescription ===
        'Berth qa ALB: HTTP(S) from the internet, ephemeral ports to the instances',
    ) as [[string, Json]];
    assert.deepEqual(
      group.Properties.SecurityGroupIngress.map((rule: Json) => rule.Description),
      ['HTTP from anywhere'],
    );
    const egress = ofType(plain.resources, 'AWS::EC2::SecurityGroupEgress').filter(
      ([, rule]) => rule.Properties.GroupId['Fn::GetAtt']?.[0] === groupId,
    );
    assert.deepEqual(
      egress.map(([, rule]) => rule.Properties.Description),
      ['To bridge-mode tasks on the instances'],
    );
    const ingress = ofType(plain.resources, 'AWS::EC2::SecurityGroupIngress').filter(
      ([, rule]) => rule.Properties.SourceSecurityGroupId?.['Fn::GetAtt']?.[0] === groupId,
    );
    assert.deepEqual(
      ingress.map(([, rule]) => rule.Properties.Description),
      ['Dynamic host ports of bridge-mode tasks, from the ALB only'],
    );
    const secure = ofType(https.resources, 'AWS::EC2::SecurityGroup').find(([, g]) =>
      String(g.Properties.GroupDescription).endsWith(
        'ALB: HTTP(S) from the internet, ephemeral ports to the instances',
      ),
    )!;
    assert.deepEqual(
      secure[1].Properties.SecurityGroupIngress.map((rule: Json) => [rule.FromPort, rule.Description]),
      [
        [80, 'HTTP from anywhere'],
        [443, 'HTTPS from anywhere'],
      ],
    );
  });

  test('its URL is the load balancer DNS name, with the scheme of its listener', () => {
    assert.equal(plain.loadBalancer.url, `http://${plain.loadBalancer.loadBalancer.loadBalancerDnsName}`);
    assert.equal(https.loadBalancer.url, `https://${https.loadBalancer.loadBalancer.loadBalancerDnsName}`);
  });
});

describe('LoadBalancer default forward', () => {
  test('forwardByDefault sends unmatched requests to the group and attaches the group to the load balancer', () => {
    const { fixture, loadBalancer } = build();
    const group = new elbv2.ApplicationTargetGroup(fixture.stack, 'Group', {
      vpc: fixture.vpc,
      port: 8080,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.INSTANCE,
    });
    loadBalancer.forwardByDefault(group);
    // CDK throws here for a group no listener was registered with ("The TargetGroup needs to be attached to a
    // LoadBalancer"): the metrics and alarms of a service need its load balancer.
    assert.doesNotThrow(() => group.firstLoadBalancerFullName);
    const resources = synthesize(fixture).toJSON().Resources as Record<string, Json>;
    const [[groupId]] = ofType(resources, 'AWS::ElasticLoadBalancingV2::TargetGroup') as [[string, Json]];
    assert.deepEqual(listenerOn(resources, 80).DefaultActions, [
      { Type: 'forward', TargetGroupArn: { Ref: groupId } },
    ]);
  });
});
