/**
 * Create before delete. On a stack update CloudFormation creates new and replacement resources first and
 * deletes the old ones last, in the cleanup phase ("Understand update behaviors of stack resources",
 * CloudFormation User Guide: on replacement it "creates the replacement resource first, changes references
 * from other dependent resources to point to the replacement resource, and then deletes the old resource";
 * a resource removed from the template is deleted in that same cleanup). So a resource that moves to a new
 * logical id, or is replaced, exists twice for a while. Where AWS keeps a key unique, the second create
 * fails and the whole update rolls back. Per type: the key AWS enforces, and the new claims an old resource
 * still holds.
 */
import type { ChangeFinding, FindingKind } from './change-safety.js';
import { referencedIds } from './references.js';
import { type CfnResource, type CfnTemplate, canonical, type StackTemplate } from './template.js';

export type UniqueKeyKind = Extract<
  FindingKind,
  'listener-port' | 'rule-priority' | 'security-group-rule' | 'dns-record'
>;

/** One stack's update, as change-safety.ts derives it from AWS's diff engine. */
export interface StackUpdate {
  readonly stack: StackTemplate;
  readonly before: StackTemplate;
  /** Logical ids whose physical resource is new: added, or replaced. */
  readonly created: ReadonlySet<string>;
  readonly replaced: ReadonlyMap<string, unknown>;
}

/** A key a resource holds while it exists. */
interface Claim {
  readonly kind: UniqueKeyKind;
  /** The resource that holds it. */
  readonly logicalId: string;
  /** The logical id, or `<group>.SecurityGroupIngress.<n>` for a rule written inside its group. */
  readonly where: string;
  readonly key: string;
  /** The key in words, for the message. */
  readonly what: string;
  /** Resources the key names: if one of them is replaced, the claim is on a new parent and shares nothing. */
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
      'keep the rule under its old logical id (CfnElement.overrideLogicalId; a rule CDK names after its peer ' +
      "group changes id when that group's construct path does, see infra/lib/stacks/one-service-logical-ids.ts)",
  },
  // ChangeResourceRecordSets (Amazon Route 53 API Reference): CREATE fails when a record with the same name,
  // type and set identifier exists in the zone — InvalidChangeBatch "Tried to create resource record set
  // [name='…', type='…'] but it already exists"; Name, Type and SetIdentifier are what identify a record.
  'dns-record': {
    error: 'InvalidChangeBatch ("Tried to create resource record set … but it already exists")',
    fix: 'keep the record under its old logical id (CfnElement.overrideLogicalId) so CloudFormation updates it in place',
  },
};

/** Findings for the new claims of one updated stack that an old resource still holds. */
export function uniqueKeyFindings(update: StackUpdate): ChangeFinding[] {
  const { stack, before, created, replaced } = update;
  const old = claimsOf(before.template);
  const now = claimsOf(stack.template);
  // Holders when the new resources are created: every old resource (the removed ones go at cleanup), and
  // the rules inside groups that stay, as the update writes them: a resource that names its group is
  // created after the group's own update (Ref and Fn::GetAtt order the work; "DependsOn attribute").
  const holders = new Map<string, Claim[]>();
  const hold = (c: Claim) => holders.set(c.key, [...(holders.get(c.key) ?? []), c]);
  for (const c of old) if (!c.inline) hold(c);
  for (const c of now) if (c.inline && !created.has(c.logicalId)) hold(c);

  const inlineBefore = new Set(old.filter((c) => c.inline).map((c) => `${c.logicalId}|${c.key}`));
  const claimsMade = now.filter((c) =>
    c.inline
      ? !created.has(c.logicalId) && !inlineBefore.has(`${c.logicalId}|${c.key}`)
      : created.has(c.logicalId),
  );
  const findings: ChangeFinding[] = [];
  for (const claim of claimsMade) {
    if ([...claim.refs].some((id) => replaced.has(id))) continue;
    const holder = holders
      .get(claim.key)
      ?.find((h) => !(h.inline && claim.inline && h.logicalId === claim.logicalId));
    if (!holder) continue;
    const { error, fix } = KEYS[claim.kind];
    const who =
      holder.where === claim.where
        ? 'the resource it replaces'
        : stack.template.Resources?.[holder.logicalId]
          ? holder.where
          : `${holder.where} (removed, but deleted only at cleanup, after every create)`;
    findings.push({
      id: `${claim.kind}:${stack.stackName}/${claim.where}`,
      kind: claim.kind,
      stackName: stack.stackName,
      message:
        `${claim.where} is created while ${who} still holds ${claim.what}: CloudFormation creates before ` +
        `it deletes → ${error}, and the update rolls back`,
      fix,
    });
  }
  return findings;
}

function claimsOf(template: CfnTemplate): Claim[] {
  const resources = template.Resources ?? {};
  return Object.entries(resources).flatMap(([id, r]) => claimsOfResource(id, r, resources));
}

