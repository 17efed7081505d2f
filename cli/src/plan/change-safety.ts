/**
 * Change safety: would this deploy fail halfway or destroy state? Compares the proposed stacks with the
 * deployed ones using AWS's own diff engine (`@aws-cdk/cloudformation-diff`, the one `cdk diff` uses, which
 * knows per property whether CloudFormation updates in place or replaces), then checks what the diff alone
 * does not say: who imports an export, which unique keys a create-before-delete would claim twice.
 *
 * Every finding has a stable id (`<kind>:<where>/<what>`) so `berth deploy --allow-change <id>` can accept
 * exactly that risk and nothing else.
 */
import { fullDiff, ResourceImpact } from '@aws-cdk/cloudformation-diff';
import { physicalName, resolveText } from './physical-names.js';
import { referencedIds } from './references.js';
import { type CfnResource, canonical, type StackTemplate } from './template.js';
import { uniqueKeyFindings } from './unique-keys.js';

export type FindingKind =
  /** A stateful resource gets a new physical resource: new, empty, or a new address. */
  | 'stateful-replace'
  /** A stateful resource is deleted with its data. */
  | 'stateful-delete'
  /** An export another deployed stack imports is removed or changes value: the update fails. */
  | 'export-in-use'
  /** A new listener takes a port a listener on the same load balancer still holds. */
  | 'listener-port'
  /** A new listener rule takes a priority a rule on the same listener still holds. */
  | 'rule-priority'
  /** A new security-group rule repeats one (group, direction, protocol, ports, peer) an old rule still holds. */
  | 'security-group-rule'
  /** A new DNS record takes a name and type an old record in the same hosted zone still holds. */
  | 'dns-record'
  /** A resource with a fixed name would be replaced: CloudFormation refuses. */
  | 'named-replace'
  /** A resource is created under a name a deployed resource still holds. */
  | 'name-collision'
  /** Two resources in the proposed stacks claim the same account-wide or regional name. */
  | 'name-claimed-twice'
  /** A resource with a fixed name outlives its stack: the next create of that stack fails. */
  | 'retained-fixed-name'
  /** The deploy would write the template's traffic weights over the ones ECS blue/green manages. */
  | 'live-weights-reset';

export interface ChangeFinding {
  /** Stable across runs: `<kind>:<stack or scope>/<logical id, export or name>`. */
  readonly id: string;
  readonly kind: FindingKind;
  readonly stackName: string;
  /** What CloudFormation would do, in the words an operator searches the console for. */
  readonly message: string;
  /** What to change instead. */
  readonly fix: string;
}

/**
 * Types whose replacement or deletion loses data or changes an address other systems hold (DNS name,
 * ARN in a policy, an allow-listed IP). Replacing or deleting these is never a routine change.
 */
export const STATEFUL_TYPES: ReadonlySet<string> = new Set([
  'AWS::RDS::DBInstance',
  'AWS::RDS::DBCluster',
  'AWS::DynamoDB::Table',
  'AWS::S3::Bucket',
  'AWS::EFS::FileSystem',
  'AWS::ElastiCache::ReplicationGroup',
  'AWS::ECR::Repository',
  'AWS::Logs::LogGroup',
  'AWS::SecretsManager::Secret',
  'AWS::KMS::Key',
  'AWS::EC2::VPC',
  'AWS::EC2::EIP',
  'AWS::ElasticLoadBalancingV2::LoadBalancer',
  'AWS::Route53::HostedZone',
  'AWS::Cognito::UserPool',
]);

/**
 * Whether `berth deploy` renders the production rule's weights from the running rule (infra's
 * `berth:production-weights` context, #11 defect 7). Then a replaced or rewritten rule keeps live
 * traffic where it is, and live-weights-reset does not apply (the negative tests still check it).
 */
export const DEPLOY_RENDERS_LIVE_WEIGHTS = true;

export interface ChangeSafetyInput {
  /** What runs: templates from GetTemplate or the last recorded deploy. Stacks not deployed are absent. */
  readonly deployed: readonly StackTemplate[];
  /** What the deploy would apply. */
  readonly proposed: readonly StackTemplate[];
  /** @default DEPLOY_RENDERS_LIVE_WEIGHTS */
  readonly liveTrafficWeights?: boolean;
}

interface StackChange {
  readonly stack: StackTemplate;
  readonly before?: StackTemplate;
  /** Logical ids whose physical resource is new: added, or replaced (will or may). */
  readonly created: ReadonlySet<string>;
  readonly replaced: ReadonlyMap<string, 'will' | 'may'>;
}

