/**
 * A Mermaid flowchart of what the templates build, generated rather than drawn so the picture in
 * docs/architecture.md cannot drift from the code (a test regenerates it and compares).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describeRoute, type PlannedService, plannedServices } from './services.js';
import { sizing } from './summary.js';
import {
  asArray,
  follow,
  type LocatedResource,
  prop,
  referencedId,
  resolveString,
  resourcesOfType,
  type StackTemplate,
} from './template.js';

export const DIAGRAM_START = '<!-- berth:diagram:start -->';
export const DIAGRAM_END = '<!-- berth:diagram:end -->';

const range = (min: number | undefined, max: number | undefined) =>
  min === max ? `${min ?? '?'}` : `${min ?? '?'}–${max ?? '?'}`;

function str(r: LocatedResource, name: string): string | undefined {
  const value = resolveString(prop(r, name), r.stack.template);
  return typeof value === 'string' ? value : undefined;
}

/** The port range the load balancer's group may reach the instances on (bridge mode: the ephemeral range). */
function albToInstancePorts(stacks: readonly StackTemplate[]): string | undefined {
  const alb = resourcesOfType(stacks, 'AWS::ElasticLoadBalancingV2::LoadBalancer')[0];
  if (!alb) return undefined;
  const albGroups = new Set(asArray(prop(alb, 'SecurityGroups')).map(referencedId));
  const rule = resourcesOfType([alb.stack], 'AWS::EC2::SecurityGroupIngress').find((r) =>
    albGroups.has(referencedId(prop(r, 'SourceSecurityGroupId'))),
  );
  if (!rule) return undefined;
  const from = prop(rule, 'FromPort');
  const to = prop(rule, 'ToPort');
  return from === to ? `port ${String(from)}` : `ports ${String(from)}-${String(to)}`;
}

