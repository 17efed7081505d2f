import { OUTPUTS, serviceOutputs } from '@berth/infra';
import type { Command } from 'commander';
import { checkCredentials } from '../aws/credentials.js';
import { findExecTask, PLUGIN_INSTALL_URL, SESSION_MANAGER_PLUGIN, startExecSession } from '../aws/exec.js';
import { readOutputs, requireOutput } from '../aws/stack-outputs.js';
import { CliError } from '../errors.js';
import { serviceOrOnlyWeb } from '../observe/select-service.js';
import { resolveTarget } from '../target.js';
import { systemTerminal } from '../terminal.js';
import { type ContextProvider, withRegion } from './shared.js';

/** What a session runs when no command follows `--`. */
export const DEFAULT_EXEC_COMMAND = '/bin/sh';

export function registerExecCommand(program: Command, context: ContextProvider): void {
  withRegion(
    program
      .command('exec')
      .description(
        'open a shell, or run one command, in a running task through ECS Exec (no SSH, no open port)',
      )
      .argument('<env>', 'environment name (test, prod)')
      .argument('[command...]', `command to run, after -- (default: ${DEFAULT_EXEC_COMMAND})`)
      .option('--service <name>', 'the service to open the session in (default: the only web service)')
      .option('--task <id>', 'task id or ARN (default: the first running task that accepts a session)'),
  ).action(
    async (env: string, command: string[], flags: { region?: string; service?: string; task?: string }) => {
      const ctx = await context(program.opts());
      const target = resolveTarget(ctx.config, env, flags.region);
      const service = serviceOrOnlyWeb(target.config, flags.service);
      const terminal = ctx.terminal ?? systemTerminal;
      // Before any AWS call, so a missing plugin never leaves a session open on the task.
      if (!terminal.has(SESSION_MANAGER_PLUGIN)) {
        throw new CliError(
          `${SESSION_MANAGER_PLUGIN} is not on PATH: install it (${PLUGIN_INSTALL_URL}), then run berth exec again`,
        );
      }
      const aws = ctx.clients(target.region);
      await checkCredentials(aws.sts, target.config);
      const outputs = await readOutputs(aws.cfn, Object.values(target.stacks));
      const where = `the ${env} stacks`;
      const request = {
        env,
        cluster: requireOutput(outputs, OUTPUTS.clusterName, where),
        service: requireOutput(outputs, serviceOutputs(service.name).serviceName, where),
        container: service.name,
        task: flags.task,
        command: command.length > 0 ? command.join(' ') : DEFAULT_EXEC_COMMAND,
        region: target.region,
        profile: process.env.AWS_PROFILE,
      };
      const task = await findExecTask(aws.ecs, request);
      const session = await startExecSession(aws.ecs, request, task);
      ctx.progress.step(
        `session in ${service.name} task ${session.taskArn.split('/').at(-1)}, container ${service.name} (logged)`,
      );
      const code = await terminal.attach(SESSION_MANAGER_PLUGIN, session.args);
      if (code !== 0) throw new CliError(`${SESSION_MANAGER_PLUGIN} exited with code ${code}`);
    },
  );
}
