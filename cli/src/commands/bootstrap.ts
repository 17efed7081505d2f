import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { bootstrapRegions, bootstrapSteps, type Region } from '@berth/infra';
import type { Command } from 'commander';
import { loadProjectConfig } from '../config.js';
import { CliError } from '../errors.js';
import { resolveEnvironment } from '../target.js';
import type { Writer } from '../ui/progress.js';

/**
 * The CDK's own bootstrap template, from the toolkit that deploys the stacks (@aws-cdk/toolkit-lib, a
 * dependency of this package): the one whose roles and version our deploys expect.
 */
export function cdkBootstrapTemplate(): string {
  const require = createRequire(import.meta.url);
  const toolkit = path.dirname(require.resolve('@aws-cdk/toolkit-lib/package.json'));
  return readFileSync(path.join(toolkit, 'lib/api/bootstrap/bootstrap-template.yaml'), 'utf8');
}

export interface BootstrapIo {
  /** The commands to run, one a line: nothing else, so they can be copied or piped. */
  readonly stdout: Writer;
  /** What was written, and how to run the commands. */
  readonly stderr: Writer;
}

/**
 * `berth bootstrap <env> [--region r]`: writes the env's execution policy and bootstrap template into
 * `.berth/bootstrap/<env>/` of the user's repository, generated from its berth.config.ts, and prints
 * the `aws` and `cdk` commands that use them (docs/deploy.md, "Bootstrap each environment").
 */
export function registerBootstrapCommand(
  program: Command,
  io: BootstrapIo = { stdout: process.stdout, stderr: process.stderr },
): void {
  program
    .command('bootstrap')
    .description(
      "write an environment's CDK bootstrap template and execution policy (.berth/bootstrap/<env>/) and print the commands that apply them",
    )
    .argument('<env>', 'environment name (test, prod)')
    .option('--region <region>', 'bootstrap this region only (default: every region the environment needs)')
    .action(async (envName: string, flags: { region?: string }, command: Command) => {
      const config = await loadProjectConfig(command.optsWithGlobals());
      const env = resolveEnvironment(config, envName).name;
      const needed = bootstrapRegions(config, env);
      if (flags.region !== undefined && !(needed as readonly string[]).includes(flags.region)) {
        throw new CliError(
          `${env} needs no bootstrap in "${flags.region}": use one of ${needed.join(', ')} (environments.${env}.regions in berth.config.ts)`,
        );
      }
      const { bootstrapFiles } = await import('@berth/infra/bootstrap');
      const files = bootstrapFiles(config, env, cdkBootstrapTemplate());
      for (const file of files) {
        const target = path.join(config.projectRoot, file.path);
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, file.text);
      }
      const regions = flags.region === undefined ? needed : [flags.region as Region];
      io.stderr.write(
        `wrote ${files.map((f) => f.path).join(' and ')} from ${path.relative(process.cwd(), config.file) || config.file}; ` +
          `run these from ${config.projectRoot} with administrator credentials for account ${config.environments[env].account}:\n`,
      );
      io.stdout.write(`${bootstrapSteps(config, env, regions).join('\n')}\n`);
    });
}
