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
const DB = 'DatabaseInstanceAA8A5FDE';
const PG_LOG = 'DatabaseLogpostgresql534130D9';
const HTTP_LISTENER = 'WebLoadBalancerHttpListener6E69E303';
const PRODUCTION_RULE = 'WebProductionRule64DA67B6';

let prod: StackTemplate[];

/**
 * Findings the edit introduces over the unchanged deployment. Weights are taken as the template's (no
 * live rendering), so the live-weights cases test the check itself whatever the deploy does.
 */
function flagged(proposed: StackTemplate[], liveTrafficWeights = false): string[] {
  const standing = new Set(
    assessChangeSafety({ deployed: prod, proposed: prod, liveTrafficWeights }).map((f) => f.id),
  );
  return assessChangeSafety({ deployed: prod, proposed, liveTrafficWeights })
    .map((f) => f.id)
    .filter((id) => !standing.has(id));
}

// biome-ignore lint/suspicious/noExplicitAny: raw CloudFormation JSON
function renameResource(template: any, from: string, to: string): void {
  template.Resources[to] = template.Resources[from];
  delete template.Resources[from];
}

describe('change safety: each kind of unsafe change is flagged', { timeout: 120_000 }, () => {
  before(async () => {
    prod = await synthesizeWith('prod');
  });

  it('replacing the database (DBName requires replacement) → stateful-replace and named-replace', () => {
    // DBName: "Update requires: Replacement" (AWS::RDS::DBInstance, CloudFormation resource reference).
    const proposed = editStack(prod, DATA, (t) => {
      t.Resources[DB].Properties.DBName = 'carts';
    });
    const ids = flagged(proposed);
    assert.ok(ids.includes(`stateful-replace:${DATA}/${DB}`), ids.join('\n'));
    // The instance keeps the fixed identifier berth-prod, so CloudFormation cannot replace it at all.
    assert.ok(ids.includes(`named-replace:${DATA}/${DB}`), ids.join('\n'));
    // Monitoring imports the instance's Ref, whose value changes with the replacement.
    assert.ok(
      ids.includes(`export-in-use:${DATA}/ExportsOutputRefDatabaseInstanceAA8A5FDE66DEA57B`),
      ids.join('\n'),
    );
  });

  it('deleting the database secret → stateful-delete', () => {
    const proposed = editStack(prod, DATA, (t) => {
      const id = Object.keys(t.Resources).find((k) => t.Resources[k].Type === 'AWS::SecretsManager::Secret');
      delete t.Resources[id!];
    });
    const ids = flagged(proposed);
    assert.equal(ids.filter((id) => id.startsWith('stateful-delete:')).length, 1, ids.join('\n'));
    assert.match(
      ids.find((id) => id.startsWith('stateful-delete:'))!,
      /^stateful-delete:Berth-Prod-eu-west-1-Data\//,
    );
  });

  it('a retained stateful resource removed from the template is kept, not flagged as deleted', () => {
    // DeletionPolicy Retain: CloudFormation leaves the resource (the diff engine calls it WILL_ORPHAN).
    const proposed = editStack(prod, DATA, (t) => {
      delete t.Resources[PG_LOG];
    });
    assert.deepEqual(flagged(proposed), []);
  });

  it('removing the VPC export Data and Service import → export-in-use', () => {
    const proposed = editStack(prod, NETWORK, (t) => {
      delete t.Outputs.ExportsOutputRefNetworkVpc7FB7348F649FC110;
    });
    assert.deepEqual(flagged(proposed), [
      `export-in-use:${NETWORK}/ExportsOutputRefNetworkVpc7FB7348F649FC110`,
    ]);
  });

  it('the port-80 listener under a new logical id → listener-port', () => {
    const proposed = editStack(prod, SERVICE, (t) => {
      renameResource(t, HTTP_LISTENER, 'WebHttpListenerMoved');
      t.Outputs.ExportsOutputRefWebLoadBalancerHttpListener6E69E303F3DCAEC1.Value = {
        Ref: 'WebHttpListenerMoved',
      };
      t.Resources[PRODUCTION_RULE].Properties.ListenerArn = { Ref: 'WebHttpListenerMoved' };
    });
    const ids = flagged(proposed);
    assert.ok(ids.includes(`listener-port:${SERVICE}/WebHttpListenerMoved`), ids.join('\n'));
  });

  it("a second rule at the production rule's priority on the same listener → rule-priority", () => {
    const proposed = editStack(prod, SERVICE, (t) => {
      t.Resources.WebExtraRule = structuredClone(t.Resources[PRODUCTION_RULE]);
    });
    assert.deepEqual(flagged(proposed), [`rule-priority:${SERVICE}/WebExtraRule`]);
  });

  it('new weights on the production rule ECS blue/green manages → live-weights-reset', () => {
    const proposed = editStack(prod, SERVICE, (t) => {
      const groups = t.Resources[PRODUCTION_RULE].Properties.Actions[0].ForwardConfig.TargetGroups;
      groups[0].Weight = 90;
      groups[1].Weight = 10;
    });
    assert.deepEqual(flagged(proposed), [`live-weights-reset:${SERVICE}/${PRODUCTION_RULE}`]);
    // When the deploy renders the live weights into the template, the rewrite keeps traffic where it is.
    assert.deepEqual(flagged(proposed, true), []);
  });

  it('the production rule under a new logical id while blue/green continues → live-weights-reset', () => {
    const proposed = editStack(prod, SERVICE, (t) => {
      renameResource(t, PRODUCTION_RULE, 'WebProductionRuleMoved');
      for (const lb of t.Resources.WebServiceD04B5F3E.Properties.LoadBalancers) {
        lb.AdvancedConfiguration.ProductionListenerRule = { Ref: 'WebProductionRuleMoved' };
      }
    });
    const ids = flagged(proposed);
    assert.ok(ids.includes(`live-weights-reset:${SERVICE}/${PRODUCTION_RULE}`), ids.join('\n'));
  });

  it('the retained log group under a new logical id, same name → name-collision', () => {
    const proposed = editStack(prod, DATA, (t) => renameResource(t, PG_LOG, 'DatabasePostgresLog'));
    const ids = flagged(proposed);
    assert.ok(ids.includes(`name-collision:${DATA}/DatabasePostgresLog`), ids.join('\n'));
  });

  it('an IAM role named like a Global one → name-claimed-twice (account-wide)', () => {
    const proposed = editStack(prod, SERVICE, (t) => {
      t.Resources.ExtraRole = {
        Type: 'AWS::IAM::Role',
        Properties: { RoleName: 'berth-ci-plan', AssumeRolePolicyDocument: {} },
      };
    });
    const ids = flagged(proposed);
    assert.ok(ids.includes('name-claimed-twice:account/berth-ci-plan'), ids.join('\n'));
  });

  it('a new retained log group with a fixed name → retained-fixed-name', () => {
    const proposed = editStack(prod, SERVICE, (t) => {
      t.Resources.AuditLog = {
        Type: 'AWS::Logs::LogGroup',
        DeletionPolicy: 'Retain',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not JS
        Properties: { LogGroupName: { 'Fn::Sub': '/berth/${AWS::Region}/audit' } },
      };
    });
    assert.deepEqual(flagged(proposed), [`retained-fixed-name:${SERVICE}/AuditLog`]);
  });

  it('finds nothing when nothing changes beyond a tag', () => {
    const proposed = editStack(prod, SERVICE, (t) => {
      t.Resources[HTTP_LISTENER].Properties.Tags = [{ Key: 'team', Value: 'carts' }];
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
