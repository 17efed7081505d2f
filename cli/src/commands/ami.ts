import { resolve } from 'node:path';
import {
  type Architecture,
  type EnvironmentConfig,
  OUTPUTS,
  type Region,
  type ResolvedConfig,
} from '@berth/infra';
import type { Command } from 'commander';
import { parseArchitecture, parseArchitectures } from '../ami/architecture.js';
import { awsRecommendedAmi } from '../ami/aws-recommended.js';
import { buildAmis, MANIFEST_FILE } from '../ami/build.js';
import { type AmiContext, defaultAmiContext } from '../ami/context.js';
import { findBuiltAmi, readManifest } from '../ami/manifest.js';
import { publishAmi } from '../ami/publish.js';
import { rollbackAmi } from '../ami/rollback.js';
import { cancelRollout, requireBerthAmi, rolloutAmi } from '../ami/rollout.js';
import { checkCredentials } from '../aws/credentials.js';
import { readOutputs, requireOutput } from '../aws/stack-outputs.js';
import { loadProjectConfig } from '../config.js';
import { parseDuration } from '../duration.js';
import { CliError } from '../errors.js';
import { resolveTargets, type Target } from '../target.js';

const POLL_INTERVAL_MS = 15_000;

function architectureFor(config: EnvironmentConfig, flag: string | undefined): Architecture {
  return flag === undefined ? config.cluster.architecture : parseArchitecture(flag);
}

/** Every region any environment runs in: where the AMI must exist. */
function allRegions(config: ResolvedConfig): Region[] {
  return [...new Set(Object.values(config.environments).flatMap((e) => e.regions))];
}

/** berth.config.ts for this command: `--config` on the program, or the nearest above the working directory. */
const projectConfig = (command: Command) => loadProjectConfig(command.optsWithGlobals());

async function signedIn(ctx: AmiContext, target: Target) {
  const clients = ctx.clients(target.region);
  await checkCredentials(clients.sts, target.config);
  return clients;
}

async function gitSha(ctx: AmiContext, projectRoot: string): Promise<string> {
  try {
    const result = await ctx.run('git', ['rev-parse', 'HEAD'], { cwd: projectRoot, capture: true });
    return result.code === 0 ? result.stdout.trim() : 'unknown';
  } catch {
    return 'unknown';
  }
}

function registerBuild(ami: Command, context: () => AmiContext): void {
  ami
    .command('build')
    .description(
      'build the ECS node AMI with Packer (needs Packer >= 1.7 and AWS credentials that may run EC2)',
    )
    .option('--arch <arch>', 'x86_64, arm64 or all', 'all')
    .option(
      '--version <version>',
      'AMI version for the name and Version tag (default: date and short git sha)',
    )
    .action(async (flags: { arch: string; version?: string }, command: Command) => {
      const architectures = parseArchitectures(flags.arch);
      const config = await projectConfig(command);
      const ctx = context();
      const sha = await gitSha(ctx, config.projectRoot);
      const region = config.global.primaryRegion;
      const version = flags.version ?? `${new Date(ctx.now()).toISOString().slice(0, 10)}-${sha.slice(0, 7)}`;
      ctx.progress.step(`building ${architectures.join(', ')} AMI ${version} in ${region}`);
      const built = await buildAmis(
        {
          projectRoot: config.projectRoot,
          app: config.app,
          architectures,
          region,
          copyToRegions: allRegions(config).filter((r) => r !== region),
          version,
          gitSha: sha,
        },
        ctx.run,
      );
      for (const ami of built) ctx.stdout.write(`${ami.architecture}\t${ami.region}\t${ami.amiId}\n`);
    });
}

function registerPublish(ami: Command, context: () => AmiContext): void {
  ami
    .command('publish')
    .description("verify an AMI and make it the environment's node image (SSM /<app>/<env>/ami/<arch>)")
    .argument('<env>', 'environment name (test, prod)')
    .option('--ami <id>', `AMI to publish (default: the one in ${MANIFEST_FILE} for the region)`)
    .option('--arch <arch>', "x86_64 or arm64 (default: the environment's cluster architecture)")
    .option('--region <region>', "one of the environment's regions (default: all of them)")
    .option(
      '--manifest <path>',
      'Packer manifest to read AMI ids from, relative to the project root (what `berth ami build` wrote)',
      MANIFEST_FILE,
    )
    .option(
      '--aws-recommended',
      "publish AWS's current ECS-optimized AL2023 AMI: how a new environment boots before the first Packer AMI",
    )
    .action(
      async (
        env: string,
        flags: { ami?: string; arch?: string; region?: string; manifest: string; awsRecommended?: boolean },
        command: Command,
      ) => {
        const config = await projectConfig(command);
        const targets = resolveTargets(config, env, flags.region);
        const architecture = architectureFor(targets[0]!.config, flags.arch);
        if (flags.ami && flags.awsRecommended) {
          throw new CliError('pass either --ami or --aws-recommended, not both');
        }
        if (flags.ami && targets.length > 1) {
          throw new CliError(
            `${env} runs in ${targets.map((t) => t.region).join(', ')} and an AMI id belongs to one region: add --region`,
          );
        }
        const ctx = context();
        const fromManifest = !flags.ami && !flags.awsRecommended;
        const built = fromManifest ? await readManifest(resolve(config.projectRoot, flags.manifest)) : [];
        for (const target of targets) {
          const { ec2, ssm } = await signedIn(ctx, target);
          const amiId = flags.awsRecommended
            ? await awsRecommendedAmi(ssm, architecture, target.region)
            : (flags.ami ?? findBuiltAmi(built, architecture, target.region).amiId);
          const published = await publishAmi(ec2, ssm, {
            names: config.names,
            env: target.env,
            region: target.region,
            architecture,
            amiId,
          });
          ctx.stdout.write(
            `${target.region}: ${published.parameter} = ${published.amiId} (version ${published.version}); ` +
              `roll it out with \`berth ami rollout ${env}\` after \`berth deploy ${env} --skip-build\`\n`,
          );
        }
      },
    );
}

