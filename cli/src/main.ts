import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { registerInitCommand } from './commands/init.js';
import type { ContextProvider } from './commands/shared.js';
import { registerUpCommand } from './commands/up.js';
import { CliError } from './errors.js';
import { PACKAGE_DIR } from './package-dir.js';
import type { Writer } from './ui/progress.js';

/** @berth/cli's version, from its package.json: what `berth --version` prints. */
function cliVersion(): string {
  return (JSON.parse(readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string })
    .version;
}

/**
 * The program with every command, or with the local ones alone (`up`, `init`): `npm start` is `berth up`,
 * and loading the other commands (the AWS SDK, the CDK toolkit: ~0.7 s) would be most of its start-up
 * time; `init` runs where no berth.config.ts exists yet, so it loads nothing that reads one.
 */
export async function buildProgram(context?: ContextProvider, only?: 'local'): Promise<Command> {
  const program = new Command('berth')
    .description('Run the service locally, deploy it to AWS, watch it, roll it back and tear it down.')
    .option(
      '--config <path>',
      'the berth.config.ts to use (default: the nearest one in the working directory or above it)',
    )
    .showSuggestionAfterError(false)
    .exitOverride()
    // Commander's errors become the same one-line shape as ours; subcommands inherit this.
    .configureOutput({
      outputError: (text, write) =>
        write(`berth: ${text.replace(/^error: /, '').trim()} (see berth --help)\n`),
    });
  program.addHelpText('after', "\nberth --version (or -V) prints Berth's version.");
  registerUpCommand(program);
  registerInitCommand(program);
  if (only === 'local') return program;
  const [ami, deploy, destroy, exec, image, logs, plan, rollback, shared, status] = await Promise.all([
    import('./commands/ami.js'),
    import('./commands/deploy.js'),
    import('./commands/destroy.js'),
    import('./commands/exec.js'),
    import('./commands/image.js'),
    import('./commands/logs.js'),
    import('./commands/plan.js'),
    import('./commands/rollback.js'),
    import('./commands/shared.js'),
    import('./commands/status.js'),
  ]);
  const aws = context ?? shared.defaultContext;
  image.registerImageCommand(program, aws);
  deploy.registerDeployCommand(program, aws);
  status.registerStatusCommand(program, aws);
  logs.registerLogsCommand(program, aws);
  exec.registerExecCommand(program, aws);
  rollback.registerRollbackCommand(program, aws);
  destroy.registerDestroyCommand(program, aws);
  plan.registerPlanCommand(program);
  ami.registerAmiCommands(program);
  (await import('./commands/bootstrap.js')).registerBootstrapCommand(program);
  return program;
}

/** Runs the CLI and returns the exit code; every failure becomes one line on stderr (plus detail). */
export async function main(
  argv: string[],
  context?: ContextProvider,
  stderr: Writer = process.stderr,
): Promise<number> {
  // Answered before commander: a program-level --version option would also take `berth ami build --version <v>`
  // (commander reads program options after a command's name too).
  if (argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V')) {
    process.stdout.write(`${cliVersion()}\n`);
    return 0;
  }
  const local = argv[2] === 'up' || argv[2] === 'init';
  const program = await buildProgram(context, local ? 'local' : undefined);
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
