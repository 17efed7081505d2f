import { OUTPUTS } from '@berth/infra';
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

export interface EnvironmentStatus {
  readonly env: string;
  readonly region: string;
  readonly url?: string;
  readonly digest?: string;
  readonly deployed: boolean;
  readonly service?: {
    readonly name: string;
    readonly running: number;
    readonly desired: number;
    readonly pending: number;
    readonly rolloutState: string;
    readonly deployments: number;
    readonly taskDefinition?: string;
  };
  readonly targets?: TargetSummary;
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
  const base = {
    env: target.env,
    region: target.region,
    ...(url ? { url } : {}),
    ...(digest ? { digest } : {}),
    alarms,
  };
  const cluster = outputs[OUTPUTS.clusterName];
  const serviceName = outputs[OUTPUTS.serviceName];
  if (!cluster || !serviceName) return { ...base, deployed: false };

  const service = await describeService(aws.ecs, { cluster, service: serviceName });
  const primary = primaryDeployment(service);
  // The live group, as ECS reports it: blue/green swaps it on every deployment.
  const { live: targetGroupArn } = serviceTargetGroups(service);
  return {
    ...base,
    deployed: true,
    service: {
      name: serviceName,
      running: service.runningCount ?? 0,
      desired: service.desiredCount ?? 0,
      pending: service.pendingCount ?? 0,
      rolloutState: primary?.rolloutState ?? 'UNKNOWN',
      deployments: service.deployments?.length ?? 0,
      ...(primary?.taskDefinition ? { taskDefinition: primary.taskDefinition } : {}),
    },
    ...(targetGroupArn ? { targets: await targetHealth(aws.elbv2, targetGroupArn) } : {}),
  };
}

export function formatStatus(s: EnvironmentStatus): string {
  const lines = [`${s.env} (${s.region})`];
  lines.push(`  url:         ${s.url ?? '(not deployed)'}`);
  lines.push(`  image:       ${s.digest ?? '(none recorded)'}`);
  if (s.service) {
    lines.push(
      `  service:     ${s.service.running}/${s.service.desired} running, ${s.service.pending} pending, ` +
        `rollout ${s.service.rolloutState}${s.service.deployments > 1 ? ` (${s.service.deployments} deployments)` : ''}`,
    );
  } else {
    lines.push('  service:     (not deployed)');
  }
  if (s.targets) {
    lines.push(`  targets:     ${s.targets.healthy}/${s.targets.total} healthy`);
    for (const p of s.targets.problems) lines.push(`               ${p}`);
  }
  lines.push(`  alarms:      ${s.alarms.length === 0 ? 'none in ALARM' : `${s.alarms.length} in ALARM`}`);
  for (const a of s.alarms) lines.push(`               ${a.name}: ${a.reason}`);
  return lines.join('\n');
}