/** Every finding, sorted by id; an empty list means the change is safe to apply over what runs. */
export function assessChangeSafety(input: ChangeSafetyInput): ChangeFinding[] {
  const deployedByName = new Map(input.deployed.map((s) => [s.stackName, s]));
  const changes = input.proposed.map((stack) => stackChange(stack, deployedByName.get(stack.stackName)));
  const findings = [
    ...changes.flatMap(statefulFindings),
    ...exportFindings(input, changes),
    ...uniqueKeyFindings(changes, input.deployed),
    ...((input.liveTrafficWeights ?? DEPLOY_RENDERS_LIVE_WEIGHTS) ? [] : changes.flatMap(liveWeightFindings)),
    ...nameCollisionFindings(input, changes),
    ...claimedTwiceFindings(input),
    ...input.proposed.flatMap(retainedNameFindings),
  ];
  const unique = new Map(findings.map((f) => [f.id, f]));
  return [...unique.values()].sort((a, b) => a.id.localeCompare(b.id));
}

function stackChange(stack: StackTemplate, before: StackTemplate | undefined): StackChange {
  const ids = Object.keys(stack.template.Resources ?? {});
  if (!before) return { stack, created: new Set(ids), replaced: new Map() };
  const diff = fullDiff(before.template, stack.template);
  const replaced = new Map<string, 'will' | 'may'>();
  const created = new Set<string>();
  diff.resources.forEachDifference((id, change) => {
    if (change.isAddition) created.add(id);
    else if (change.changeImpact === ResourceImpact.WILL_REPLACE) replaced.set(id, 'will');
    else if (change.changeImpact === ResourceImpact.MAY_REPLACE) replaced.set(id, 'may');
  });
  for (const id of replaced.keys()) created.add(id);
  return { stack, before, created, replaced };
}

function resourcesOf(stack: StackTemplate | undefined): [string, CfnResource][] {
  return Object.entries(stack?.template.Resources ?? {});
}

function statefulFindings(change: StackChange): ChangeFinding[] {
  const { stack, before } = change;
  if (!before) return [];
  const findings: ChangeFinding[] = [];
  const now = stack.template.Resources ?? {};
  for (const [id, how] of change.replaced) {
    const type = now[id]!.Type;
    if (!STATEFUL_TYPES.has(type)) continue;
    findings.push({
      id: `stateful-replace:${stack.stackName}/${id}`,
      kind: 'stateful-replace',
      stackName: stack.stackName,
      message: `${type} ${id} ${how === 'will' ? 'will' : 'may'} be replaced: a new, empty resource with a new identity, the old one deleted`,
      fix: 'revert the property that forces replacement, or migrate the data to a new resource deliberately',
    });
  }
  for (const [id, resource] of resourcesOf(before)) {
    if (id in now || !STATEFUL_TYPES.has(resource.Type)) continue;
    // Retain keeps the resource (the diff calls it WILL_ORPHAN): nothing is lost, the name stays taken.
    if (resource.DeletionPolicy === 'Retain' || resource.DeletionPolicy === 'RetainExceptOnUpdate') continue;
    findings.push({
      id: `stateful-delete:${stack.stackName}/${id}`,
      kind: 'stateful-delete',
      stackName: stack.stackName,
      message: `${resource.Type} ${id} will be deleted${resource.DeletionPolicy === 'Snapshot' ? ' (a final snapshot is kept)' : ' with its data'}`,
      fix: 'keep the resource in the template (a renamed construct id also deletes it), or set DeletionPolicy Retain first',
    });
  }
  return findings;
}

function exportsOf(stack: StackTemplate): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const output of Object.values(stack.template.Outputs ?? {})) {
    const name = resolveText(output.Export?.Name, stack);
    if (name !== undefined) out.set(name, output.Value);
  }
  return out;
}

function importsOf(
  stack: StackTemplate,
  value: unknown = stack.template.Resources,
  into = new Set<string>(),
) {
  if (Array.isArray(value)) for (const v of value) importsOf(stack, v, into);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const name = k === 'Fn::ImportValue' ? resolveText(v, stack) : undefined;
      if (name !== undefined) into.add(name);
      else importsOf(stack, v, into);
    }
  }
  return into;
}

/**
 * "You can't modify or remove an output value that is referenced by another stack" (CloudFormation
 * User Guide, "Exporting stack output values"). The importers that count are the deployed ones: CDK
 * deploys the exporting stack first, while the old importer still holds the import.
 */