function registerRollback(ami: Command, context: () => AmiContext): void {
  ami
    .command('rollback')
    .description('republish the AMI that was published before the current one')
    .argument('<env>', 'environment name (test, prod)')
    .option('--arch <arch>', "x86_64 or arm64 (default: the environment's cluster architecture)")
    .option('--region <region>', "one of the environment's regions (default: all of them)")
    .action(async (env: string, flags: { arch?: string; region?: string }, command: Command) => {
      const config = await projectConfig(command);
      const targets = resolveTargets(config, env, flags.region);
      const architecture = architectureFor(targets[0]!.config, flags.arch);
      const ctx = context();
      for (const target of targets) {
        const { ec2, ssm } = await signedIn(ctx, target);
        const result = await rollbackAmi(ec2, ssm, {
          names: config.names,
          env: target.env,
          region: target.region,
          architecture,
        });
        ctx.stdout.write(
          `${target.region}: ${result.parameter} back to ${result.amiId} (was ${result.replaced}); ` +
            `now \`berth deploy ${env} --skip-build\` and \`berth ami rollout ${env}\`\n`,
        );
      }
    });
}

function registerRollout(ami: Command, context: () => AmiContext): void {
  ami
    .command('rollout')
    .description('replace the nodes with the published AMI: instance refresh, launch before terminate')
    .argument('<env>', 'environment name (test, prod)')
    .option('--region <region>', "one of the environment's regions (default: all of them, one after another)")
    .option('--timeout <duration>', 'stop watching after this long (the refresh keeps running)', '60m')
    .option('--warmup <duration>', 'time a new node gets before it counts as healthy', '5m')
    .option('--cancel', 'cancel the running instance refresh instead of starting one')
    .action(
      async (
        env: string,
        flags: { region?: string; timeout: string; warmup: string; cancel?: boolean },
        command: Command,
      ) => {
        const config = await projectConfig(command);
        const targets = resolveTargets(config, env, flags.region);
        const timeoutMs = parseDuration(flags.timeout, '--timeout');
        const warmupMs = parseDuration(flags.warmup, '--warmup');
        if (!flags.cancel) requireBerthAmi(targets[0]!.config);
        const ctx = context();
        for (const target of targets) {
          const clients = await signedIn(ctx, target);
          const outputs = await readOutputs(clients.cfn, [target.stacks.Service]);
          const group = requireOutput(outputs, OUTPUTS.autoScalingGroupName, target.stacks.Service);
          if (flags.cancel) {
            const id = await cancelRollout(clients.autoscaling, group);
            ctx.stdout.write(`${target.region}: cancelled instance refresh ${id} on ${group}\n`);
            continue;
          }
          const result = await rolloutAmi(
            clients,
            {
              names: config.names,
              env: target.env,
              architecture: target.config.cluster.architecture,
              autoScalingGroupName: group,
              timeoutMs,
              instanceWarmupSeconds: Math.round(warmupMs / 1000),
              pollIntervalMs: POLL_INTERVAL_MS,
            },
            { progress: ctx.progress, sleep: ctx.sleep, now: ctx.now },
          );
          ctx.stdout.write(
            `${target.region}: ${group} now runs ${result.imageId} (${result.instanceRefreshId})\n`,
          );
        }
      },
    );
}

/** `berth ami build|publish|rollback|rollout`: the node image pipeline (docs/ami.md). */
export function registerAmiCommands(program: Command, context: () => AmiContext = defaultAmiContext): void {
  const ami = program
    .command('ami')
    .description('build, publish, roll out and roll back the ECS node AMI (see docs/ami.md)');
  registerBuild(ami, context);
  registerPublish(ami, context);
  registerRollback(ami, context);
  registerRollout(ami, context);
  // main applies exitOverride to top-level commands only; nested ones need it too to report, not exit.
  for (const command of ami.commands) command.exitOverride();
}
