import { Command, CommanderError } from 'commander';
import { registerAmiCommands } from './commands/ami.js';
import { registerDeployCommand } from './commands/deploy.js';
import { registerDestroyCommand } from './commands/destroy.js';
import { registerExecCommand } from './commands/exec.js';
import { registerLogsCommand } from './commands/logs.js';
import { registerPlanCommand } from './commands/plan.js';
import { registerRollbackCommand } from './commands/rollback.js';
import { type ContextProvider, defaultContext } from './commands/shared.js';
import { registerStatusCommand } from './commands/status.js';
import { registerUpCommand } from './commands/up.js';
import { CliError } from './errors.js';
import type { Writer } from './ui/progress.js';

export async function buildProgram(context: ContextProvider = defaultContext): Promise<Command> {
  const program = new Command('berth')
    .description('Run the service locally, deploy it to AWS, watch it, roll it back and tear it down.')
    .showSuggestionAfterError(false)
    .exitOverride()
    // Commander's errors become the same one-line shape as ours; subcommands inherit this.
    .configureOutput({
      outputError: (text, write) =>
        write(`berth: ${text.replace(/^error: /, '').trim()} (see berth --help)\n`),
    });
  registerUpCommand(program);
  registerDeployCommand(program, context);
  registerStatusCommand(program, context);
  registerLogsCommand(program, context);
  registerExecCommand(program, context);
  registerRollbackCommand(program, context);
  registerDestroyCommand(program, context);
  registerPlanCommand(program);
  registerAmiCommands(program);
  return program;
}

/** Runs the CLI and returns the exit code; every failure becomes one line on stderr (plus detail). */
export async function main(
  argv: string[],
  context?: ContextProvider,
  stderr: Writer = process.stderr,
): Promise<number> {
  const program = await buildProgram(context);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode; // commander already printed the line
    if (error instanceof CliError) {
      stderr.write(`berth: ${error.message}\n`);
      if (error.detail) stderr.write(`${error.detail}\n`);
      return 1;
    }
    const message = error instanceof Error ? error.message : String(error);
    stderr.write(`berth: unexpected error: ${message.split('\n')[0]}\n`);
    if (process.env.BERTH_DEBUG && error instanceof Error) stderr.write(`${error.stack}\n`);
    return 1;
  }
}
