/**
 * Which service of an environment broke a deploy, and why: its tasks that stopped on their own since the deploy
 * started. A task whose essential container exited, or that never started, has stop code
 * EssentialContainerExited or TaskFailedToStart; the tasks a deployment replaces (ServiceSchedulerInitiated) or a
 * user stops (UserInitiated) say nothing about the new image (ECS Developer Guide, "Amazon ECS stopped tasks
 * error codes"; ECS API Reference, "Task": stopCode, createdAt).
 */
import { DescribeTasksCommand, type ECSClient, ListTasksCommand, type Task } from '@aws-sdk/client-ecs';
import type { ServiceRef } from './service-state.js';

const FAILURE_CODES: readonly string[] = ['EssentialContainerExited', 'TaskFailedToStart'];

/** ListTasks answers at most 100 per page (then a nextToken) and DescribeTasks takes at most 100 (ECS API Reference). */
const PAGE = 100;

export interface FailedTask {
  readonly taskId: string;
  /** `BerthTestWorker:7`: the revision it ran. */
  readonly revision: string;
  /** `Essential container in task exited`. */
  readonly stoppedReason: string;
  /** `worker exit 1`, or `worker exit none (CannotPullContainerError: …)` for a container that never ran. */
  readonly containers: readonly string[];
}

/** The service's tasks created at or after `since` (clock ms) that stopped on their own, newest first. */
export async function tasksThatFailed(ecs: ECSClient, ref: ServiceRef, since: number): Promise<FailedTask[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(
      new ListTasksCommand({
        cluster: ref.cluster,
        serviceName: ref.service,
        desiredStatus: 'STOPPED',
        maxResults: PAGE,
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    arns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  const tasks: Task[] = [];
  for (let at = 0; at < arns.length; at += PAGE) {
    const described = await ecs.send(
      new DescribeTasksCommand({ cluster: ref.cluster, tasks: arns.slice(at, at + PAGE) }),
    );
    tasks.push(...(described.tasks ?? []));
  }
  return tasks
    .filter((t) => FAILURE_CODES.includes(t.stopCode ?? '') && (t.createdAt?.getTime() ?? 0) >= since)
    .sort((a, b) => (b.stoppedAt?.getTime() ?? 0) - (a.stoppedAt?.getTime() ?? 0))
    .map(failedTask);
}

function failedTask(task: Task): FailedTask {
  return {
    taskId: task.taskArn?.split('/').at(-1) ?? '?',
    revision: task.taskDefinitionArn?.split('/').at(-1) ?? '?',
    stoppedReason: task.stoppedReason ?? 'no reason given',
    containers: (task.containers ?? []).map(
      (c) => `${c.name ?? '?'} exit ${c.exitCode ?? 'none'}${c.reason ? ` (${c.reason})` : ''}`,
    ),
  };
}
