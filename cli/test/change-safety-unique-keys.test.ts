/**
 * Create before delete (#13 follow-up): CloudFormation creates a moved or replaced resource before it deletes
 * the old one ("Understand update behaviors of stack resources", CloudFormation User Guide), so a new claim on
 * a key AWS keeps unique fails while the old resource still holds it. Hand-written before/after templates, one
 * key per case, then the one-service-era upgrade pair (fixtures/one-service-era) with a resource moved.
 * No synth: each case takes milliseconds.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CliError } from '../src/errors.js';
import { assessChangeSafety, unacceptedFindings } from '../src/plan/change-safety.js';
import { recordDeployedTemplates } from '../src/plan/deployed-record.js';
import { checkChangeSafety } from '../src/plan/preflight.js';
import type { CfnResource, CfnTemplate, StackTemplate } from '../src/plan/template.js';

const STACK = 'Shop-Test-eu-central-1-Service';

function stack(resources: Record<string, CfnResource>): StackTemplate {
  return { stackName: STACK, region: 'eu-central-1', template: { Resources: structuredClone(resources) } };
}

/** Finding ids for deploying `after` over `before`. */
function findings(before: Record<string, CfnResource>, after: Record<string, CfnResource>): string[] {
  return assessChangeSafety({ deployed: [stack(before)], proposed: [stack(after)] }).map((f) => f.id);
}

/** `resources` with one resource moved to a new logical id and every Ref/GetAtt to it following. */
function moved(
  resources: Record<string, CfnResource>,
  from: string,
  to: string,
): Record<string, CfnResource> {
  assert.ok(resources[from], `no ${from} to move`);
  const text = JSON.stringify(resources).replaceAll(`"${from}"`, `"${to}"`);
  return JSON.parse(text);
}

function without(resources: Record<string, CfnResource>, id: string): Record<string, CfnResource> {
  const copy = structuredClone(resources);
  delete copy[id];
  return copy;
}

const groupId = (id: string) => ({ 'Fn::GetAtt': [id, 'GroupId'] });

/** An ALB's group and the instances' group, with the rule that lets the ALB reach the tasks' host ports. */
const GROUPS: Record<string, CfnResource> = {
  AlbGroup: {
    Type: 'AWS::EC2::SecurityGroup',
    Properties: {
      GroupDescription: 'load balancer',
      VpcId: 'vpc-0a11',
      SecurityGroupIngress: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' }],
    },
  },
  InstanceGroup: {
    Type: 'AWS::EC2::SecurityGroup',
    Properties: {
      GroupDescription: 'container instances',
      VpcId: 'vpc-0a11',
      SecurityGroupEgress: [{ IpProtocol: '-1', CidrIp: '0.0.0.0/0', Description: 'all out' }],
    },
  },
};
const TASK_PORTS = {
  Type: 'AWS::EC2::SecurityGroupIngress',
  Properties: {
    GroupId: groupId('InstanceGroup'),
    IpProtocol: 'tcp',
    FromPort: 32768,
    ToPort: 65535,
    SourceSecurityGroupId: groupId('AlbGroup'),
    Description: 'host ports from the ALB',
  },
};
const WITH_RULE: Record<string, CfnResource> = { ...GROUPS, TaskPortsFromAlb: TASK_PORTS };

/** WITH_RULE after the rule moved to TaskPortsMoved, its properties changed by `edit`. */
function ruleMoved(edit: (p: Record<string, unknown>) => void = () => {}): Record<string, CfnResource> {
  const after = moved(WITH_RULE, 'TaskPortsFromAlb', 'TaskPortsMoved');
  edit(after.TaskPortsMoved!.Properties as Record<string, unknown>);
  return after;
}

