/**
 * Create before delete. On a stack update CloudFormation creates new and replacement resources first and
 * deletes the old ones last, in the cleanup phase ("Understand update behaviors of stack resources",
 * CloudFormation User Guide: on replacement it "creates the replacement resource first, changes references
 * from other dependent resources to point to the replacement resource, and then deletes the old resource";
 * a resource removed from the template is deleted in that same cleanup). So a resource that moves to a new
 * logical id, or is replaced, exists twice for a while. Where AWS keeps a key unique, the second create
 * fails and the whole update rolls back. Per type: the key AWS enforces, and the new claims a resource
 * still holds when they are made.
 */
import type { ChangeFinding, FindingKind } from './change-safety.js';
import { resolveText } from './physical-names.js';
import { type CfnResource, canonical, type StackTemplate } from './template.js';

export type UniqueKeyKind = Extract<
  FindingKind,
  'listener-port' | 'rule-priority' | 'security-group-rule' | 'dns-record'
>;

/** One proposed stack's update, as change-safety.ts derives it from AWS's diff engine. */
export interface StackUpdate {
  readonly stack: StackTemplate;
  /** Logical ids whose physical resource is new: added (all of a stack not deployed yet), or replaced. */
  readonly created: ReadonlySet<string>;
  readonly replaced: ReadonlyMap<string, unknown>;
}

/** A key a resource holds while it exists. */
interface Claim {
  readonly kind: UniqueKeyKind;
  readonly stackName: string;
  /** The resource that holds it. */
  readonly logicalId: string;
  /** The logical id, or `<group>.SecurityGroupIngress.<n>` for a rule written inside its group. */
  readonly where: string;
  /** Resources written `<stack>/<logical id>`, an import as what it imports: comparable across stacks. */
  readonly key: string;
  /** The key in words, for the message. */
  readonly what: string;
  /** `<stack>/<logical id>` of the resources the key names: one replaced puts the claim on a new parent. */
  readonly refs: ReadonlySet<string>;
  /** A rule inside an AWS::EC2::SecurityGroup (made by the group's own create or update). */
  readonly inline: boolean;
}

/** What AWS answers the second create, as the stack events show it, and what to do instead. */
const KEYS: Readonly<Record<UniqueKeyKind, { readonly error: string; readonly fix: string }>> = {
  // CreateListener, Errors: "DuplicateListener — A listener with the specified port already exists."
  // (Elastic Load Balancing API Reference, version 2015-12-01)
  'listener-port': {
    error: 'DuplicateListener ("A listener with the specified port already exists")',
    fix:
      'keep the listener under its old logical id (CfnElement.overrideLogicalId, as ' +
      'infra/lib/stacks/one-service-logical-ids.ts does) and change it in place; deleting the old listener ' +
      'first instead takes the URL (or HTTPS) down until the new one exists',
  },
  // CreateRule, Errors: "PriorityInUse — The specified priority is in use." (same reference)
  'rule-priority': {
    error: 'PriorityInUse ("The specified priority is in use")',
    fix:
      'keep one rule for that priority under its old logical id (CfnElement.overrideLogicalId) and change ' +
      'its properties in place',
  },
  // "Error codes for the Amazon EC2 API": InvalidPermission.Duplicate — the specified inbound or outbound
  // rule already exists for that security group. A rule is its group, direction, protocol, ports and peer:
  // the description is not part of it (UpdateSecurityGroupRuleDescriptionsIngress changes it in place).
  'security-group-rule': {
    error: 'InvalidPermission.Duplicate ("the specified rule … already exists")',
    fix:
      'keep the rule under its old logical id and stack (CfnElement.overrideLogicalId; a rule CDK names after ' +
      "its peer group changes id when that group's construct path does, see infra/lib/stacks/one-service-logical-ids.ts)",
  },
  // ChangeResourceRecordSets (Amazon Route 53 API Reference): CREATE fails when a record with the same name,
  // type and set identifier exists in the zone — InvalidChangeBatch "Tried to create resource record set
  // [name='…', type='…'] but it already exists"; Name, Type and SetIdentifier are what identify a record.
  'dns-record': {
    error: 'InvalidChangeBatch ("Tried to create resource record set … but it already exists")',
    fix: 'keep the record under its old logical id (CfnElement.overrideLogicalId) so CloudFormation updates it in place',
  },
};