function claimsOfResource(id: string, r: CfnResource, resources: Record<string, CfnResource>): Claim[] {
  const p = r.Properties ?? {};
  const claim = (kind: UniqueKeyKind, key: unknown[], what: string, named: unknown[]): Claim => ({
    kind,
    logicalId: id,
    where: id,
    key: [kind, ...key.map(text)].join('|'),
    what,
    refs: referencedIds(named),
    inline: false,
  });
  switch (r.Type) {
    case 'AWS::ElasticLoadBalancingV2::Listener':
      return [
        claim(
          'listener-port',
          [p.LoadBalancerArn, p.Port],
          `port ${text(p.Port)} on load balancer ${describe(p.LoadBalancerArn)}`,
          [p.LoadBalancerArn],
        ),
      ];
    case 'AWS::ElasticLoadBalancingV2::ListenerRule':
      return [
        claim(
          'rule-priority',
          [p.ListenerArn, p.Priority],
          `priority ${text(p.Priority)} on listener ${describe(p.ListenerArn)}`,
          [p.ListenerArn],
        ),
      ];
    case 'AWS::Route53::RecordSet': {
      const zone = p.HostedZoneId ?? `name:${domain(p.HostedZoneName)}`;
      const name = domain(p.Name);
      return [
        claim(
          'dns-record',
          [zone, name, p.Type, p.SetIdentifier ?? ''],
          `${text(p.Type)} ${name}${p.SetIdentifier === undefined ? '' : ` (${text(p.SetIdentifier)})`} in zone ${describe(zone)}`,
          [p.HostedZoneId],
        ),
      ];
    }
    case 'AWS::EC2::SecurityGroupIngress':
    case 'AWS::EC2::SecurityGroupEgress': {
      const direction = r.Type.endsWith('Ingress') ? 'ingress' : 'egress';
      return [securityGroupRule(id, id, direction, p.GroupId, p, resources, false)];
    }
    case 'AWS::EC2::SecurityGroup':
      return (['ingress', 'egress'] as const).flatMap((direction) => {
        const property = direction === 'ingress' ? 'SecurityGroupIngress' : 'SecurityGroupEgress';
        const rules = Array.isArray(p[property]) ? (p[property] as Record<string, unknown>[]) : [];
        return rules.map((rule, n) =>
          securityGroupRule(id, `${id}.${property}.${n}`, direction, { Ref: id }, rule, resources, true),
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
  logicalId: string,
  where: string,
  direction: 'ingress' | 'egress',
  groupId: unknown,
  rule: Record<string, unknown>,
  resources: Record<string, CfnResource>,
  inline: boolean,
): Claim {
  const raw = text(rule.IpProtocol).toLowerCase();
  const protocol = PROTOCOL_NAMES[raw] ?? raw;
  // "Specifying -1 or a protocol number other than tcp, udp, icmp, or icmpv6 allows traffic on all ports,
  // regardless of any port range you specify" (IpPermission, Amazon EC2 API Reference).
  const ports = PORTED.has(protocol) ? `${text(rule.FromPort)}-${text(rule.ToPort)}` : 'all ports';
  const peers = PEERS[direction]
    .filter((field) => rule[field] !== undefined)
    .map((field) => `${field}=${securityGroup(rule[field], resources)}`);
  const group = securityGroup(groupId, resources);
  return {
    kind: 'security-group-rule',
    logicalId,
    where,
    key: ['security-group-rule', group, direction, protocol, ports, ...peers].join('|'),
    what: `the ${direction} rule ${protocol} ${ports} ${direction === 'ingress' ? 'from' : 'to'} ${peers.join(' ') || '(no peer)'} on ${group}`,
    refs: referencedIds([groupId, ...PEERS[direction].map((field) => rule[field])]),
    inline,
  };
}

/** A group of this stack by its logical id (`Ref` and `Fn::GetAtt GroupId` name the same group); else as written. */
function securityGroup(value: unknown, resources: Record<string, CfnResource>): string {
  const v = value as { Ref?: unknown; 'Fn::GetAtt'?: unknown } | undefined;
  const getAtt = Array.isArray(v?.['Fn::GetAtt']) ? (v['Fn::GetAtt'] as unknown[]) : undefined;
  const id = typeof v?.Ref === 'string' ? v.Ref : getAtt?.[1] === 'GroupId' ? getAtt[0] : undefined;
  if (typeof id === 'string' && resources[id]?.Type === 'AWS::EC2::SecurityGroup') return `group ${id}`;
  return text(value);
}

/** Route 53 names are case-insensitive and fully qualified with or without the final dot. */
function domain(value: unknown): string {
  if (typeof value !== 'string') return text(value);
  const lower = value.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/** Scalars as CloudFormation passes them (80 and "80" are one port); intrinsics in canonical JSON. */
function text(value: unknown): string {
  return value !== null && typeof value === 'object' ? canonical(value) : String(value);
}

/** A Ref or GetAtt by the logical id it names; anything else as written. */
function describe(value: unknown): string {
  const ids = [...referencedIds(value)];
  return ids.length === 1 ? ids[0]! : text(value);
}