describe('security-group rules: a rule equal to one that still exists fails as a duplicate', () => {
  it('a rule moved to a new logical id → security-group-rule, refused until accepted', () => {
    const after = ruleMoved((p) => {
      p.Description = 'a new description is still the same rule';
    });
    const all = assessChangeSafety({ deployed: [stack(WITH_RULE)], proposed: [stack(after)] });
    assert.deepEqual(
      all.map((f) => f.id),
      [`security-group-rule:${STACK}/TaskPortsMoved`],
    );
    const [finding] = all;
    assert.match(finding!.message, /TaskPortsFromAlb \(removed, but deleted only at cleanup/);
    assert.match(finding!.message, /InvalidPermission\.Duplicate/);
    assert.match(
      finding!.message,
      /ingress rule tcp 32768-65535 from SourceSecurityGroupId=Shop-Test-eu-central-1-Service\/AlbGroup on Shop-Test-eu-central-1-Service\/InstanceGroup/,
    );
    assert.match(finding!.fix, /overrideLogicalId/);
    // berth deploy refuses every finding not named by --allow-change.
    assert.equal(unacceptedFindings(all, []).length, 1);
    assert.equal(unacceptedFindings(all, [`security-group-rule:${STACK}/TaskPortsMoved`]).length, 0);
  });

  it('protocol by number and ports as strings are the same rule ("6" is tcp)', () => {
    const after = ruleMoved((p) => {
      p.IpProtocol = '6';
      p.FromPort = '32768';
      p.ToPort = '65535';
    });
    assert.deepEqual(findings(WITH_RULE, after), [`security-group-rule:${STACK}/TaskPortsMoved`]);
  });

  it('a Ref to the group names the same group as Fn::GetAtt GroupId', () => {
    const after = ruleMoved((p) => {
      p.GroupId = { Ref: 'InstanceGroup' };
    });
    assert.deepEqual(findings(WITH_RULE, after), [`security-group-rule:${STACK}/TaskPortsMoved`]);
  });

  it('another port range, another peer or the other direction is another rule', () => {
    const ports = ruleMoved((p) => {
      p.FromPort = 8080;
      p.ToPort = 8080;
    });
    const peer = ruleMoved((p) => {
      delete p.SourceSecurityGroupId;
      p.CidrIp = '10.20.0.0/16';
    });
    const egress = ruleMoved();
    egress.TaskPortsMoved = {
      Type: 'AWS::EC2::SecurityGroupEgress',
      Properties: {
        GroupId: groupId('InstanceGroup'),
        IpProtocol: 'tcp',
        FromPort: 32768,
        ToPort: 65535,
        DestinationSecurityGroupId: groupId('AlbGroup'),
      },
    };
    assert.deepEqual(findings(WITH_RULE, ports), []);
    assert.deepEqual(findings(WITH_RULE, peer), []);
    assert.deepEqual(findings(WITH_RULE, egress), []);
  });

  it('with protocol -1 the ports do not count: all ports either way', () => {
    const before = { ...WITH_RULE, TaskPortsFromAlb: structuredClone(TASK_PORTS) };
    before.TaskPortsFromAlb.Properties.IpProtocol = '-1';
    const after = moved(before, 'TaskPortsFromAlb', 'TaskPortsMoved');
    (after.TaskPortsMoved!.Properties as Record<string, unknown>).FromPort = 1;
    (after.TaskPortsMoved!.Properties as Record<string, unknown>).ToPort = 2;
    assert.deepEqual(findings(before, after), [`security-group-rule:${STACK}/TaskPortsMoved`]);
  });

  it('a rule moved while its group is replaced lands on the new group: nothing shared', () => {
    // GroupDescription: "Update requires: Replacement" (AWS::EC2::SecurityGroup, CloudFormation reference).
    const after = ruleMoved();
    (after.InstanceGroup!.Properties as Record<string, unknown>).GroupDescription = 'instances, renamed';
    assert.deepEqual(findings(WITH_RULE, after), []);
  });

  it('a standalone rule moved inside its group: the group authorizes it while the old rule exists', () => {
    const after = without(WITH_RULE, 'TaskPortsFromAlb');
    const { GroupId: _, ...rule } = TASK_PORTS.Properties;
    (after.InstanceGroup!.Properties as Record<string, unknown>).SecurityGroupIngress = [rule];
    assert.deepEqual(findings(WITH_RULE, after), [
      `security-group-rule:${STACK}/InstanceGroup.SecurityGroupIngress.0`,
    ]);
  });

  it('a rule moved out of its group: the group revokes it before the rule that names the group is created', () => {
    const { GroupId: _, ...rule } = TASK_PORTS.Properties;
    const before = structuredClone(GROUPS);
    (before.InstanceGroup!.Properties as Record<string, unknown>).SecurityGroupIngress = [rule];
    assert.deepEqual(findings(before, WITH_RULE), []);
  });

  it('a new rule inside a group that nothing else holds is just a new rule', () => {
    const after = structuredClone(WITH_RULE);
    const albRules = (after.AlbGroup!.Properties as { SecurityGroupIngress: object[] }).SecurityGroupIngress;
    albRules.push({ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, CidrIp: '0.0.0.0/0' });
    assert.deepEqual(findings(WITH_RULE, after), []);
  });

  it("a new egress rule equal to the group's allow-all outbound rule → security-group-rule", () => {
    const after = {
      ...GROUPS,
      AllOut: {
        Type: 'AWS::EC2::SecurityGroupEgress',
        Properties: { GroupId: groupId('InstanceGroup'), IpProtocol: -1, CidrIp: '0.0.0.0/0' },
      },
    };
    assert.deepEqual(findings(GROUPS, after), [`security-group-rule:${STACK}/AllOut`]);
  });
});

const LISTENERS: Record<string, CfnResource> = {
  Alb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Scheme: 'internet-facing' } },
  HttpsListener: {
    Type: 'AWS::ElasticLoadBalancingV2::Listener',
    Properties: {
      LoadBalancerArn: { Ref: 'Alb' },
      Port: 443,
      Protocol: 'HTTPS',
      DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }],
    },
  },
  ApiRule: {
    Type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
    Properties: {
      ListenerArn: { Ref: 'HttpsListener' },
      Priority: 7,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }],
      Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' } }],
    },
  },
};

