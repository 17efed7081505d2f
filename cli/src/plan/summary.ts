/**
 * What the templates will create, in terms a reviewer checks before paying: resources per tier, what the
 * internet can reach, and how big things are.
 */
import { capacityAtMinimum, type ServiceCapacity } from './service-capacity.js';
import { type PlannedService, plannedServices, taskSize } from './services.js';
import {
  allResources,
  asArray,
  asRecord,
  follow,
  type LocatedResource,
  prop,
  referencedId,
  resolveBoolean,
  resolveNumber,
  resolveString,
  resourcesOfType,
  type StackTemplate,
  UNRESOLVED,
} from './template.js';

export const TIERS = ['edge', 'compute', 'data', 'network', 'ops', 'security', 'other'] as const;
export type Tier = (typeof TIERS)[number];

export function tierOf(type: string): Tier {
  if (type.startsWith('AWS::ElasticLoadBalancingV2::')) return 'edge';
  if (/^AWS::(ECS|AutoScaling|ApplicationAutoScaling)::/.test(type) || type === 'AWS::EC2::LaunchTemplate') {
    return 'compute';
  }
  if (/^AWS::(RDS|SecretsManager)::/.test(type)) return 'data';
  if (/^AWS::(IAM|KMS)::/.test(type) || type.startsWith('AWS::EC2::SecurityGroup')) return 'security';
  if (type.startsWith('AWS::EC2::')) return 'network';
  if (/^AWS::(Logs|CloudWatch|SNS|Events)::/.test(type)) return 'ops';
  return 'other';
}

export interface ExposureRule {
  readonly stack: string;
  readonly securityGroup: string;
  readonly protocol: string;
  readonly ports: string;
  readonly source: string;
  /** Resources wearing this security group, as "Type LogicalId"; empty if nothing in the templates uses it. */
  readonly attachedTo: readonly string[];
}

export interface Sizing {
  readonly instanceType?: string;
  readonly minInstances?: number;
  readonly maxInstances?: number;
  readonly taskCpu?: number;
  readonly taskMemoryMiB?: number;
  readonly minTasks?: number;
  readonly maxTasks?: number;
  readonly dbClass?: string;
  readonly dbMultiAz?: boolean;
  readonly dbStorageGiB?: number;
  readonly dbMaxStorageGiB?: number;
  readonly natGateways: number;
  readonly availabilityZones: readonly string[];
  readonly listeners: readonly string[];
}

export interface PlanSummary {
  readonly stacks: ReadonlyArray<{
    readonly name: string;
    readonly region: string;
    readonly resources: number;
  }>;
  readonly tiers: Readonly<Record<Tier, number>>;
  readonly exposure: readonly ExposureRule[];
  readonly sizing: Sizing;
  /** Each ECS service (the "tasks" fields of `sizing` are the first one's): kind, size, task counts, and for a web service its routes. */
  readonly services: readonly PlannedService[];
  /** What the services' minimum tasks take from the instances; undefined when it cannot be read. */
  readonly capacity?: ServiceCapacity;
}

const OPEN = new Set(['0.0.0.0/0', '::/0']);

function portRange(rule: Record<string, unknown>): { protocol: string; ports: string } {
  const protocol = String(rule.IpProtocol ?? 'tcp');
  if (protocol === '-1') return { protocol: 'all', ports: 'all' };
  const from = rule.FromPort;
  const to = rule.ToPort;
  return { protocol, ports: from === to ? String(from) : `${String(from)}-${String(to)}` };
}

/** Every resource that lists the security group among its groups, in the same stack. */
function wearers(group: LocatedResource): string[] {
  const refersToGroup = (v: unknown) => referencedId(v) === group.logicalId;
  return allResources([group.stack])
    .filter((r) => {
      const p = r.resource.Properties ?? {};
      const data = asRecord(p.LaunchTemplateData);
      const lists = [p.SecurityGroups, p.SecurityGroupIds, p.VPCSecurityGroups, data.SecurityGroupIds];
      return lists.some((list) => asArray(list).some(refersToGroup));
    })
    .map((r) => `${r.resource.Type} ${r.logicalId}`);
}

