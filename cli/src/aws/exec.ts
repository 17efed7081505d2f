/**
 * ECS Exec from the CLI: pick a running task that can take a session, open the session with ECS
 * `ExecuteCommand`, and describe the `session-manager-plugin` invocation that carries it, exactly as the
 * AWS CLI's `aws ecs execute-command` does (aws-cli, awscli/customizations/ecs/executecommand.py).
 */
import {
  DescribeTasksCommand,
  type ECSClient,
  ExecuteCommandCommand,
  ListTasksCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { CliError } from '../errors.js';
import { describeService, type ServiceRef } from './service-state.js';

/** The binary the AWS CLI hands ECS Exec sessions to. */
export const SESSION_MANAGER_PLUGIN = 'session-manager-plugin';
/** AWS's install page for it (Systems Manager User Guide, "Install the Session Manager plugin for the AWS CLI"). */
export const PLUGIN_INSTALL_URL =
  'https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html';
/** The agent ECS starts in each container of a task launched with exec on (ECS API Reference, "ManagedAgent"). */
const EXEC_AGENT = 'ExecuteCommandAgent';

export interface ExecRequest extends ServiceRef {
  readonly env: string;
  /** The container to open the session in: the service's own, named after it in berth.config.ts. */
  readonly container: string;
  /** A task id or ARN; default: the first running task of the service that can take a session. */
  readonly task?: string;
  readonly command: string;
}

/** What `session-manager-plugin` is run with: `<session> <region> StartSession <profile> <params> <endpoint>`. */
export interface PluginInvocation {
  readonly taskArn: string;
  readonly args: readonly string[];
}

const taskIdOf = (arn: string) => arn.split('/').at(-1) ?? arn;

const execAgentOf = (task: Task, container: string) =>
  task.containers?.find((c) => c.name === container)?.managedAgents?.find((a) => a.name === EXEC_AGENT);

/** Why this task cannot take a session, or undefined when it can. */
function unusable(task: Task, request: ExecRequest): string | undefined {
  const id = taskIdOf(task.taskArn ?? '');
  if (task.lastStatus !== 'RUNNING') return `task ${id} is ${task.lastStatus ?? 'unknown'}, not RUNNING`;
  // A task keeps the setting it started with (ECS Developer Guide, "Monitor Amazon ECS containers with ECS Exec").
  if (!task.enableExecuteCommand) {
    return (
      `task ${id} started before exec was turned on: replace the tasks with ` +
      `\`aws ecs update-service --cluster ${request.cluster} --service ${request.service} --force-new-deployment\``
    );
  }
  if (!task.containers?.some((c) => c.name === request.container)) {
    return (
      `task ${id} has no container ${request.container}: it runs an older task definition; ` +
      `deploy the environment (berth deploy ${request.env}) so every task runs the current one`
    );
  }
  const agent = execAgentOf(task, request.container);
  if (agent?.lastStatus !== 'RUNNING') {
    return (
      `the exec agent of task ${id} is ${agent?.lastStatus ?? 'absent'}, not RUNNING: ` +
      'check the task role and its network path to ssmmessages (docs/runbook-exec.md)'
    );
  }
  return undefined;
}

async function describeTasks(ecs: ECSClient, cluster: string, tasks: string[]): Promise<Task[]> {
  if (tasks.length === 0) return [];
  const result = await ecs.send(new DescribeTasksCommand({ cluster, tasks }));
  return result.tasks ?? [];
}

/** The task to open the session in, with one-line errors that say what to do. */
export async function findExecTask(ecs: ECSClient, request: ExecRequest): Promise<Task> {
  const service = await describeService(ecs, request);
  if (!service.enableExecuteCommand) {
    throw new CliError(
      `exec is off in ${request.env}: set environments.${request.env}.exec.enabled: true in berth.config.ts, ` +
        `then \`berth deploy ${request.env}\``,
    );
  }
  if (request.task) {
    const [task] = await describeTasks(ecs, request.cluster, [request.task]);
    if (!task) {
      throw new CliError(
        `task ${request.task} not found in cluster ${request.cluster}: omit --task to pick one`,
      );
    }
    const problem = unusable(task, request);
    if (problem) throw new CliError(problem);
    return task;
  }
  const listed = await ecs.send(
    new ListTasksCommand({
      cluster: request.cluster,
      serviceName: request.service,
      desiredStatus: 'RUNNING',
    }),
  );
  const tasks = await describeTasks(ecs, request.cluster, listed.taskArns ?? []);
  const ready = tasks.find((t) => unusable(t, request) === undefined);
  if (ready) return ready;
  if (tasks.length === 0) {
    throw new CliError(
      `no running task in service ${request.service}: check \`berth status ${request.env}\``,
    );
  }
  throw new CliError(unusable(tasks[0]!, request)!);
}

/**
 * Opens the session (ExecuteCommand, interactive: the only mode ECS supports) and returns the plugin's
 * arguments. The plugin's target is `ecs:<cluster>_<task id>_<container runtime id>`.
 */
export async function startExecSession(
  ecs: ECSClient,
  request: ExecRequest & { readonly region: string; readonly profile?: string },
  task: Task,
): Promise<PluginInvocation> {
  const taskArn = task.taskArn!;
  const response = await ecs.send(
    new ExecuteCommandCommand({
      cluster: request.cluster,
      task: taskArn,
      container: request.container,
      command: request.command,
      interactive: true,
    }),
  );
  if (!response.session)
    throw new CliError(`ECS returned no session for task ${taskIdOf(taskArn)}: try again`);
  const runtimeId = task.containers?.find((c) => c.name === request.container)?.runtimeId;
  const cluster = (response.clusterArn ?? request.cluster).split('/').at(-1);
  const target = `ecs:${cluster}_${taskIdOf(taskArn)}_${runtimeId}`;
  return {
    taskArn,
    args: [
      JSON.stringify(response.session),
      request.region,
      'StartSession',
      request.profile ?? '',
      JSON.stringify({ Target: target }),
      `https://ecs.${request.region}.amazonaws.com`,
    ],
  };
}