describe('listeners and listener rules', () => {
  it('a listener moved to a new logical id on the same load balancer and port → listener-port', () => {
    const after = moved(LISTENERS, 'HttpsListener', 'SecureListener');
    (after.SecureListener!.Properties as Record<string, unknown>).Port = '443';
    const all = assessChangeSafety({ deployed: [stack(LISTENERS)], proposed: [stack(after)] });
    // The rule follows its listener: a rule on a new listener shares no priority with the old listener's.
    assert.deepEqual(
      all.map((f) => f.id),
      [`listener-port:${STACK}/SecureListener`],
    );
    assert.match(all[0]!.message, /port 443 on load balancer Shop-Test-eu-central-1-Service\/Alb:/);
    assert.match(all[0]!.message, /DuplicateListener/);
    assert.match(all[0]!.fix, /takes the URL \(or HTTPS\) down/);
  });

  it('a listener moved to another port shares nothing', () => {
    const after = moved(LISTENERS, 'HttpsListener', 'SecureListener');
    (after.SecureListener!.Properties as Record<string, unknown>).Port = 8443;
    assert.deepEqual(findings(LISTENERS, after), []);
  });

  it('a rule moved to a new logical id at the same priority → rule-priority', () => {
    const after = moved(LISTENERS, 'ApiRule', 'ApiRuleMoved');
    assert.deepEqual(findings(LISTENERS, after), [`rule-priority:${STACK}/ApiRuleMoved`]);
  });
});

const RECORDS: Record<string, CfnResource> = {
  AliasIpv4: {
    Type: 'AWS::Route53::RecordSet',
    Properties: {
      HostedZoneId: 'Z07SHOPZONE',
      Name: 'shop.example.org.',
      Type: 'A',
      AliasTarget: { DNSName: 'alb.example.net', HostedZoneId: 'Z32O12XQLNTSW2' },
    },
  },
};

describe('DNS records', () => {
  it('a record moved to a new logical id, same zone, name and type → dns-record', () => {
    const after = moved(RECORDS, 'AliasIpv4', 'ShopAlias');
    (after.ShopAlias!.Properties as Record<string, unknown>).Name = 'Shop.Example.org';
    assert.deepEqual(findings(RECORDS, after), [`dns-record:${STACK}/ShopAlias`]);
  });

  it('another type or another set identifier is another record', () => {
    const aaaa = moved(RECORDS, 'AliasIpv4', 'AliasIpv6');
    (aaaa.AliasIpv6!.Properties as Record<string, unknown>).Type = 'AAAA';
    const weighted = moved(RECORDS, 'AliasIpv4', 'Blue');
    Object.assign(weighted.Blue!.Properties!, { SetIdentifier: 'blue', Weight: 10 });
    assert.deepEqual(findings(RECORDS, aaaa), []);
    assert.deepEqual(findings(RECORDS, weighted), []);
  });
});

