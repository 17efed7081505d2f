/**
 * Negative tests for #11 "change safety": one deliberately unsafe change per kind of finding, made by
 * hand-editing prod's real synthesized templates (one synth, reused), and the plan must flag it by its id.
 * Then the override rules `berth deploy` applies, and the name resolver on hand-written templates.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { assessChangeSafety, unacceptedFindings, unusedOverrides } from '../src/plan/change-safety.js';
import { physicalName } from '../src/plan/physical-names.js';
import type { StackTemplate } from '../src/plan/template.js';
import { editStack, synthesizeWith } from './fixtures/plan/config-change.js';

const DATA = 'Berth-Prod-eu-west-1-Data';
const SERVICE = 'Berth-Prod-eu-west-1-Service';
const NETWORK = 'Berth-Prod-eu-west-1-Network';

let prod: StackTemplate[];

/**
 * Findings the edit introduces over what runs (`deployed`, prod unchanged by default). Weights are taken
 * as the template's (no live rendering), so the live-weights cases test the check itself.
 */
function flagged(proposed: StackTemplate[], deployed = prod, liveTrafficWeights = false): string[] {
  const standing = new Set(
    assessChangeSafety({ deployed, proposed: deployed, liveTrafficWeights }).map((f) => f.id),
  );
  return assessChangeSafety({ deployed, proposed, liveTrafficWeights })
    .map((f) => f.id)
    .filter((id) => !standing.has(id));
}

/**
 * The logical id of the one resource of `type` in a stack that matches: found by type, not by CDK's
 * generated id, so the tests hold when the constructs around it change.
 */
function idOf(
  stackName: string,
  type: string,
  // biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON
  match: (properties: any) => boolean = () => true,
): string {
  const resources = prod.find((s) => s.stackName === stackName)!.template.Resources ?? {};
  const ids = Object.keys(resources).filter(
    (id) => resources[id]!.Type === type && match(resources[id]!.Properties ?? {}),
  );
  assert.equal(ids.length, 1, `one ${type} in ${stackName}: ${ids.join(', ')}`);
  return ids[0]!;
}

/** Moves a resource to a new logical id, and every Ref/GetAtt/DependsOn with it. */
// biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON
function renameResource(template: any, from: string, to: string): void {
  const moved = JSON.parse(JSON.stringify(template).replaceAll(`"${from}"`, `"${to}"`));
  moved.Resources[to] = template.Resources[from];
  delete moved.Resources[from];
  for (const key of Object.keys(template)) delete template[key];
  Object.assign(template, moved);
}

/** Prod's templates plus one extra resource in a stack: what runs, or what is proposed. */
function withResource(stackName: string, id: string, resource: object): StackTemplate[] {
  return editStack(prod, stackName, (t) => {
    t.Resources[id] = resource;
  });
}