function exportFindings(input: ChangeSafetyInput, changes: readonly StackChange[]): ChangeFinding[] {
  const findings: ChangeFinding[] = [];
  for (const change of changes) {
    if (!change.before) continue;
    const next = exportsOf(change.stack);
    for (const [name, value] of exportsOf(change.before)) {
      const importers = input.deployed
        .filter((s) => s.region === change.stack.region && s.stackName !== change.stack.stackName)
        .filter((s) => importsOf(s).has(name))
        .map((s) => s.stackName);
      if (importers.length === 0) continue;
      const removed = !next.has(name);
      const valueChanged =
        !removed &&
        (canonical(next.get(name)) !== canonical(value) ||
          [...referencedIds(value)].some((id) => change.replaced.has(id)));
      if (!removed && !valueChanged) continue;
      findings.push({
        id: `export-in-use:${change.stack.stackName}/${name.slice(name.indexOf(':') + 1)}`,
        kind: 'export-in-use',
        stackName: change.stack.stackName,
        message:
          `export ${name} would be ${removed ? 'removed' : 'changed'} while ${importers.join(', ')} imports it: ` +
          `"Cannot ${removed ? 'delete' : 'update'} export ${name} as it is in use", the update rolls back`,
        fix:
          'pass the value by a weak reference (SSM parameter or name) instead of Fn::ImportValue, or deploy ' +
          'the importing stack without the import first and keep the export one more deploy',
      });
    }
  }
  return findings;
}

/**
 * ECS blue/green and canary move traffic by rewriting the weights of the service's production listener
 * rule, and swap which target group is "production" on every deployment ("Amazon ECS blue/green
 * deployments", Amazon ECS Developer Guide). The template's weights are only the first deploy's: a
 * replaced rule, or an update of its actions, puts them back, e.g. 100 % to a group whose tasks ECS
 * has already drained.
 */
function liveWeightFindings(change: StackChange): ChangeFinding[] {
  const { stack, before } = change;
  if (!before) return [];
  const managed = managedTrafficRules(before);
  // Still blue/green or canary after the change: ECS keeps shifting weights on whatever rule it gets.
  const stillManaged = managedTrafficRules(stack).size > 0;
  const findings: ChangeFinding[] = [];
  for (const id of managed) {
    const old = before.template.Resources?.[id];
    const next = stack.template.Resources?.[id];
    if (!old || (!next && !stillManaged)) continue;
    const actions = (r: CfnResource) => canonical(r.Properties?.Actions ?? r.Properties?.DefaultActions);
    const replaced = change.replaced.has(id) || !next;
    if (!replaced && actions(old) === actions(next!)) continue;
    findings.push({
      id: `live-weights-reset:${stack.stackName}/${id}`,
      kind: 'live-weights-reset',
      stackName: stack.stackName,
      message:
        `${id} is the listener rule ECS blue/green shifts traffic on; this deploy ${replaced ? 'replaces it' : 'rewrites its actions'} ` +
        "with the template's weights, which may send all traffic to the target group ECS has drained",
      fix: 'leave the production rule unchanged in this deploy (change it while no ECS deployment has swapped groups, or let ECS own the weights)',
    });
  }
  return findings;
}

/** Listener rules an ECS service's blue/green or canary deployments shift traffic on. */
function managedTrafficRules(stack: StackTemplate): Set<string> {
  const managed = new Set<string>();
  for (const [, r] of resourcesOf(stack)) {
    if (r.Type !== 'AWS::ECS::Service') continue;
    for (const lb of (r.Properties?.LoadBalancers as unknown[] | undefined) ?? []) {
      const advanced = (lb as { AdvancedConfiguration?: Record<string, unknown> }).AdvancedConfiguration;
      for (const key of ['ProductionListenerRule', 'TestListenerRule']) {
        for (const id of referencedIds(advanced?.[key])) managed.add(id);
      }
    }
  }
  return managed;
}