describe('named resources (the fixed-name checks cover them)', () => {
  it('a named target group moved to a new logical id → name-collision', () => {
    const before: Record<string, CfnResource> = {
      ApiTargets: {
        Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
        Properties: { Name: 'shop-test-api', Port: 80, Protocol: 'HTTP', VpcId: 'vpc-0a11' },
      },
    };
    assert.deepEqual(findings(before, moved(before, 'ApiTargets', 'ApiTargetGroup')), [
      `name-collision:${STACK}/ApiTargetGroup`,
    ]);
  });

  it('the web ACL moved to a new logical id keeps its name → name-collision', () => {
    const before: Record<string, CfnResource> = {
      Firewall: {
        Type: 'AWS::WAFv2::WebACL',
        Properties: {
          Name: 'shop-test',
          Scope: 'REGIONAL',
          DefaultAction: { Allow: {} },
          VisibilityConfig: {
            CloudWatchMetricsEnabled: true,
            MetricName: 'shop-test',
            SampledRequestsEnabled: true,
          },
        },
      },
    };
    assert.deepEqual(findings(before, moved(before, 'Firewall', 'WafWebAcl')), [
      `name-collision:${STACK}/WafWebAcl`,
    ]);
  });
});

/**
 * A data stack exporting its database's group, and a service stack whose instances reach it (an egress rule
 * that imports the group): the service stack imports from the data stack, so CDK deploys the data stack
 * first. A rule letting the VPC's range reach the database can live in either stack.
 */
const DATA = 'Shop-Test-eu-central-1-Data';
const SERVICE = 'Shop-Test-eu-central-1-Service';
const DATABASE_GROUP = { 'Fn::ImportValue': `${DATA}:DatabaseGroupId` };
const FROM_VPC = { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIp: '10.20.0.0/16' };

function dataStack(withRule: boolean): StackTemplate {
  const resources: Record<string, CfnResource> = {
    DatabaseGroup: {
      Type: 'AWS::EC2::SecurityGroup',
      Properties: { GroupDescription: 'database', VpcId: 'vpc-0a11' },
    },
  };
  if (withRule) {
    resources.DatabaseFromVpc = {
      Type: 'AWS::EC2::SecurityGroupIngress',
      Properties: { ...FROM_VPC, GroupId: groupId('DatabaseGroup') },
    };
  }
  const exported = { Value: groupId('DatabaseGroup'), Export: { Name: `${DATA}:DatabaseGroupId` } };
  return {
    stackName: DATA,
    region: 'eu-central-1',
    template: { Resources: resources, Outputs: { exported } },
  };
}

function serviceStack(withRule: boolean): StackTemplate {
  const resources: Record<string, CfnResource> = {
    InstanceGroup: {
      Type: 'AWS::EC2::SecurityGroup',
      Properties: {
        GroupDescription: 'container instances',
        VpcId: 'vpc-0a11',
        SecurityGroupEgress: [
          { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, DestinationSecurityGroupId: DATABASE_GROUP },
        ],
      },
    },
  };
  if (withRule) {
    resources.VpcToDatabase = {
      Type: 'AWS::EC2::SecurityGroupIngress',
      Properties: { ...FROM_VPC, GroupId: DATABASE_GROUP, Description: 'written from the service stack' },
    };
  }
  return { stackName: SERVICE, region: 'eu-central-1', template: { Resources: resources } };
}

describe('a rule moved between stacks (the order CDK deploys them in decides)', () => {
  const check = (deployed: StackTemplate[], proposed: StackTemplate[]) =>
    assessChangeSafety({ deployed, proposed }).map((f) => f.id);

  it("into the stack deployed first: created while the later stack's rule still exists → security-group-rule", () => {
    const deployed = [dataStack(false), serviceStack(true)];
    const proposed = [dataStack(true), serviceStack(false)];
    const all = assessChangeSafety({ deployed, proposed });
    assert.deepEqual(
      all.map((f) => f.id),
      [`security-group-rule:${DATA}/DatabaseFromVpc`],
    );
    assert.match(
      all[0]!.message,
      new RegExp(
        `while ${SERVICE}/VpcToDatabase \\(removed, but only when ${SERVICE} deploys, not before this stack\\)`,
      ),
    );
    assert.match(all[0]!.message, new RegExp(`on ${DATA}/DatabaseGroup:`));
  });

  it('into the stack deployed later: the first stack has deleted its rule by then', () => {
    const deployed = [dataStack(true), serviceStack(false)];
    const proposed = [dataStack(false), serviceStack(true)];
    assert.deepEqual(check(deployed, proposed), []);
  });

  it('a stack this deploy does not touch keeps the rules inside its groups', () => {
    const data = dataStack(false);
    (data.template.Resources!.DatabaseGroup!.Properties as Record<string, unknown>).SecurityGroupIngress = [
      FROM_VPC,
    ];
    assert.deepEqual(check([data, serviceStack(false)], [serviceStack(true)]), [
      `security-group-rule:${SERVICE}/VpcToDatabase`,
    ]);
  });

  it('a second copy while the first stays → security-group-rule, whatever the order', () => {
    const deployed = [dataStack(true), serviceStack(false)];
    assert.deepEqual(check(deployed, [dataStack(true), serviceStack(true)]), [
      `security-group-rule:${SERVICE}/VpcToDatabase`,
    ]);
  });
});