/** Ingress open to any address, inline in a group or as a separate ingress resource. */
export function internetExposure(stacks: readonly StackTemplate[]): ExposureRule[] {
  const out: ExposureRule[] = [];
  const add = (group: LocatedResource | undefined, rule: Record<string, unknown>, fallbackName: string) => {
    const source = [rule.CidrIp, rule.CidrIpv6].find((c) => typeof c === 'string' && OPEN.has(c));
    if (source === undefined) return;
    out.push({
      stack: (group?.stack.stackName ?? fallbackName) as string,
      securityGroup: group?.logicalId ?? 'unknown (imported group)',
      ...portRange(rule),
      source: String(source),
      attachedTo: group ? wearers(group) : [],
    });
  };
  for (const group of resourcesOfType(stacks, 'AWS::EC2::SecurityGroup')) {
    for (const rule of asArray(prop(group, 'SecurityGroupIngress'))) add(group, asRecord(rule), '');
  }
  for (const ingress of resourcesOfType(stacks, 'AWS::EC2::SecurityGroupIngress')) {
    add(
      follow(ingress, prop(ingress, 'GroupId')),
      asRecord(ingress.resource.Properties),
      ingress.stack.stackName,
    );
  }
  return out;
}

const known = <T>(value: T | undefined | typeof UNRESOLVED): T | undefined =>
  value === UNRESOLVED ? undefined : (value as T | undefined);

export function sizing(stacks: readonly StackTemplate[]): Sizing {
  const first = (type: string) => resourcesOfType(stacks, type)[0];
  const num = (r: LocatedResource | undefined, value: unknown) =>
    r ? known(resolveNumber(value, r.stack.template)) : undefined;
  const str = (r: LocatedResource | undefined, value: unknown) =>
    r ? known(resolveString(value, r.stack.template)) : undefined;

  const asg = first('AWS::AutoScaling::AutoScalingGroup');
  const launchTemplate = asg && follow(asg, asRecord(prop(asg, 'LaunchTemplate')).LaunchTemplateId);
  const task = taskSize(first('AWS::ECS::TaskDefinition'));
  const scalable = resourcesOfType(stacks, 'AWS::ApplicationAutoScaling::ScalableTarget').find(
    (r) => prop(r, 'ScalableDimension') === 'ecs:service:DesiredCount',
  );
  const db = first('AWS::RDS::DBInstance');
  const subnets = resourcesOfType(stacks, 'AWS::EC2::Subnet');
  const azs = [
    ...new Set(subnets.map((s) => str(s, prop(s, 'AvailabilityZone'))).filter((a) => a !== undefined)),
  ];
  const listeners = resourcesOfType(stacks, 'AWS::ElasticLoadBalancingV2::Listener').map(
    (l) => `${str(l, prop(l, 'Protocol')) ?? '?'} ${num(l, prop(l, 'Port')) ?? '?'}`,
  );
  return {
    instanceType: str(
      launchTemplate,
      asRecord(launchTemplate && prop(launchTemplate, 'LaunchTemplateData')).InstanceType,
    ),
    minInstances: num(asg, asg && prop(asg, 'MinSize')),
    maxInstances: num(asg, asg && prop(asg, 'MaxSize')),
    taskCpu: task.cpu,
    taskMemoryMiB: task.memoryMiB,
    minTasks: num(scalable, scalable && prop(scalable, 'MinCapacity')),
    maxTasks: num(scalable, scalable && prop(scalable, 'MaxCapacity')),
    dbClass: str(db, db && prop(db, 'DBInstanceClass')),
    dbMultiAz: db ? (known(resolveBoolean(prop(db, 'MultiAZ'), db.stack.template)) ?? false) : undefined,
    dbStorageGiB: num(db, db && prop(db, 'AllocatedStorage')),
    dbMaxStorageGiB: num(db, db && prop(db, 'MaxAllocatedStorage')),
    natGateways: resourcesOfType(stacks, 'AWS::EC2::NatGateway').length,
    availabilityZones: azs.sort(),
    listeners: listeners.sort(),
  };
}

export function summarize(stacks: readonly StackTemplate[]): PlanSummary {
  const tiers = Object.fromEntries(TIERS.map((t) => [t, 0])) as Record<Tier, number>;
  for (const r of allResources(stacks)) tiers[tierOf(r.resource.Type)] += 1;
  const services = plannedServices(stacks);
  const size = sizing(stacks);
  const capacity = capacityAtMinimum(services, size.instanceType);
  return {
    stacks: stacks.map((s) => ({
      name: s.stackName,
      region: s.region,
      resources: Object.keys(s.template.Resources ?? {}).length,
    })),
    tiers,
    exposure: internetExposure(stacks),
    sizing: size,
    services,
    ...(capacity ? { capacity } : {}),
  };
}