describe('change safety: each kind of unsafe change is flagged', { timeout: 120_000 }, () => {
  before(async () => {
    prod = await synthesizeWith('prod');
  });

  it('replacing the database (DBName requires replacement) → stateful-replace', () => {
    // DBName: "Update requires: Replacement" (AWS::RDS::DBInstance, CloudFormation resource reference).
    const db = idOf(DATA, 'AWS::RDS::DBInstance');
    const proposed = editStack(prod, DATA, (t) => {
      t.Resources[db].Properties.DBName = 'carts';
    });
    const ids = flagged(proposed);
    assert.ok(ids.includes(`stateful-replace:${DATA}/${db}`), ids.join('\n'));
  });

  it('replacing a resource that keeps a fixed name → named-replace', () => {
    const db = idOf(DATA, 'AWS::RDS::DBInstance');
    const named = editStack(prod, DATA, (t) => {
      t.Resources[db].Properties.DBInstanceIdentifier = 'berth-prod-carts';
    });
    const proposed = editStack(named, DATA, (t) => {
      t.Resources[db].Properties.DBName = 'carts';
    });
    assert.ok(flagged(proposed, named).includes(`named-replace:${DATA}/${db}`));
  });

  it('deleting the database secret → stateful-delete', () => {
    const secret = idOf(DATA, 'AWS::SecretsManager::Secret');
    const proposed = editStack(prod, DATA, (t) => {
      delete t.Resources[secret];
    });
    assert.deepEqual(
      flagged(proposed).filter((id) => id.startsWith('stateful-delete:')),
      [`stateful-delete:${DATA}/${secret}`],
    );
  });

  it('a retained stateful resource removed from the template is kept, not flagged as deleted', () => {
    // DeletionPolicy Retain: CloudFormation leaves the resource (the diff engine calls it WILL_ORPHAN).
    const deployed = withResource(DATA, 'Exports', { Type: 'AWS::S3::Bucket', DeletionPolicy: 'Retain' });
    assert.deepEqual(flagged(prod, deployed), []);
    // The same bucket without Retain is deleted with its objects.
    const plain = withResource(DATA, 'Exports', { Type: 'AWS::S3::Bucket' });
    assert.deepEqual(flagged(prod, plain), [`stateful-delete:${DATA}/Exports`]);
  });

  it('removing the VPC export the other stacks import → export-in-use', () => {
    const network = prod.find((s) => s.stackName === NETWORK)!;
    const [output, exported] = Object.entries(network.template.Outputs ?? {}).find(([, o]) =>
      JSON.stringify(o.Value).includes(`"Ref":"${idOf(NETWORK, 'AWS::EC2::VPC')}"`),
    )!;
    const proposed = editStack(prod, NETWORK, (t) => {
      delete t.Outputs[output];
    });
    const name = String(exported.Export?.Name);
    assert.deepEqual(flagged(proposed), [`export-in-use:${NETWORK}/${name.slice(name.indexOf(':') + 1)}`]);
  });

  it('the port-80 listener under a new logical id → listener-port', () => {
    const listener = idOf(SERVICE, 'AWS::ElasticLoadBalancingV2::Listener', (p) => p.Port === 80);
    const proposed = editStack(prod, SERVICE, (t) => renameResource(t, listener, 'WebHttpListenerMoved'));
    const ids = flagged(proposed);
    assert.ok(ids.includes(`listener-port:${SERVICE}/WebHttpListenerMoved`), ids.join('\n'));
  });

  it("the instances' ingress from the load balancer under a new logical id → security-group-rule", () => {
    // Bridge-mode tasks listen on the ephemeral host ports 32768-65535 (the ECS Developer Guide's dynamic
    // port mapping); the load balancer's group is the only peer allowed there.
    const rule = idOf(SERVICE, 'AWS::EC2::SecurityGroupIngress', (p) => p.FromPort === 32768);
    const proposed = editStack(prod, SERVICE, (t) => renameResource(t, rule, 'InstancesFromAlbMoved'));
    assert.deepEqual(flagged(proposed), [`security-group-rule:${SERVICE}/InstancesFromAlbMoved`]);
  });

  it("a second rule at the production rule's priority on the same listener → rule-priority", () => {
    const rule = idOf(SERVICE, 'AWS::ElasticLoadBalancingV2::ListenerRule');
    const proposed = editStack(prod, SERVICE, (t) => {
      t.Resources.WebExtraRule = structuredClone(t.Resources[rule]);
    });
    assert.deepEqual(flagged(proposed), [`rule-priority:${SERVICE}/WebExtraRule`]);
  });

  it('new weights on the production rule ECS blue/green manages → live-weights-reset', () => {
    const rule = idOf(SERVICE, 'AWS::ElasticLoadBalancingV2::ListenerRule');
    const proposed = editStack(prod, SERVICE, (t) => {
      const groups = t.Resources[rule].Properties.Actions[0].ForwardConfig.TargetGroups;
      groups[0].Weight = 37;
      groups[1].Weight = 63;
    });
    assert.deepEqual(flagged(proposed), [`live-weights-reset:${SERVICE}/${rule}`]);
    // When the deploy renders the live weights into the template, the rewrite keeps traffic where it is.
    assert.deepEqual(flagged(proposed, prod, true), []);
  });

  it('the production rule under a new logical id while blue/green continues → live-weights-reset', () => {
    const rule = idOf(SERVICE, 'AWS::ElasticLoadBalancingV2::ListenerRule');
    const proposed = editStack(prod, SERVICE, (t) => renameResource(t, rule, 'WebProductionRuleMoved'));
    const ids = flagged(proposed);
    assert.ok(ids.includes(`live-weights-reset:${SERVICE}/${rule}`), ids.join('\n'));
  });

  it('a named parameter under a new logical id, same name → name-collision', () => {
    const parameter = (id: string) =>
      withResource(SERVICE, id, {
        Type: 'AWS::SSM::Parameter',
        Properties: { Name: '/berth/prod/feature-flags', Type: 'String', Value: '{}' },
      });
    assert.deepEqual(flagged(parameter('FlagsMoved'), parameter('Flags')), [
      `name-collision:${SERVICE}/FlagsMoved`,
    ]);
  });

  it('an IAM role named like a Global one → name-claimed-twice (account-wide)', () => {
    const globalRole = prod.find((s) => s.stackName === 'Berth-Global')!.template.Resources!;
    const roleName = Object.values(globalRole).find(
      (r) => r.Type === 'AWS::IAM::Role' && typeof r.Properties?.RoleName === 'string',
    )?.Properties?.RoleName as string;
    const proposed = withResource(SERVICE, 'ExtraRole', {
      Type: 'AWS::IAM::Role',
      Properties: { RoleName: roleName, AssumeRolePolicyDocument: {} },
    });
    const ids = flagged(proposed);
    assert.ok(ids.includes(`name-claimed-twice:account/${roleName}`), ids.join('\n'));
  });

  it('a new retained log group with a fixed name → retained-fixed-name', () => {
    const proposed = withResource(SERVICE, 'AuditLog', {
      Type: 'AWS::Logs::LogGroup',
      DeletionPolicy: 'Retain',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not JS
      Properties: { LogGroupName: { 'Fn::Sub': '/berth/${AWS::Region}/audit' } },
    });
    assert.deepEqual(flagged(proposed), [`retained-fixed-name:${SERVICE}/AuditLog`]);
  });

  it('finds nothing when nothing changes beyond a tag', () => {
    const listener = idOf(SERVICE, 'AWS::ElasticLoadBalancingV2::Listener', (p) => p.Port === 80);
    const proposed = editStack(prod, SERVICE, (t) => {
      t.Resources[listener].Properties.Tags = [{ Key: 'team', Value: 'carts' }];
    });
    assert.deepEqual(flagged(proposed), []);
  });
});

