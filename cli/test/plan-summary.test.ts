import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { internetExposure, summarize, tierOf } from '../src/plan/summary.js';
import { fixtureStacks } from './fixtures/plan/stacks.js';

describe('plan summary', () => {
  it('counts resources per tier', () => {
    const { tiers, stacks } = summarize(fixtureStacks());
    // Alb, TargetGroup, Listener80
    assert.equal(tiers.edge, 3);
    // Cluster, LaunchTemplate, Asg, CapacityProvider, TaskDefinition, Service, ScalableTarget
    assert.equal(tiers.compute, 7);
    // DbSecret, Db
    assert.equal(tiers.data, 2);
    // Vpc, Igw, 4 subnets, Eip0, Nat0, S3Endpoint
    assert.equal(tiers.network, 9);
    // LogGroup, Topic, 2 alarms, Dashboard
    assert.equal(tiers.ops, 5);
    // 3 security groups + 1 ingress
    assert.equal(tiers.security, 4);
    assert.equal(stacks.length, 4);
    assert.equal(tierOf('AWS::ECR::Repository'), 'other');
  });

  it('shows only the load balancer on 80 as reachable from the internet', () => {
    const exposure = internetExposure(fixtureStacks());
    assert.deepEqual(
      exposure.map((e) => [e.protocol, e.ports, e.source, e.attachedTo]),
      [['tcp', '80', '0.0.0.0/0', ['AWS::ElasticLoadBalancingV2::LoadBalancer Alb']]],
    );
  });

  it('adds 443 when a certificate is configured', () => {
    const ports = internetExposure(fixtureStacks({ certificate: true })).map((e) => e.ports);
    assert.deepEqual(ports, ['80', '443']);
  });

  it('catches an open standalone ingress rule (IPv6 too) and names the instances wearing the group', () => {
    const exposure = internetExposure(
      fixtureStacks({
        extra: {
          // Monitoring stack: the group lives in the Service stack, so this rule cannot follow it.
          Stray: {
            Type: 'AWS::EC2::SecurityGroupIngress',
            Properties: { CidrIpv6: '::/0', IpProtocol: '-1' },
          },
        },
      }).map((s) =>
        s.stackName.endsWith('Service')
          ? {
              ...s,
              template: {
                Resources: {
                  ...s.template.Resources,
                  Ssh: {
                    Type: 'AWS::EC2::SecurityGroupIngress',
                    Properties: {
                      GroupId: { 'Fn::GetAtt': ['InstanceSecurityGroup', 'GroupId'] },
                      CidrIp: '0.0.0.0/0',
                      IpProtocol: 'tcp',
                      FromPort: 22,
                      ToPort: 22,
                    },
                  },
                },
              },
            }
          : s,
      ),
    );
    const ssh = exposure.find((e) => e.ports === '22');
    assert.deepEqual(ssh?.attachedTo, ['AWS::EC2::LaunchTemplate LaunchTemplate']);
    const stray = exposure.find((e) => e.source === '::/0');
    assert.equal(stray?.protocol, 'all');
    assert.equal(stray?.securityGroup, 'unknown (imported group)');
  });

  it('reports sizing from the templates', () => {
    const { sizing } = summarize(
      fixtureStacks({
        instanceType: 't3.medium',
        minInstances: 2,
        maxInstances: 6,
        multiAz: true,
        natGateways: 2,
      }),
    );
    assert.deepEqual(sizing, {
      instanceType: 't3.medium',
      minInstances: 2,
      maxInstances: 6,
      taskCpu: 256,
      taskMemoryMiB: 512,
      minTasks: 1,
      maxTasks: 4,
      dbClass: 'db.t4g.micro',
      dbMultiAz: true,
      dbStorageGiB: 20,
      dbMaxStorageGiB: undefined,
      natGateways: 2,
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      listeners: ['HTTP 80'],
    });
  });
});