/** The templates an environment deployed before several services has (see fixtures/one-service-era/README.md). */
function oneServiceEra(dir: string): StackTemplate[] {
  const folder = new URL(`./fixtures/one-service-era/${dir}/`, import.meta.url);
  return readdirSync(folder).map((file) => ({
    stackName: file.replace('.template.json', ''),
    region: 'eu-west-1',
    template: JSON.parse(readFileSync(new URL(file, folder), 'utf8')) as CfnTemplate,
  }));
}

/** The same stacks with one resource of one stack under a new logical id. */
function withMoved(stacks: StackTemplate[], stackName: string, from: string, to: string): StackTemplate[] {
  return stacks.map((s) =>
    s.stackName === stackName
      ? { ...s, template: { ...s.template, Resources: moved(s.template.Resources ?? {}, from, to) } }
      : s,
  );
}

describe('the one-service-era upgrade pair with one resource moved (what keepOneServiceLogicalIds prevents)', () => {
  const TEST = oneServiceEra('test');
  const PROD = oneServiceEra('prod-domain');
  const TEST_SERVICE = 'Berth-Test-eu-west-1-Service';
  const PROD_SERVICE = 'Berth-Prod-eu-west-1-Service';
  const check = (deployed: StackTemplate[], proposed: StackTemplate[]) =>
    assessChangeSafety({ deployed, proposed }).map((f) => f.id);

  it('unchanged: nothing to say', () => {
    assert.deepEqual(check(TEST, TEST), []);
    assert.deepEqual(check(PROD, PROD), []);
  });

  it("the instances' ingress from the load balancer under the id its peer group's new path gives it", () => {
    // The logical id today's construct path gives the rule when only the group keeps its old id
    // (the rename one-service-logical-ids.ts makes for rules: `from <peer group's unique id>:<ports>`).
    const from =
      'ClusterInstanceSecurityGroupfromBerthTesteuwest1ServiceWebLoadBalancerSecurityGroup48AB7C5032768655354244231B';
    const to =
      'ClusterInstanceSecurityGroupfromBerthTesteuwest1ServiceLoadBalancerSecurityGroup5A4232B43276865535B399DF27';
    assert.deepEqual(check(TEST, withMoved(TEST, TEST_SERVICE, from, to)), [
      `security-group-rule:${TEST_SERVICE}/${to}`,
    ]);
  });

  it('the HTTPS listener under a new id → listener-port; the DNS alias under a new id → dns-record', () => {
    const https = withMoved(PROD, PROD_SERVICE, 'WebLoadBalancerHttpsListenerF5A68E98', 'HttpsListenerMoved');
    assert.deepEqual(check(PROD, https), [`listener-port:${PROD_SERVICE}/HttpsListenerMoved`]);
    const alias = withMoved(PROD, PROD_SERVICE, 'DomainAliasIpv4BDD34DC3', 'AliasMoved');
    assert.deepEqual(check(PROD, alias), [`dns-record:${PROD_SERVICE}/AliasMoved`]);
  });
});

describe('berth deploy refuses a duplicate rule like any unsafe change', () => {
  it('refuses against the recorded templates, names the finding and how to accept it', async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'berth-unique-keys-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    recordDeployedTemplates(root, 'test', [stack(WITH_RULE)]);
    const id = `security-group-rule:${STACK}/TaskPortsMoved`;
    await assert.rejects(checkChangeSafety({ proposed: [stack(ruleMoved())], repoRoot: root }), (error) => {
      assert.ok(error instanceof CliError);
      assert.match(error.message, /^refusing to deploy: 1 unsafe change\(s\)/);
      assert.ok(error.message.endsWith(`--allow-change ${id}`), error.message);
      assert.match(error.detail ?? '', /InvalidPermission\.Duplicate/);
      return true;
    });
    const accepted = await checkChangeSafety({ proposed: [stack(ruleMoved())], repoRoot: root, allow: [id] });
    assert.deepEqual(
      accepted.accepted.map((f) => f.id),
      [id],
    );
  });
});