function nameCollisionFindings(input: ChangeSafetyInput, changes: readonly StackChange[]): ChangeFinding[] {
  const deployedNames = new Map<string, { stackName: string; logicalId: string }>();
  for (const stack of input.deployed) {
    for (const [id, r] of resourcesOf(stack)) {
      const name = physicalName(stack, r.Type, r.Properties);
      if (name) deployedNames.set(name.key, { stackName: stack.stackName, logicalId: id });
    }
  }
  const findings: ChangeFinding[] = [];
  for (const change of changes) {
    for (const id of change.created) {
      const r = change.stack.template.Resources![id]!;
      const name = physicalName(change.stack, r.Type, r.Properties);
      if (!name) continue;
      const holder = deployedNames.get(name.key);
      if (change.replaced.has(id)) {
        const old = change.before?.template.Resources?.[id];
        if (physicalName(change.stack, old?.Type ?? '', old?.Properties)?.key !== name.key) continue;
        findings.push({
          id: `named-replace:${change.stack.stackName}/${id}`,
          kind: 'named-replace',
          stackName: change.stack.stackName,
          message:
            `${r.Type} ${id} named "${name.name}" ${change.replaced.get(id)} be replaced: "CloudFormation cannot ` +
            'update a stack when a custom-named resource requires replacing"',
          fix: 'drop the fixed name (let CloudFormation generate it) or rename it in the same change',
        });
      } else if (holder) {
        findings.push({
          id: `name-collision:${change.stack.stackName}/${id}`,
          kind: 'name-collision',
          stackName: change.stack.stackName,
          message:
            `${r.Type} ${id} is created as "${name.name}", which ${holder.stackName}/${holder.logicalId} ` +
            'still holds (new logical id, or moved between stacks): "already exists"',
          fix: 'keep the original construct id, or drop the fixed name',
        });
      }
    }
  }
  return findings;
}

/** Deployed stacks the proposed set does not rebuild still hold their names (other environments, regions). */
function claimedTwiceFindings(input: ChangeSafetyInput): ChangeFinding[] {
  const proposedNames = new Set(input.proposed.map((s) => s.stackName));
  const stacks = [...input.proposed, ...input.deployed.filter((s) => !proposedNames.has(s.stackName))];
  const claims = new Map<string, { stackName: string; logicalId: string; scope: string; name: string }[]>();
  for (const stack of stacks) {
    for (const [id, r] of resourcesOf(stack)) {
      const name = physicalName(stack, r.Type, r.Properties);
      if (!name) continue;
      const where = name.scope === 'region' ? stack.region : name.scope;
      claims.set(name.key, [
        ...(claims.get(name.key) ?? []),
        { stackName: stack.stackName, logicalId: id, scope: where, name: name.name },
      ]);
    }
  }
  return [...claims.values()]
    .filter((c) => c.length > 1)
    .map((c) => ({
      id: `name-claimed-twice:${c[0]!.scope}/${c[0]!.name}`,
      kind: 'name-claimed-twice' as const,
      stackName: c[0]!.stackName,
      message:
        `"${c[0]!.name}" is claimed by ${c.map((x) => `${x.stackName}/${x.logicalId}`).join(' and ')}` +
        ` (${c[0]!.scope === 'account' || c[0]!.scope === 'global' ? 'one per account, all regions' : `one per account in ${c[0]!.scope}`}): ` +
        'the second create fails or overwrites the first',
      fix: 'put the region (and environment) in the name, or let CloudFormation generate it',
    }));
}

/**
 * Retain keeps the resource after its stack is deleted or its first create rolls back; with a fixed name,
 * the next create of the stack then fails with "already exists" (CloudFormation User Guide, "DeletionPolicy
 * attribute").
 */
function retainedNameFindings(stack: StackTemplate): ChangeFinding[] {
  return resourcesOf(stack)
    .filter(([, r]) => r.DeletionPolicy === 'Retain' || r.DeletionPolicy === 'RetainExceptOnUpdate')
    .flatMap(([id, r]) => {
      const name = physicalName(stack, r.Type, r.Properties);
      if (!name) return [];
      return [
        {
          id: `retained-fixed-name:${stack.stackName}/${id}`,
          kind: 'retained-fixed-name' as const,
          stackName: stack.stackName,
          message:
            `${r.Type} ${id} is retained under the fixed name "${name.name}": after a failed first create ` +
            `or a destroy, the next create of ${stack.stackName} fails with "already exists"`,
          fix: 'let CloudFormation generate the name, or stop retaining it (export the data elsewhere)',
        },
      ];
    });
}

/** The findings an override does not name; these make `berth deploy` refuse. */
export function unacceptedFindings(
  findings: readonly ChangeFinding[],
  allowed: readonly string[],
): ChangeFinding[] {
  const accepted = new Set(allowed);
  return findings.filter((f) => !accepted.has(f.id));
}

/** Override ids that match no finding: a typo, or a risk that no longer applies. */
export function unusedOverrides(findings: readonly ChangeFinding[], allowed: readonly string[]): string[] {
  const ids = new Set(findings.map((f) => f.id));
  return allowed.filter((id) => !ids.has(id));
}
