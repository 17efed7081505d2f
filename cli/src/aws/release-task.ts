/**
 * The release step of a deploy: the service's release command (migrations) run once, as a one-off ECS task
 * with the new image, before CloudFormation replaces any task. A failure stops the deploy with the task's last
 * log lines; the running release is untouched.
 */
import { type CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  type ContainerDefinition,
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  type ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { OUTPUTS, RELEASE_CONTAINER, releaseLogStreamName } from '@berth/infra';
import { formatSeconds } from '../duration.js';
import { CliError } from '../errors.js';
import type { Clock } from './wait-for-steady-state.js';

/** Where the release task runs, from the Service stack's outputs (infra/lib/stacks/release-task-outputs.ts). */
export interface ReleaseTaskRef {
  readonly cluster: string;
  readonly taskDefinitionArn: string;
  readonly capacityProvider: string;
  readonly subnets: readonly string[];
  readonly securityGroup: string;
  readonly logGroupName: string;
}

const POLL_MS = 5_000;
const LOG_LINES = 30;

/**
 * The release task of a deployed Service stack, or undefined when it has none (no release command, or the
 * stack is not created yet): then a deploy has no release step.
 */
export function releaseTaskFromOutputs(
  outputs: Record<string, string>,
  where: string,
): ReleaseTaskRef | undefined {
  const taskDefinitionArn = outputs[OUTPUTS.releaseTaskDefinitionArn];
  if (taskDefinitionArn === undefined) return undefined;
  const required = (key: string) => {
    const value = outputs[key];
    if (value === undefined || value === '') {
      throw new CliError(
        `output ${key} not found in ${where}, though it has a release task: redeploy its infrastructure`,
      );
    }
    return value;
  };
  return {
    cluster: required(OUTPUTS.clusterName),
    taskDefinitionArn,
    capacityProvider: required(OUTPUTS.releaseCapacityProviderName),
    subnets: required(OUTPUTS.releaseSubnetIds).split(','),
    securityGroup: required(OUTPUTS.releaseSecurityGroupId),
    logGroupName: required(OUTPUTS.releaseLogGroupName),
  };
}

export interface ReleaseRun {
  /** `<repository uri>@sha256:…`: the image the deploy is about to roll out. */
  readonly image: string;
  /** The deploy's deadline (clock time): a release still running then is stopped. */
  readonly deadline: number;
  readonly clock: Clock;
  readonly progress: { step(message: string): void };
  /** Starts its progress lines (`api: running the release command …`): the service whose release command it is. */
  readonly label?: string;
}

/**
 * Registers a revision of the release task definition with `image`, runs it, waits until it stops and
 * returns when its container exited 0; otherwise throws a CliError with the task's last log lines.
 * The revision is deregistered afterwards (the stack's own update registers the one it keeps).
 */
export async function runReleaseTask(
  aws: { ecs: ECSClient; logs: CloudWatchLogsClient },
  ref: ReleaseTaskRef,
  run: ReleaseRun,
): Promise<void> {
  const revision = await registerRevision(aws.ecs, ref.taskDefinitionArn, run.image);
  const step = (line: string) => run.progress.step(run.label === undefined ? line : `${run.label}: ${line}`);
  try {
    step(`running the release command (${revision.split('/').at(-1)}) before the rollout`);
    const started = run.clock.now();
    const task = await startTask(aws.ecs, ref, revision);
    const stopped = await waitUntilStopped(aws.ecs, ref, task, run);
    const container = stopped.containers?.find((c) => c.name === RELEASE_CONTAINER.name);
    if (container?.exitCode === 0) {
      step(`release command exited 0 after ${formatSeconds(run.clock.now() - started)}`);
      return;
    }
    const why =
      container?.exitCode !== undefined
        ? `exit code ${container.exitCode}`
        : `${stopped.stopCode ?? 'stopped'}: ${stopped.stoppedReason ?? container?.reason ?? 'no reason given'}`;
    throw new CliError(
      `the release command failed (${why}); the deploy stopped before any task was replaced, the running release is unchanged`,
      await lastLogLines(aws.logs, ref.logGroupName, task),
    );
  } finally {
    await deregister(aws.ecs, revision);
  }
}

/** Best effort: a revision left ACTIVE is clutter, not a reason to fail a deploy that already has its answer. */
async function deregister(ecs: ECSClient, revision: string): Promise<void> {
  try {
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: revision }));
  } catch {
    // ignored: see above
  }
}

/**
 * DescribeTaskDefinition, then RegisterTaskDefinition with the same family and settings and the release
 * container's image replaced. The fields copied are RegisterTaskDefinition's request parameters (ECS API
 * Reference, "RegisterTaskDefinition"); revision, status and the other read-only fields are not parameters.
 */
