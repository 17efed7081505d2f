import type { Command } from 'commander';
import { deployEnvironment } from '../deploy/deploy-flow.js';
import { deployGlobalOnly } from '../deploy/global-deploy.js';
import { parseDuration } from '../duration.js';
import { CliError } from '../errors.js';
import { ALLOW_CHANGE_FLAG } from '../plan/preflight.js';
import { type ContextProvider, printJson, withRegion } from './shared.js';

interface DeployFlags {
  imageTag?: string;
  imageDigest?: string;
  region?: string;
  timeout?: string;
  skipBuild?: boolean;
  json?: boolean;
  allowChange?: string[];
  globalOnly?: boolean;
}

/** The flags that choose an image or a region: meaningless for the account-wide stack alone. */
const NOT_WITH_GLOBAL_ONLY = {
  imageTag: '--image-tag',
  imageDigest: '--image-digest',
  skipBuild: '--skip-build',
  region: '--region',
} as const;

export function registerDeployCommand(program: Command, context: ContextProvider): void {
  withRegion(
    program
      .command('deploy')
      .description('deploy an environment: image, stacks in order, steady state, smoke test, digest record')
      .argument('<env>', 'environment name (test, prod)')
      .option('--image-tag <tag>', 'deploy this ECR tag (resolved to its digest first)')
      .option(
        '--image-digest <release>',
        'deploy this release, e.g. the one `berth image` printed in CI: its digest (sha256:…), or <image>=<digest> pairs joined by commas when the app builds several images',
      )
      .option('--skip-build', 'without an image flag: keep the digest already deployed (infrastructure-only)')
      .option(
        '--timeout <duration>',
        "give up after this long: cancel a running stack update and say what still runs (default: berth plan's estimate, 1.5 × rounded up to 5m)",
      )
      .option(
        `${ALLOW_CHANGE_FLAG} <id...>`,
        'accept these change-safety findings by id (berth plan lists them; see docs/change-safety.md)',
      )
      .option(
        '--global-only',
        'deploy only the account-wide stack (CI roles, GitHub OIDC provider, image registry), e.g. in a new account before the first test deploy',
      )
      .option('--json', 'print the result as JSON on stdout'),
  ).action(async (env: string, flags: DeployFlags) => {
    const timeoutMs = flags.timeout === undefined ? undefined : parseDuration(flags.timeout, '--timeout');
    const ctx = await context(program.opts());
    if (flags.globalOnly) {
      const unused = Object.entries(NOT_WITH_GLOBAL_ONLY).find(([key]) => flags[key as keyof DeployFlags]);
      if (unused) {
        throw new CliError(`--global-only deploys no image and no environment stack: drop ${unused[1]}`);
      }
      const result = await deployGlobalOnly(ctx, {
        env,
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        ...(flags.allowChange ? { allowChange: flags.allowChange } : {}),
      });
      if (flags.json) printJson(ctx, result);
      else for (const [key, value] of Object.entries(result.outputs)) ctx.stdout.write(`${key}\t${value}\n`);
      return;
    }
    const result = await deployEnvironment(ctx, {
      env,
      ...(flags.region ? { region: flags.region } : {}),
      ...(flags.imageTag ? { imageTag: flags.imageTag } : {}),
      ...(flags.imageDigest ? { imageDigest: flags.imageDigest } : {}),
      skipBuild: flags.skipBuild ?? false,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(flags.allowChange ? { allowChange: flags.allowChange } : {}),
    });
    if (flags.json) printJson(ctx, result);
    else {
      // Workers only: no URL; what runs is named instead (the progress lines list the services).
      for (const r of result.regions) {
        ctx.stdout.write(`${r.url ?? `${result.env} (${r.region}): deployed, no URL (no web service)`}\n`);
      }
    }
  });
}
