import type { Command } from 'commander';
import { destroyEnvironment } from '../deploy/destroy-flow.js';
import { parseDuration } from '../duration.js';
import { type ContextProvider, withRegion } from './shared.js';

export function registerDestroyCommand(program: Command, context: ContextProvider): void {
  withRegion(
    program
      .command('destroy')
      .description(
        'tear an environment down: service to 0, instances released, then Monitoring, Service, Data, Network',
      )
      .argument('<env>', 'environment name (test, prod)')
      .option('--yes-destroy-prod', 'required to destroy prod')
      .option('--timeout <duration>', 'give up after this long', '60m'),
  ).action(async (env: string, flags: { region?: string; yesDestroyProd?: boolean; timeout: string }) => {
    const timeoutMs = parseDuration(flags.timeout, '--timeout');
    const ctx = await context(program.opts());
    const destroyed = await destroyEnvironment(ctx, {
      env,
      yesDestroyProd: flags.yesDestroyProd ?? false,
      timeoutMs,
      ...(flags.region ? { region: flags.region } : {}),
    });
    ctx.stdout.write(`destroyed ${destroyed.join(', ')}\n`);
  });
}