describe('change safety: overrides', () => {
  const finding = (id: string) => ({
    id,
    kind: 'stateful-replace' as const,
    stackName: 'S',
    message: '',
    fix: '',
  });
  const findings = [finding('stateful-replace:S/A'), finding('stateful-replace:S/B')];

  it('an override accepts exactly the finding it names', () => {
    assert.deepEqual(
      unacceptedFindings(findings, ['stateful-replace:S/A']).map((f) => f.id),
      ['stateful-replace:S/B'],
    );
    assert.deepEqual(unacceptedFindings(findings, ['stateful-replace:S']).length, 2);
  });

  it('reports overrides that name no finding', () => {
    assert.deepEqual(unusedOverrides(findings, ['stateful-replace:S/A', 'export-in-use:S/X']), [
      'export-in-use:S/X',
    ]);
  });
});

describe('physical names', () => {
  const stack = (region: string): StackTemplate => ({
    stackName: 'Berth-Test-x-Monitoring',
    region,
    template: { Parameters: { Env: { Type: 'String', Default: 'test' } } },
  });

  it('resolves Fn::Join and Fn::Sub with pseudo parameters and parameter defaults', () => {
    const join = physicalName(stack('eu-west-2'), 'AWS::CloudWatch::Dashboard', {
      DashboardName: { 'Fn::Join': ['-', ['berth', { Ref: 'Env' }, { Ref: 'AWS::Region' }]] },
    });
    assert.equal(join?.name, 'berth-test-eu-west-2');
    assert.equal(join?.scope, 'account');
    const sub = physicalName(stack('us-east-1'), 'AWS::Logs::LogGroup', {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not JS
      LogGroupName: { 'Fn::Sub': '/berth/${Env}/${AWS::Region}' },
    });
    assert.equal(sub?.name, '/berth/test/us-east-1');
  });

  it('regional names collide only within a region; account-wide names across regions', () => {
    const log = (region: string) =>
      physicalName(stack(region), 'AWS::Logs::LogGroup', { LogGroupName: '/same' })?.key;
    const board = (region: string) =>
      physicalName(stack(region), 'AWS::CloudWatch::Dashboard', { DashboardName: 'same' })?.key;
    assert.notEqual(log('eu-west-1'), log('eu-west-2'));
    assert.equal(board('eu-west-1'), board('eu-west-2'));
  });

  it('a name from a resource attribute is not a fixed name', () => {
    const name = physicalName(stack('eu-west-1'), 'AWS::Logs::LogGroup', {
      LogGroupName: { 'Fn::GetAtt': ['Other', 'Name'] },
    });
    assert.equal(name, undefined);
  });
});
