import { OUTPUTS, serviceOutputs } from '@berth/infra';
import { type FiringAlarm, firingAlarms } from '../aws/alarms.js';
import { checkCredentials } from '../aws/credentials.js';
import { digestRecord, readDeployedDigest } from '../aws/image-digest.js';
import {
  describeService,
  primaryDeployment,
  serviceTargetGroups,
  type TargetSummary,
  targetHealth,
} from '../aws/service-state.js';
import { readOutputs } from '../aws/stack-outputs.js';
import type { CommandContext } from '../context.js';
import { resolveTarget } from '../target.js';

/** One service of the environment as ECS and the load balancer see it now. */
export interface ServiceStatus {
  /** Its name in berth.config.ts. */
  readonly name: string;
  readonly kind: 'web' | 'worker';
  /** False when the stacks do not have it yet (added to the config since the last deploy). */
  readonly deployed: boolean;
  /** The ECS service's name. */
  readonly ecsName?: string;
  readonly running?: number;
  readonly desired?: number;
  readonly pending?: number;
  /** The primary deployment's rollout state: IN_PROGRESS, COMPLETED or FAILED. */
  readonly rolloutState?: string;
  readonly deployments?: number;
  readonly taskDefinition?: string;
  /** Web only: the live target group's health. */
  readonly targets?: TargetSummary;
  /** Web only: where it answers (its route on the environment's load balancer). */
  readonly url?: string;
  /** Worker with a queue only: the URL of the queue it consumes. */
  readonly queueUrl?: string;
}

export interface EnvironmentStatus {
  readonly env: string;
  readonly region: string;
  /** The environment's URL: the load balancer's name, or the domain. */
  readonly url?: string;
  readonly digest?: string;
  /** True when the cluster and at least one service exist. */
  readonly deployed: boolean;
  /** Every service of the config, in its order. */
  readonly services: readonly ServiceStatus[];
  readonly alarms: FiringAlarm[];
}

export async function environmentStatus(
  ctx: CommandContext,
  request: { env: string; region?: string },
): Promise<EnvironmentStatus> {
  const target = resolveTarget(ctx.config, request.env, request.region);
  const aws = ctx.clients(target.region);
  await checkCredentials(aws.sts, target.config);
  const outputs = await readOutputs(aws.cfn, Object.values(target.stacks));
  const digest = await readDeployedDigest(aws.ssm, digestRecord(ctx.config.names, target.env));
  // The Monitoring and Service stacks let CloudFormation name their alarms, so every alarm of an environment
  // starts with its stack names' common prefix (`Berth-Test-…`).
  const alarms = await firingAlarms(aws.cloudwatch, ctx.config.names.envStackPrefix(target.env));
  const url = outputs[OUTPUTS.serviceUrl];
  const cluster = outputs[OUTPUTS.clusterName];

  const services: ServiceStatus[] = [];
  for (const settings of target.config.services) {
    const keys = serviceOutputs(settings.name);
    const ecsName = outputs[keys.serviceName];
    const serviceUrl = settings.kind === 'web' ? outputs[keys.url] : undefined;
    const queueUrl = settings.kind === 'worker' ? outputs[keys.queueUrl] : undefined;
    const base = {
      name: settings.name,
      kind: settings.kind,
      ...(serviceUrl ? { url: serviceUrl } : {}),
      ...(queueUrl ? { queueUrl } : {}),
    };
    if (!cluster || !ecsName) {
      services.push({ ...base, deployed: false });
      continue;
    }
    const service = await describeService(aws.ecs, { cluster, service: ecsName });
    const primary = primaryDeployment(service);
    // The live group, as ECS reports it: blue/green swaps it on every deployment.
    const { live: targetGroupArn } = serviceTargetGroups(service);
    services.push({
      ...base,
      deployed: true,
      ecsName,
      running: service.runningCount ?? 0,
      desired: service.desiredCount ?? 0,
      pending: service.pendingCount ?? 0,
      rolloutState: primary?.rolloutState ?? 'UNKNOWN',
      deployments: service.deployments?.length ?? 0,
      ...(primary?.taskDefinition ? { taskDefinition: primary.taskDefinition } : {}),
      ...(targetGroupArn ? { targets: await targetHealth(aws.elbv2, targetGroupArn) } : {}),
    });
  }
  return {
    env: target.env,
    region: target.region,
    ...(url ? { url } : {}),
    ...(digest ? { digest } : {}),
    deployed: cluster !== undefined && services.some((s) => s.deployed),
    services,
    alarms,
  };
}

/** `2/2 running, rollout COMPLETED` (with pending tasks and concurrent deployments when there are any). */
function describeTasks(s: ServiceStatus): string {
  if (!s.deployed) return '(not deployed)';
  const pending = s.pending ? `, ${s.pending} pending` : '';
  const deployments = (s.deployments ?? 0) > 1 ? ` (${s.deployments} deployments)` : '';
  return `${s.running}/${s.desired} running${pending}, rollout ${s.rolloutState}${deployments}`;
}

export function formatStatus(s: EnvironmentStatus): string {
  const lines = [`${s.env} (${s.region})`];
  // An app of workers only has no load balancer, so no URL, deployed or not.
  const web = s.services.some((x) => x.kind === 'web');
  lines.push(`  url:      ${s.url ?? (web ? '(not deployed)' : 'none (no web service)')}`);
  lines.push(`  image:    ${s.digest ?? '(none recorded)'}`);
  lines.push('  services:');
  const width = Math.max(...s.services.map((x) => x.name.length));
  for (const service of s.services) {
    lines.push(`    ${service.name.padEnd(width)}  ${service.kind.padEnd(6)}  ${describeTasks(service)}`);
    const detail = ' '.repeat(width + 14);
    if (service.targets) {
      lines.push(`${detail}targets ${service.targets.healthy}/${service.targets.total} healthy`);
      for (const p of service.targets.problems) lines.push(`${detail}  ${p}`);
    }
    if (service.url) lines.push(`${detail}${service.url}`);
    if (service.queueUrl) lines.push(`${detail}queue ${service.queueUrl}`);
  }
  lines.push(`  alarms:   ${s.alarms.length === 0 ? 'none in ALARM' : `${s.alarms.length} in ALARM`}`);
  for (const a of s.alarms) lines.push(`            ${a.name}: ${a.reason}`);
  return lines.join('\n');
}