async function registerRevision(ecs: ECSClient, taskDefinitionArn: string, image: string): Promise<string> {
  const { taskDefinition: current, tags } = await ecs.send(
    new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn, include: ['TAGS'] }),
  );
  const containers = current?.containerDefinitions ?? [];
  if (!current?.family || !containers.some((c) => c.name === RELEASE_CONTAINER.name)) {
    throw new CliError(
      `task definition ${taskDefinitionArn} has no container "${RELEASE_CONTAINER.name}": redeploy the infrastructure`,
    );
  }
  const { taskDefinition: registered } = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: current.family,
      taskRoleArn: current.taskRoleArn,
      executionRoleArn: current.executionRoleArn,
      networkMode: current.networkMode,
      containerDefinitions: containers.map(
        (c): ContainerDefinition => (c.name === RELEASE_CONTAINER.name ? { ...c, image } : c),
      ),
      volumes: current.volumes,
      placementConstraints: current.placementConstraints,
      requiresCompatibilities: current.requiresCompatibilities,
      cpu: current.cpu,
      memory: current.memory,
      pidMode: current.pidMode,
      ipcMode: current.ipcMode,
      runtimePlatform: current.runtimePlatform,
      ...(tags && tags.length > 0 ? { tags } : {}),
    }),
  );
  if (!registered?.taskDefinitionArn) throw new CliError('ECS registered no release task definition');
  return registered.taskDefinitionArn;
}

/** RunTask in the private subnets; placement failures come back in `failures`, not as an error (ECS API Reference, "RunTask"). */
async function startTask(ecs: ECSClient, ref: ReleaseTaskRef, taskDefinition: string): Promise<string> {
  const result = await ecs.send(
    new RunTaskCommand({
      cluster: ref.cluster,
      taskDefinition,
      count: 1,
      capacityProviderStrategy: [{ capacityProvider: ref.capacityProvider, weight: 1 }],
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: [...ref.subnets],
          securityGroups: [ref.securityGroup],
          assignPublicIp: 'DISABLED',
        },
      },
      startedBy: 'berth-release',
      propagateTags: 'TASK_DEFINITION',
    }),
  );
  const taskArn = result.tasks?.[0]?.taskArn;
  if (taskArn === undefined) {
    const reasons = (result.failures ?? []).map(
      (f) => `${f.reason ?? 'unknown'}${f.detail ? ` (${f.detail})` : ''}`,
    );
    throw new CliError(
      `the release task could not start: ${reasons.join('; ') || 'ECS returned no task'}; ` +
        'the deploy stopped before any task was replaced, the running release is unchanged',
    );
  }
  return taskArn;
}

/** DescribeTasks every few seconds until the task is STOPPED; at the deadline it is stopped (StopTask) and the deploy fails. */
async function waitUntilStopped(
  ecs: ECSClient,
  ref: ReleaseTaskRef,
  taskArn: string,
  run: ReleaseRun,
): Promise<Task> {
  for (;;) {
    const { tasks } = await ecs.send(new DescribeTasksCommand({ cluster: ref.cluster, tasks: [taskArn] }));
    const task = tasks?.[0];
    if (task?.lastStatus === 'STOPPED') return task;
    if (run.clock.now() + POLL_MS > run.deadline) {
      await ecs.send(
        new StopTaskCommand({
          cluster: ref.cluster,
          task: taskArn,
          reason: 'berth deploy: --timeout reached',
        }),
      );
      throw new CliError(
        `the release command was still running (${task?.lastStatus ?? 'unknown'}) at the --timeout: stopped it; ` +
          'the deploy stopped before any task was replaced, the running release is unchanged',
      );
    }
    await run.clock.sleep(POLL_MS);
  }
}

/** The last lines the release container logged (its stream: `release/release/<task id>`). */
async function lastLogLines(
  logs: CloudWatchLogsClient,
  logGroupName: string,
  taskArn: string,
): Promise<string> {
  const taskId = taskArn.split('/').at(-1) ?? taskArn;
  try {
    const { events } = await logs.send(
      new GetLogEventsCommand({
        logGroupName,
        logStreamName: releaseLogStreamName(taskId),
        limit: LOG_LINES,
        startFromHead: false,
      }),
    );
    const lines = (events ?? []).map((e) => `  ${(e.message ?? '').trimEnd()}`);
    return [`last ${lines.length} log lines of the release task ${taskId}:`, ...lines].join('\n');
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') {
      return `the release task ${taskId} wrote no log (the container never started)`;
    }
    return `(could not read the release task's log: ${error instanceof Error ? error.message : String(error)})`;
  }
}
