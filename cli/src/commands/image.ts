import type { Command } from 'commander';
import { checkCredentials } from '../aws/credentials.js';
import { imagesForCommit, releaseText } from '../deploy/deploy-flow.js';
import { buildsNothing, NOTHING_TO_BUILD } from '../deploy/prebuilt-app.js';
import { resolveTargets } from '../target.js';
import { type ContextProvider, printJson } from './shared.js';

/**
 * `berth image <env>`: this commit's images, each built once for the environment's architecture and pushed (or
 * found, on a re-run), printed as the release `berth deploy --image-digest` takes — its digest when the app
 * builds one image, else `<image>=<digest>` pairs — CI's build job, so CI and `berth deploy` build the same way.
 * An app whose every service runs a prebuilt image has nothing to build: it says so, prints no release (JSON:
 * `{ "digest": null, "images": {} }`) and makes no AWS call.
 */
export function registerImageCommand(program: Command, context: ContextProvider): void {
  program
    .command('image')
    .description(
      "build and push this commit's images for an environment's architecture (or find them) and print the release to deploy",
    )
    .argument('<env>', 'environment whose cluster architecture the image is built for (test, prod)')
    .option('--json', 'print { digest, images } as JSON on stdout: the release and each image by name')
    .action(async (env: string, flags: { json?: boolean }) => {
      const ctx = await context(program.opts());
      const config = resolveTargets(ctx.config, env)[0]!.config;
      if (buildsNothing(ctx.config)) {
        ctx.progress.step(NOTHING_TO_BUILD);
        if (flags.json) printJson(ctx, { digest: null, images: {} });
        return;
      }
      const primary = ctx.clients(ctx.config.global.primaryRegion);
      await checkCredentials(primary.sts, config);
      const images = await imagesForCommit(ctx, config, primary);
      const digest = releaseText(ctx, images);
      if (flags.json) printJson(ctx, { digest, images });
      else ctx.stdout.write(`${digest}\n`);
    });
}
