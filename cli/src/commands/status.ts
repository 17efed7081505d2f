import type { Command } from 'commander';
import { environmentStatus, formatStatus } from '../observe/status.js';
import { type ContextProvider, printJson, withRegion } from './shared.js';

export function registerStatusCommand(program: Command, context: ContextProvider): void {
  withRegion(
    program
      .command('status')
      .description(
        "what runs where: image digest, each service's tasks and rollout, web services' target health and URL, alarms",
      )
      .argument('<env>', 'environment name (test, prod)')
      .option('--json', 'print the status as JSON on stdout'),
  ).action(async (env: string, flags: { region?: string; json?: boolean }) => {
    const ctx = await context(program.opts());
    const status = await environmentStatus(ctx, { env, ...(flags.region ? { region: flags.region } : {}) });
    if (flags.json) printJson(ctx, status);
    else ctx.stdout.write(`${formatStatus(status)}\n`);
  });
}
