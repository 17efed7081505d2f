import type { Command } from 'commander';
import { checkCredentials } from '../aws/credentials.js';
import { imageForCommit } from '../deploy/deploy-flow.js';
import { resolveTargets } from '../target.js';
import { type ContextProvider, printJson } from './shared.js';

/**
 * `berth image <env>`: this commit's image, built once for the environment's architecture and pushed (or
 * found, on a re-run), printed as its digest — CI's build job, so CI and `berth deploy` build the same way.
 */
export function registerImageCommand(program: Command, context: ContextProvider): void {
  program
    .command('image')
    .description(
      "build and push this commit's image for an environment's architecture (or find it) and print its digest",
    )
    .argument('<env>', 'environment whose cluster architecture the image is built for (test, prod)')
    .option('--json', 'print { digest } as JSON on stdout')
    .action(async (env: string, flags: { json?: boolean }) => {
      const ctx = await context(program.opts());
      const config = resolveTargets(ctx.config, env)[0]!.config;
      const primary = ctx.clients(ctx.config.global.primaryRegion);
      await checkCredentials(primary.sts, config);
      const digest = await imageForCommit(ctx, config, primary);
      if (flags.json) printJson(ctx, { digest });
      else ctx.stdout.write(`${digest}\n`);
    });
}