export function renderDiagram(stacks: readonly StackTemplate[]): string {
  const size = sizing(stacks);
  const azs = size.availabilityZones.join(', ');
  const vpc = resourcesOfType(stacks, 'AWS::EC2::VPC')[0];
  const region = vpc?.stack.region ?? stacks[0]?.region ?? '?';
  const alb = resourcesOfType(stacks, 'AWS::ElasticLoadBalancingV2::LoadBalancer')[0];
  const nats = resourcesOfType(stacks, 'AWS::EC2::NatGateway')
    .map((nat) => {
      const subnet = follow(nat, prop(nat, 'SubnetId'));
      return subnet ? (str(subnet, 'AvailabilityZone') ?? '?') : '?';
    })
    .sort();
  const services = plannedServices(stacks);
  const db = resourcesOfType(stacks, 'AWS::RDS::DBInstance')[0];
  const repository = resourcesOfType(stacks, 'AWS::ECR::Repository')[0];
  const logGroups = resourcesOfType(stacks, 'AWS::Logs::LogGroup').length;
  const alarms = resourcesOfType(stacks, 'AWS::CloudWatch::Alarm').length;
  const topic = resourcesOfType(stacks, 'AWS::SNS::Topic')[0];
  const endpoints = resourcesOfType(stacks, 'AWS::EC2::VPCEndpoint').length;
  // Roles GitHub Actions assumes through OIDC: the only way into the account from CI.
  const ciRoles = resourcesOfType(stacks, 'AWS::IAM::Role').filter((r) =>
    JSON.stringify(prop(r, 'AssumeRolePolicyDocument') ?? {}).includes('sts:AssumeRoleWithWebIdentity'),
  ).length;
  const listeners = size.listeners.join(', ') || 'no listener';
  const inbound = size.listeners.length > 0 ? size.listeners.join(' / ') : 'HTTP';

  const lines = ['flowchart TB', '  internet(("Internet"))'];
  lines.push(`  subgraph vpc["${region} · VPC ${vpc ? (str(vpc, 'CidrBlock') ?? '') : ''} · ${azs}"]`);
  lines.push('    subgraph public["Public subnets, one per AZ"]');
  if (alb) lines.push(`      alb["Application Load Balancer<br/>${listeners} · a node in each AZ"]`);
  nats.forEach((az, i) => {
    lines.push(`      nat${i + 1}["NAT gateway<br/>${az}"]`);
  });
  lines.push('    end');
  lines.push('    subgraph private["Private subnets, one per AZ"]');
  if (size.instanceType) {
    lines.push(
      `      asg["EC2 capacity: Auto Scaling group<br/>${size.instanceType} × ${range(size.minInstances, size.maxInstances)} instances"]`,
    );
  }
  for (const s of services) {
    lines.push(
      `      ${nodeOf(s)}["${s.name}: ${s.kind} service × ${range(s.minTasks, s.maxTasks)} tasks<br/>` +
        `${s.taskCpu ?? '?'} CPU / ${s.taskMemoryMiB ?? '?'} MiB · bridge mode${s.kind === 'web' ? ', dynamic host ports' : ''}"]`,
    );
  }
  if (db) {
    const where = size.dbMultiAz ? 'primary' : 'single-AZ';
    lines.push(
      `      db[("RDS PostgreSQL ${size.dbClass ?? '?'}<br/>${where} · ${size.dbStorageGiB ?? '?'} GiB")]`,
    );
    if (size.dbMultiAz) lines.push(`      dbStandby[("RDS standby<br/>other AZ, synchronous")]`);
  }
  if (endpoints > 0) lines.push(`      endpoints["VPC endpoints × ${endpoints}"]`);
  lines.push('    end');
  lines.push('  end');
  if (repository) {
    const name = str(repository, 'RepositoryName');
    lines.push(`  ecr["ECR repository${name ? ` ${name}` : ''}<br/>${repository.stack.region}"]`);
  }
  if (logGroups > 0) lines.push(`  logs["CloudWatch Logs<br/>${logGroups} log groups"]`);
  if (alarms > 0) lines.push(`  alarms["CloudWatch alarms × ${alarms}"]`);
  if (topic) lines.push('  sns["SNS alarm topic"]');
  if (ciRoles > 0)
    lines.push('  gha["GitHub Actions"]', `  ciRoles["CI roles × ${ciRoles}<br/>OIDC, no long-lived keys"]`);

  if (alb) lines.push(`  internet -->|"${inbound}"| alb`);
  const ports = albToInstancePorts(stacks) ?? 'targets';
  for (const s of services.filter((x) => x.kind === 'web' && alb)) {
    const routes = s.routes.map(describeRoute).join(', ') || 'no route';
    lines.push(`  alb -->|"${routes} · ${ports}"| ${nodeOf(s)}`);
  }
  for (const s of services) {
    if (size.instanceType) lines.push(`  ${nodeOf(s)} -.->|"placed on"| asg`);
    if (db && s.database) lines.push(`  ${nodeOf(s)} -->|"5432, TLS verify-full"| db`);
  }
  if (size.dbMultiAz) lines.push('  db -.->|"replicates"| dbStandby');
  nats.forEach((_, i) => {
    lines.push(`  asg -->|"egress"| nat${i + 1}`);
    lines.push(`  nat${i + 1} --> internet`);
  });
  if (endpoints > 0 && size.instanceType) lines.push('  asg --> endpoints');
  if (repository && size.instanceType) lines.push('  ecr -->|"image pull by digest"| asg');
  if (logGroups > 0) {
    for (const s of services) lines.push(`  ${nodeOf(s)} -->|"awslogs"| logs`);
  }
  if (alarms > 0 && topic) lines.push('  alarms -->|"notify"| sns');
  if (ciRoles > 0) lines.push('  gha -->|"assume role"| ciRoles');
  if (ciRoles > 0 && repository) lines.push('  ciRoles -->|"push image, deploy"| ecr');
  return `${lines.join('\n')}\n`;
}

/** A Mermaid node id for a service (ids take letters, digits and underscores). */
const nodeOf = (s: PlannedService) => `svc_${s.name.replace(/[^A-Za-z0-9]/g, '_')}`;

/** Replaces what lies between the markers; the rest of the document belongs to its authors. */
export function replaceDiagramSection(document: string, diagram: string, generatedBy?: string): string {
  const start = document.indexOf(DIAGRAM_START);
  const end = document.indexOf(DIAGRAM_END);
  if (start === -1 || end === -1 || end < start) {
    throw new Error(`markers ${DIAGRAM_START} … ${DIAGRAM_END} not found, in that order`);
  }
  const note = generatedBy
    ? `<!-- generated by \`${generatedBy}\`: edit the stacks, not this diagram -->\n`
    : '';
  const body = `\n\n${note}\`\`\`mermaid\n${diagram}\`\`\`\n\n`;
  return document.slice(0, start + DIAGRAM_START.length) + body + document.slice(end);
}

/** The diagram currently committed between the markers, without the code fence. */
export function extractDiagramSection(document: string): string | undefined {
  const start = document.indexOf(DIAGRAM_START);
  const end = document.indexOf(DIAGRAM_END);
  if (start === -1 || end === -1 || end < start) return undefined;
  const match = /```mermaid\n([\s\S]*?)```/.exec(document.slice(start, end));
  return match?.[1];
}

export function writeDiagramSection(path: string, diagram: string, generatedBy?: string): void {
  writeFileSync(path, replaceDiagramSection(readFileSync(path, 'utf8'), diagram, generatedBy));
}
