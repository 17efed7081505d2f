/**
 * What `berth deploy` and `berth rollback` print under a failure: which service of the environment broke (its
 * tasks that stopped on their own since the command started, each with its reason and exit code, and the last
 * lines the newest one logged), then the diagnosis of that service (events, stopped tasks, target health).
 * With no such task, the diagnosis of every service.
 */
import { type CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { logStreamName } from '@berth/infra';
import { diagnoseService, formatDiagnosis } from '../aws/diagnose.js';
import { type FailedTask, tasksThatFailed } from '../aws/failed-tasks.js';
import { type DeployedService, existingServices } from '../aws/service-outputs.js';
import { describeService, serviceTargetGroups } from '../aws/service-state.js';
import { readOutputs } from '../aws/stack-outputs.js';
import type { CommandContext } from '../context.js';
import type { Target } from '../target.js';

const LOG_LINES = 20;

export interface FailureExplanation {
  /** The services whose tasks stopped on their own since the command started, in the config's order. */
  readonly failed: readonly string[];
  readonly detail?: string;
}

/**
 * Best effort: a diagnosis that itself fails must not hide the original error. `since` (clock ms): when the
 * command started; tasks created before it are not this command's.
 */
export async function explainFailure(
  ctx: CommandContext,
  target: Target,
  since: number,
): Promise<FailureExplanation> {
  try {
    const aws = ctx.clients(target.region);
    const outputs = await readOutputs(aws.cfn, Object.values(target.stacks));
    const services = existingServices(target.config, outputs);
    if (services.length === 0) return { failed: [] };
    const failures = await Promise.all(services.map((s) => tasksThatFailed(aws.ecs, s, since)));
    const failed = services.flatMap((s, i) =>
      failures[i]!.length > 0 ? [{ service: s, tasks: failures[i]! }] : [],
    );
    const sections: string[] = [];
    for (const { service, tasks } of failed) {
      sections.push(await failedTasksSection(aws.logs, service, tasks));
    }
    const diagnosed = failed.length > 0 ? failed.map((f) => f.service) : services;
    for (const service of diagnosed) {
      const diagnosis = formatDiagnosis(await diagnoseService(aws, await diagnoseOptions(aws, service)));
      sections.push(services.length === 1 ? diagnosis : `${heading(service)}\n${indent(diagnosis)}`);
    }
    return { failed: failed.map((f) => f.service.name), detail: sections.join('\n') };
  } catch (error) {
    return {
      failed: [],
      detail: `(could not collect a diagnosis: ${error instanceof Error ? error.message : String(error)})`,
    };
  }
}

const heading = (service: DeployedService) => `${service.name} (${service.service}):`;
const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');

/** The live target group as ECS reports it now (blue/green swaps it), and where the service logs. */
async function diagnoseOptions(aws: ReturnType<CommandContext['clients']>, service: DeployedService) {
  const { live } = serviceTargetGroups(await describeService(aws.ecs, service));
  return {
    cluster: service.cluster,
    service: service.service,
    // Its container bears its name, and so its log streams (diagnose.ts takes it once services-observe lands).
    container: service.name,
    ...(live ? { targetGroupArn: live } : {}),
    ...(service.logGroupName ? { logGroupName: service.logGroupName } : {}),
  };
}

async function failedTasksSection(
  logs: CloudWatchLogsClient,
  service: DeployedService,
  tasks: readonly FailedTask[],
): Promise<string> {
  const lines = [
    `${service.name} failed: ${tasks.length} of its tasks stopped on their own (${service.service}):`,
  ];
  for (const task of tasks) {
    lines.push(`  ${task.taskId} (${task.revision}): ${task.stoppedReason}; ${task.containers.join(', ')}`);
  }
  const newest = tasks[0]!;
  const logged = await lastLogLines(logs, service, newest.taskId);
  if (logged !== undefined) {
    lines.push(`  last ${logged.length} log lines of ${newest.taskId}:`, ...logged.map((l) => `    ${l}`));
  }
  return lines.join('\n');
}

/** The task's last lines in its awslogs stream (`<service>/<service>/<task id>`); undefined when it has none. */
async function lastLogLines(
  logs: CloudWatchLogsClient,
  service: DeployedService,
  taskId: string,
): Promise<string[] | undefined> {
  if (service.logGroupName === undefined) return undefined;
  try {
    const { events } = await logs.send(
      new GetLogEventsCommand({
        logGroupName: service.logGroupName,
        logStreamName: logStreamName(service.name, taskId),
        limit: LOG_LINES,
        startFromHead: false,
      }),
    );
    return (events ?? []).map((e) => (e.message ?? '').trimEnd());
  } catch (error) {
    // A container that never started wrote no stream; the stop reason already says why.
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}
