import type { Command } from 'commander';
import { rollbackEnvironment } from '../deploy/rollback-flow.js';
import { parseDuration } from '../duration.js';
import { type ContextProvider, printJson, withRegion } from './shared.js';

export function registerRollbackCommand(program: Command, context: ContextProvider): void {
  withRegion(
    program
      .command('rollback')
      .description('redeploy the image that ran before the current one and wait for steady state')
      .argument('<env>', 'environment name (test, prod)')
      .option(
        '--to <release>',
        'roll back to this release (a digest, or <image>=<digest> pairs) instead of the previous one',
      )
      .option('--timeout <duration>', "give up after this long (default: berth plan's rollback estimate)")
      .option('--json', 'print the result as JSON on stdout'),
  ).action(async (env: string, flags: { to?: string; region?: string; timeout?: string; json?: boolean }) => {
    const timeoutMs = flags.timeout === undefined ? undefined : parseDuration(flags.timeout, '--timeout');
    const ctx = await context(program.opts());
    const result = await rollbackEnvironment(ctx, {
      env,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(flags.to ? { to: flags.to } : {}),
      ...(flags.region ? { region: flags.region } : {}),
    });
    if (flags.json) printJson(ctx, result);
    else ctx.stdout.write(`${result.env} now runs ${result.to}\n`);
  });
}
