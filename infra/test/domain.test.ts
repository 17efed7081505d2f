/**
 * #14 item 1: a real domain with HTTPS. The whole prod platform is synthesized with a domain (cdk-nag and
 * schema validation on), once with a certificate the stack creates and once with an existing one.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { EnvironmentConfig } from '../config/environments.js';
import { ConfigError, validateEnvironment } from '../config/validate.js';
import { Domain } from '../lib/constructs/domain.js';
import { OUTPUTS } from '../lib/naming.js';
import { ENVIRONMENTS, stackName } from './fixtures/cart-config.js';
import { envStack, plainVpc, REGION, synthesize, withEnvironment } from './fixtures/platform.js';

const ZONE = { id: 'Z04417983AXDN2VL8QW6E', name: 'berth-example.net' };
const NAME = 'shop.berth-example.net';
const IMPORTED = 'arn:aws:acm:eu-west-1:111122223333:certificate/7c1d5e2a-4b3f-4c8d-9e0a-1f2b3c4d5e6f';

const service = stackName('prod', REGION, 'Service');
const withDomain = (domain: EnvironmentConfig['domain']) =>
  withEnvironment(
    'prod',
    (c) => ({ ...c, domain }),
    () => synthesize({ environments: ['prod'] }),
  );
const created = withDomain({ name: NAME, hostedZone: ZONE });
const imported = withDomain({ name: NAME, hostedZone: ZONE, certificateArn: IMPORTED });

function only(template: Template, type: string, props: object = {}) {
  const found = Object.entries(template.findResources(type, props));
  assert.equal(found.length, 1, `expected exactly one ${type}, found ${found.length}`);
  const [logicalId, resource] = found[0]!;
  return { logicalId, properties: resource.Properties };
}

describe('domain: the stack creates the certificate', () => {
  const template = () => created.template(service);

  test('synthesizes with no cdk-nag finding and no schema error', () => {
    assert.equal(created.synthError, null, String(created.synthError));
    assert.deepEqual(created.nagViolations, []);
  });

  test('a public ACM certificate for the name, validated by DNS in the given zone', () => {
    const { properties } = only(template(), 'AWS::CertificateManager::Certificate');
    assert.equal(properties.DomainName, 'shop.berth-example.net');
    assert.equal(properties.ValidationMethod, 'DNS');
    assert.deepEqual(properties.DomainValidationOptions, [
      { DomainName: 'shop.berth-example.net', HostedZoneId: 'Z04417983AXDN2VL8QW6E' },
    ]);
  });

  test('443 serves that certificate with the TLS 1.3/1.2 policy and forwards to the service', () => {
    const cert = only(template(), 'AWS::CertificateManager::Certificate').logicalId;
    const { properties } = only(template(), 'AWS::ElasticLoadBalancingV2::Listener', {
      Properties: { Port: 443 },
    });
    assert.equal(properties.Protocol, 'HTTPS');
    assert.deepEqual(properties.Certificates, [{ CertificateArn: { Ref: cert } }]);
    // AWS, "Security policies for your Application Load Balancer": TLS 1.3 with TLS 1.2 fallback.
    assert.equal(properties.SslPolicy, 'ELBSecurityPolicy-TLS13-1-2-2021-06');
  });

  test('the one port-80 listener redirects permanently (301) to HTTPS on 443, keeping host, path and query', () => {
    const listeners = template().findResources('AWS::ElasticLoadBalancingV2::Listener', {
      Properties: { Port: 80 },
    });
    assert.equal(Object.keys(listeners).length, 1);
    const [http] = Object.values(listeners);
    assert.deepEqual(http!.Properties.DefaultActions, [
      {
        Type: 'redirect',
        RedirectConfig: { Port: '443', Protocol: 'HTTPS', StatusCode: 'HTTP_301' },
      },
    ]);
  });

  test('an alias A record for the name points at the load balancer; no AAAA on an IPv4-only load balancer', () => {
    const alb = only(template(), 'AWS::ElasticLoadBalancingV2::LoadBalancer').logicalId;
    const { properties } = only(template(), 'AWS::Route53::RecordSet');
    assert.equal(properties.Name, 'shop.berth-example.net.');
    assert.equal(properties.Type, 'A');
    assert.equal(properties.HostedZoneId, 'Z04417983AXDN2VL8QW6E');
    assert.deepEqual(properties.AliasTarget, {
      DNSName: { 'Fn::Join': ['', ['dualstack.', { 'Fn::GetAtt': [alb, 'DNSName'] }]] },
      HostedZoneId: { 'Fn::GetAtt': [alb, 'CanonicalHostedZoneID'] },
    });
  });

  test('the load balancer admits 443 and 80 (for the redirect) from the internet, nothing else', () => {
    const { properties } = only(template(), 'AWS::EC2::SecurityGroup', {
      Properties: {
        GroupDescription: 'Berth prod ALB: HTTP(S) from the internet, ephemeral ports to the instances',
      },
    });
    const ports = (properties.SecurityGroupIngress as { CidrIp: string; FromPort: number; ToPort: number }[])
      .map((r) => `${r.CidrIp}:${r.FromPort}-${r.ToPort}`)
      .sort();
    assert.deepEqual(ports, ['0.0.0.0/0:443-443', '0.0.0.0/0:80-80']);
  });

  test('ServiceUrl is https://<name>, not the load balancer DNS name', () => {
    assert.deepEqual(
      created.json(service).Outputs[OUTPUTS.serviceUrl].Value,
      'https://shop.berth-example.net',
    );
  });
});

describe('domain: an existing certificate', () => {
  test('creates no certificate and serves the given ARN on 443', () => {
    assert.equal(imported.synthError, null, String(imported.synthError));
    const template = imported.template(service);
    template.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    const { properties } = only(template, 'AWS::ElasticLoadBalancingV2::Listener', {
      Properties: { Port: 443 },
    });
    assert.deepEqual(properties.Certificates, [{ CertificateArn: IMPORTED }]);
    template.resourceCountIs('AWS::Route53::RecordSet', 1);
  });
});

describe('Domain construct', () => {
  // Both dual-stack types answer on IPv6 ("IP address types for your Application Load Balancer"):
  // `dualstack` and `dualstack-without-public-ipv4`.
  for (const ipAddressType of [
    elbv2.IpAddressType.DUAL_STACK,
    elbv2.IpAddressType.DUAL_STACK_WITHOUT_PUBLIC_IPV4,
  ]) {
    test(`a ${ipAddressType} load balancer also gets an alias AAAA record with the same name`, () => {
      const stack = envStack();
      const vpc = plainVpc(stack);
      const loadBalancer = new elbv2.ApplicationLoadBalancer(stack, 'Alb', {
        vpc,
        internetFacing: true,
        ipAddressType,
        vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      });
      new Domain(stack, 'Domain', {
        name: 'api.other-zone.org',
        hostedZone: { id: 'Z1PA6795UKMFR9', name: 'other-zone.org' },
      }).routeTo(loadBalancer);
      const records = Template.fromStack(stack).findResources('AWS::Route53::RecordSet');
      assert.deepEqual(
        Object.values(records)
          .map((r) => `${r.Properties.Type} ${r.Properties.Name} ${r.Properties.HostedZoneId}`)
          .sort(),
        ['A api.other-zone.org. Z1PA6795UKMFR9', 'AAAA api.other-zone.org. Z1PA6795UKMFR9'],
      );
    });
  }
});

describe('domain config validation', () => {
  const prodWith = (domain: object, regions?: string[]): EnvironmentConfig =>
    ({ ...structuredClone(ENVIRONMENTS.prod), domain, ...(regions ? { regions } : {}) }) as EnvironmentConfig;
  const good = { name: NAME, hostedZone: ZONE };
  const rejects = (env: EnvironmentConfig, message: string) =>
    assert.throws(
      () => validateEnvironment(env),
      (e: unknown) => e instanceof ConfigError && e.message === message && !message.includes('\n'),
    );

  test('a name in its zone, the zone apex, and an existing certificate in the region are accepted', () => {
    for (const domain of [
      good,
      { name: 'berth-example.net', hostedZone: ZONE },
      { ...good, certificateArn: IMPORTED },
    ]) {
      assert.doesNotThrow(() => validateEnvironment(prodWith(domain)));
    }
  });

  const cases: { why: string; domain: object; regions?: string[]; message: string }[] = [
    {
      why: 'a name outside the zone',
      domain: { name: 'shop.example.org', hostedZone: ZONE },
      message:
        'config prod.domain.name = "shop.example.org": expected berth-example.net or a name ending in .berth-example.net (the zone in domain.hostedZone.name)',
    },
    {
      why: 'a name that only ends like the zone',
      domain: { name: 'evilberth-example.net', hostedZone: ZONE },
      message:
        'config prod.domain.name = "evilberth-example.net": expected berth-example.net or a name ending in .berth-example.net (the zone in domain.hostedZone.name)',
    },
    {
      why: 'an upper-case name with a trailing dot',
      domain: { name: 'Shop.berth-example.net.', hostedZone: ZONE },
      message:
        'config prod.domain.name = "Shop.berth-example.net.": expected a lower-case domain name such as shop.example.org',
    },
    {
      why: 'a zone id with the /hostedzone/ prefix',
      domain: { name: NAME, hostedZone: { ...ZONE, id: '/hostedzone/Z04417983AXDN2VL8QW6E' } },
      message:
        'config prod.domain.hostedZone.id = "/hostedzone/Z04417983AXDN2VL8QW6E": expected a Route 53 zone id such as Z0123456789ABCDEFGHIJ',
    },
    {
      why: 'a zone name that is not a domain name',
      domain: { name: NAME, hostedZone: { ...ZONE, name: 'berth example' } },
      message:
        'config prod.domain.hostedZone.name = "berth example": expected the zone\'s lower-case name such as example.org',
    },
    {
      why: 'a certificate in another region',
      domain: { ...good, certificateArn: IMPORTED.replace('eu-west-1', 'us-east-1') },
      message: `config prod.domain.certificateArn = "${IMPORTED.replace('eu-west-1', 'us-east-1')}": expected an ACM certificate ARN in eu-west-1 (a load balancer only uses certificates of its own region), or no certificateArn to have one created`,
    },
    {
      why: 'something that is not a certificate ARN',
      domain: { ...good, certificateArn: 'arn:aws:acm:eu-west-1:123:cert' },
      message:
        'config prod.domain.certificateArn = "arn:aws:acm:eu-west-1:123:cert": expected an ACM certificate ARN in eu-west-1 (a load balancer only uses certificates of its own region), or no certificateArn to have one created',
    },
    {
      why: 'two regions sharing one name',
      domain: good,
      regions: ['eu-west-1', 'eu-west-2'],
      message:
        'config prod.domain.name = "shop.berth-example.net": expected an environment in one region (it has 2; one name cannot alias several load balancers yet)',
    },
  ];
  for (const c of cases) {
    test(`${c.why} is rejected in one line naming the field`, () =>
      rejects(prodWith(c.domain, c.regions), c.message));
  }
});