/**
 * Findings for the claims the proposed stacks make that a resource still holds when they are made.
 * `deployed` is what runs: every stack, also those this deploy does not touch (they keep their keys).
 */
export function uniqueKeyFindings(
  updates: readonly StackUpdate[],
  deployed: readonly StackTemplate[],
): ChangeFinding[] {
  const proposedNames = new Set(updates.map((u) => u.stack.stackName));
  const before = new World(deployed);
  const after = new World([
    ...updates.map((u) => u.stack),
    ...deployed.filter((s) => !proposedNames.has(s.stackName)),
  ]);
  const replaced = new Set(
    updates.flatMap((u) => [...u.replaced.keys()].map((id) => `${u.stack.stackName}/${id}`)),
  );
  const createdIn = new Map(updates.map((u) => [u.stack.stackName, u.created]));
  const isNew = (c: Claim) => createdIn.get(c.stackName)?.has(c.logicalId) ?? false;
  const held = (c: Claim) => `${c.stackName}#${c.logicalId}|${c.key}`;

  // Holders while the proposed stacks create: every resource that runs (one removed from its stack goes at
  // that stack's cleanup, after its creates), and the rules inside groups as their update writes them (a
  // resource that names its group is created after the group's update: Ref, Fn::GetAtt and Fn::ImportValue
  // order the work, "DependsOn attribute", CloudFormation User Guide).
  const old = before.claims();
  const now = after.claims();
  const holders = new Map<string, Claim[]>();
  const hold = (c: Claim) => holders.set(c.key, [...(holders.get(c.key) ?? []), c]);
  for (const c of old) if (!c.inline) hold(c);
  for (const c of now) if (c.inline && !isNew(c)) hold(c);
  const stillHeld = new Set(now.map(held));
  const inlineBefore = new Set(old.filter((c) => c.inline).map(held));

  // A stack this deploy does not touch makes no claim: its rules are all in inlineBefore, none is new.
  const made = now.filter((c) => (c.inline ? !isNew(c) && !inlineBefore.has(held(c)) : isNew(c)));
  const findings: ChangeFinding[] = [];
  for (const claim of made) {
    if ([...claim.refs].some((ref) => replaced.has(ref))) continue;
    const holder = holders.get(claim.key)?.find((h) => {
      if (h.inline && claim.inline && held(h) === held(claim)) return false;
      // A stack the claimant imports from deploys first and has finished its cleanup: what it removed or
      // gave another key no longer holds this one.
      const gone = !stillHeld.has(held(h));
      return !(gone && h.stackName !== claim.stackName && after.deploysBefore(h.stackName, claim.stackName));
    });
    if (!holder) continue;
    const { error, fix } = KEYS[claim.kind];
    const sameStack = holder.stackName === claim.stackName;
    const where = sameStack ? holder.where : `${holder.stackName}/${holder.where}`;
    const who =
      sameStack && holder.where === claim.where
        ? 'the resource it replaces'
        : after.has(holder.stackName, holder.logicalId)
          ? where
          : sameStack
            ? `${where} (removed, but deleted only at cleanup, after every create)`
            : `${where} (removed, but only when ${holder.stackName} deploys, not before this stack)`;
    findings.push({
      id: `${claim.kind}:${claim.stackName}/${claim.where}`,
      kind: claim.kind,
      stackName: claim.stackName,
      message:
        `${claim.where} is created while ${who} still holds ${claim.what}: CloudFormation creates before ` +
        `it deletes → ${error}, and the update rolls back`,
      fix,
    });
  }
  return findings;
}

const SECURITY_GROUP = 'AWS::EC2::SecurityGroup';

/** A set of stacks that import from each other: where each export comes from, and which deploys first. */
class World {
  private readonly exports = new Map<string, { readonly stack: StackTemplate; readonly value: unknown }>();
  private readonly byName: ReadonlyMap<string, StackTemplate>;

