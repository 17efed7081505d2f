import { type CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeTasksCommand,
  type ECSClient,
  ListTasksCommand,
  type Task,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { logStreamName } from '@berth/infra';
import { describeService, type ServiceRef, targetHealth } from './service-state.js';

export interface DiagnoseOptions extends ServiceRef {
  /** The service's container, named after the service: its tasks log to `<name>/<name>/<task id>`. */
  readonly container: string;
  readonly targetGroupArn?: string;
  readonly logGroupName?: string;
  readonly events?: number;
  readonly tasks?: number;
  readonly logLines?: number;
}

export interface StoppedTask {
  readonly taskId: string;
  readonly stoppedReason: string;
  readonly containers: string[];
  readonly logLines: string[];
}

export interface Diagnosis {
  readonly events: string[];
  readonly stoppedTasks: StoppedTask[];
  readonly targetProblems: string[];
}

const taskIdOf = (arn: string) => arn.split('/').at(-1) ?? arn;

async function stoppedTasks(ecs: ECSClient, ref: ServiceRef, limit: number): Promise<Task[]> {
  const listed = await ecs.send(
    new ListTasksCommand({
      cluster: ref.cluster,
      serviceName: ref.service,
      desiredStatus: 'STOPPED',
      maxResults: limit,
    }),
  );
  const arns = (listed.taskArns ?? []).slice(0, limit);
  if (arns.length === 0) return [];
  const described = await ecs.send(new DescribeTasksCommand({ cluster: ref.cluster, tasks: arns }));
  return [...(described.tasks ?? [])].sort(
    (a, b) => (b.stoppedAt?.getTime() ?? 0) - (a.stoppedAt?.getTime() ?? 0),
  );
}

async function lastLogLines(
  logs: CloudWatchLogsClient,
  where: { logGroupName: string; container: string },
  taskId: string,
  limit: number,
): Promise<string[]> {
  try {
    const result = await logs.send(
      new GetLogEventsCommand({
        logGroupName: where.logGroupName,
        logStreamName: logStreamName(where.container, taskId),
        limit,
        startFromHead: false,
      }),
    );
    return (result.events ?? []).map((e) => (e.message ?? '').trimEnd());
  } catch (error) {
    // A task that never started has no stream; that absence is itself a clue, not an error.
    if (error instanceof Error && error.name === 'ResourceNotFoundException')
      return ['(no log stream: the container never started)'];
    throw error;
  }
}

/** Everything that explains a failed rollout, gathered in one pass. */
export async function diagnoseService(
  clients: { ecs: ECSClient; elbv2: ElasticLoadBalancingV2Client; logs: CloudWatchLogsClient },
  options: DiagnoseOptions,
): Promise<Diagnosis> {
  const service = await describeService(clients.ecs, options);
  const events = [...(service.events ?? [])]
    .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))
    .slice(0, options.events ?? 5)
    .map((e) => `${e.createdAt?.toISOString() ?? ''} ${e.message ?? ''}`.trim());

  const tasks = await stoppedTasks(clients.ecs, options, options.tasks ?? 3);
  const stopped: StoppedTask[] = [];
  for (const task of tasks) {
    const taskId = taskIdOf(task.taskArn ?? '');
    const containers = (task.containers ?? []).map(
      (c) => `${c.name ?? '?'} exit ${c.exitCode ?? 'none'}${c.reason ? ` (${c.reason})` : ''}`,
    );
    const logLines = options.logGroupName
      ? await lastLogLines(
          clients.logs,
          { logGroupName: options.logGroupName, container: options.container },
          taskId,
          options.logLines ?? 20,
        )
      : [];
    stopped.push({ taskId, stoppedReason: task.stoppedReason ?? 'unknown', containers, logLines });
  }

  const targetProblems = options.targetGroupArn
    ? (await targetHealth(clients.elbv2, options.targetGroupArn)).problems
    : [];
  return { events, stoppedTasks: stopped, targetProblems };
}

export function formatDiagnosis(d: Diagnosis): string {
  const lines: string[] = [];
  lines.push('Service events (newest first):');
  for (const e of d.events) lines.push(`  ${e}`);
  if (d.events.length === 0) lines.push('  (none)');
  lines.push('Stopped tasks:');
  if (d.stoppedTasks.length === 0) lines.push('  (none)');
  for (const t of d.stoppedTasks) {
    lines.push(`  ${t.taskId}: ${t.stoppedReason}`);
    for (const c of t.containers) lines.push(`    container ${c}`);
    if (t.logLines.length > 0) lines.push('    last log lines:');
    for (const l of t.logLines) lines.push(`      ${l}`);
  }
  lines.push('Target health:');
  if (d.targetProblems.length === 0) lines.push('  (no unhealthy targets)');
  for (const p of d.targetProblems) lines.push(`  ${p}`);
  return lines.join('\n');
}

/**
 * Puts the service back on a known-good task definition when the circuit breaker did not (it is
 * only armed for rolling deploys). Returns immediately; the caller waits for steady state.
 */
export async function revertService(ecs: ECSClient, ref: ServiceRef, taskDefinition: string): Promise<void> {
  await ecs.send(
    new UpdateServiceCommand({
      cluster: ref.cluster,
      service: ref.service,
      taskDefinition,
      forceNewDeployment: true,
    }),
  );
}
