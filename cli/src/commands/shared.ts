import type { Command } from 'commander';
import { createAwsClients } from '../aws/clients.js';
import { systemClock } from '../aws/wait-for-steady-state.js';
import { type CommandContext, REPO_ROOT } from '../context.js';
import { runCommand } from '../deploy/image-build.js';
import { StderrIoHost } from '../deploy/toolkit-io-host.js';
import { systemTerminal } from '../terminal.js';
import { Progress } from '../ui/progress.js';

/** Builds the real context only when a command runs, so `--help` loads no SDK client or CDK. */
export type ContextProvider = () => CommandContext;

export const defaultContext: ContextProvider = () => ({
  clients: createAwsClients,
  deployer: async (environments) => {
    const { ToolkitStackDeployer } = await import('../deploy/toolkit-deployer.js');
    return new ToolkitStackDeployer(environments, new StderrIoHost(process.stderr));
  },
  run: runCommand,
  progress: new Progress(process.stderr),
  clock: systemClock,
  fetch: (url, init) => fetch(url, init),
  stdout: process.stdout,
  repoRoot: REPO_ROOT,
  terminal: systemTerminal,
});

export function printJson(ctx: CommandContext, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** The region option every AWS command shares. */
export function withRegion(command: Command): Command {
  return command.option(
    '--region <region>',
    "one of the environment's configured regions (default: all / primary)",
  );
}