  constructor(private readonly stacks: readonly StackTemplate[]) {
    this.byName = new Map(stacks.map((s) => [s.stackName, s]));
    for (const stack of stacks) {
      for (const output of Object.values(stack.template.Outputs ?? {})) {
        const name = resolveText(output.Export?.Name, stack);
        if (name !== undefined) this.exports.set(name, { stack, value: output.Value });
      }
    }
  }

  claims(): Claim[] {
    return this.stacks.flatMap((stack) =>
      Object.entries(stack.template.Resources ?? {}).flatMap(([id, r]) => claimsOf(this, stack, id, r)),
    );
  }

  has(stackName: string, logicalId: string): boolean {
    return this.byName.get(stackName)?.template.Resources?.[logicalId] !== undefined;
  }

  /** Whether `later` imports, directly or through other stacks, from `earlier`: CDK deploys that one first. */
  deploysBefore(earlier: string, later: string, seen = new Set<string>()): boolean {
    const stack = this.byName.get(later);
    if (!stack || seen.has(later)) return false;
    seen.add(later);
    const sources = new Set<string>();
    this.importsOf(stack.template.Resources, stack, sources);
    return sources.has(earlier) || [...sources].some((s) => this.deploysBefore(earlier, s, seen));
  }

  private importsOf(value: unknown, stack: StackTemplate, into: Set<string>): void {
    if (Array.isArray(value)) for (const v of value) this.importsOf(v, stack, into);
    else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const name = k === 'Fn::ImportValue' ? resolveText(v, stack) : undefined;
        const source = name === undefined ? undefined : this.exports.get(name)?.stack.stackName;
        if (source !== undefined) into.add(source);
        else this.importsOf(v, stack, into);
      }
    }
  }

  /**
   * A value in canonical text with every resource it names written `<stack>/<logical id>` (an import
   * followed to its export); `refs` collects them. Scalars as CloudFormation passes them: 80 and "80" are
   * one port. A group by Ref and by Fn::GetAtt GroupId is the same group.
   */
  text(value: unknown, stack: StackTemplate, refs: Set<string> = new Set()): string {
    const qualified = this.qualify(value, stack, refs);
    return qualified !== null && typeof qualified === 'object' ? canonical(qualified) : String(qualified);
  }

  private qualify(value: unknown, stack: StackTemplate, refs: Set<string>): unknown {
    if (Array.isArray(value)) return value.map((v) => this.qualify(v, stack, refs));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    const [key, arg] = entries[0] ?? [];
    if (entries.length === 1 && (key === 'Ref' || key === 'Fn::GetAtt')) {
      const [id, attribute] = key === 'Ref' ? [arg] : Array.isArray(arg) ? arg : String(arg).split('.');
      const resource = typeof id === 'string' ? stack.template.Resources?.[id] : undefined;
      if (resource) {
        const ref = `${stack.stackName}/${id}`;
        refs.add(ref);
        const sameAsRef =
          attribute === undefined || (resource.Type === SECURITY_GROUP && attribute === 'GroupId');
        return sameAsRef ? ref : `${ref}.${attribute}`;
      }
    }
    if (entries.length === 1 && key === 'Fn::ImportValue') {
      const name = resolveText(arg, stack);
      const exported = name === undefined ? undefined : this.exports.get(name);
      if (exported) return this.qualify(exported.value, exported.stack, refs);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.qualify(v, stack, refs)]));
  }
}

function claimsOf(world: World, stack: StackTemplate, id: string, r: CfnResource): Claim[] {
  const p = r.Properties ?? {};
  const claim = (kind: UniqueKeyKind, key: unknown[], what: (t: (v: unknown) => string) => string): Claim => {
    const refs = new Set<string>();
    return {
      kind,
      stackName: stack.stackName,
      logicalId: id,
      where: id,
      key: [kind, ...key.map((v) => world.text(v, stack, refs))].join('|'),
      what: what((v) => world.text(v, stack)),
      refs,
      inline: false,
    };
  };
  switch (r.Type) {
    case 'AWS::ElasticLoadBalancingV2::Listener':
      return [
        claim(
          'listener-port',
          [p.LoadBalancerArn, p.Port],
          (t) => `port ${t(p.Port)} on load balancer ${t(p.LoadBalancerArn)}`,
        ),
      ];
    case 'AWS::ElasticLoadBalancingV2::ListenerRule':
      return [
        claim(
          'rule-priority',
          [p.ListenerArn, p.Priority],
          (t) => `priority ${t(p.Priority)} on listener ${t(p.ListenerArn)}`,
        ),
      ];
    case 'AWS::Route53::RecordSet': {
      const zone = p.HostedZoneId ?? `name:${domain(p.HostedZoneName)}`;
      const name = domain(p.Name);
      const set = p.SetIdentifier === undefined ? '' : ` (${String(p.SetIdentifier)})`;
      return [
        claim(
          'dns-record',
          [zone, name, p.Type, p.SetIdentifier ?? ''],
          (t) => `${t(p.Type)} ${name}${set} in zone ${t(zone)}`,
        ),
      ];
    }
    case 'AWS::EC2::SecurityGroupIngress':
    case 'AWS::EC2::SecurityGroupEgress': {
      const direction = r.Type.endsWith('Ingress') ? 'ingress' : 'egress';
      return [securityGroupRule(world, stack, id, id, direction, p.GroupId, p, false)];
    }
    case SECURITY_GROUP:
      return (['ingress', 'egress'] as const).flatMap((direction) => {
        const property = direction === 'ingress' ? 'SecurityGroupIngress' : 'SecurityGroupEgress';
        const rules = Array.isArray(p[property]) ? (p[property] as Record<string, unknown>[]) : [];
        return rules.map((rule, n) =>
          securityGroupRule(world, stack, id, `${id}.${property}.${n}`, direction, { Ref: id }, rule, true),
        );
      });
    default:
      return [];
  }
}

/** Peers, by direction: "AWS::EC2::SecurityGroupIngress" / "…Egress" (CloudFormation resource reference). */
const PEERS = {
  ingress: [
    'CidrIp',
    'CidrIpv6',
    'SourcePrefixListId',
    'SourceSecurityGroupId',
    'SourceSecurityGroupName',
    'SourceSecurityGroupOwnerId',
  ],
  egress: ['CidrIp', 'CidrIpv6', 'DestinationPrefixListId', 'DestinationSecurityGroupId'],
} as const;

/** IpProtocol by name or number ("IpPermission", Amazon EC2 API Reference). */
const PROTOCOL_NAMES: Readonly<Record<string, string>> = {
  '6': 'tcp',
  '17': 'udp',
  '1': 'icmp',
  '58': 'icmpv6',
};
const PORTED = new Set(['tcp', 'udp', 'icmp', 'icmpv6']);

function securityGroupRule(
  world: World,
  stack: StackTemplate,
  logicalId: string,
  where: string,
  direction: 'ingress' | 'egress',
  groupId: unknown,
  rule: Record<string, unknown>,
  inline: boolean,
): Claim {
  const refs = new Set<string>();
  const text = (v: unknown) => world.text(v, stack, refs);
  const raw = text(rule.IpProtocol).toLowerCase();
  const protocol = PROTOCOL_NAMES[raw] ?? raw;
  // "Specifying -1 or a protocol number other than tcp, udp, icmp, or icmpv6 allows traffic on all ports,
  // regardless of any port range you specify" (IpPermission, Amazon EC2 API Reference).
  const ports = PORTED.has(protocol) ? `${text(rule.FromPort)}-${text(rule.ToPort)}` : 'all ports';
  const peers = PEERS[direction]
    .filter((field) => rule[field] !== undefined)
    .map((field) => `${field}=${text(rule[field])}`);
  const group = text(groupId);
  return {
    kind: 'security-group-rule',
    stackName: stack.stackName,
    logicalId,
    where,
    key: ['security-group-rule', group, direction, protocol, ports, ...peers].join('|'),
    what: `the ${direction} rule ${protocol} ${ports} ${direction === 'ingress' ? 'from' : 'to'} ${peers.join(' ') || '(no peer)'} on ${group}`,
    refs,
    inline,
  };
}

/** Route 53 names are case-insensitive and fully qualified with or without the final dot. */
function domain(value: unknown): string {
  if (typeof value !== 'string') return canonical(value);
  const lower = value.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}
