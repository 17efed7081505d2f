import { checkCredentials } from '../aws/credentials.js';
import {
  digestRecord,
  parseRelease,
  recordDeployedDigest,
  releaseHistory,
  runningDigest,
} from '../aws/image-digest.js';
import { deployedServices } from '../aws/service-outputs.js';
import { readOutputs } from '../aws/stack-outputs.js';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { stacksFor } from '../plan/synth.js';
import { resolveTargets } from '../target.js';
import { deployContext, deployStacks, releaseText } from './deploy-flow.js';
import { defaultRollbackTimeoutMs } from './deploy-timeout.js';
import { explainFailure } from './explain-failure.js';
import { buildsNothing, refuseRollback } from './prebuilt-app.js';
import { waitForServices } from './service-rollout.js';

export interface RollbackRequest {
  readonly env: string;
  readonly region?: string;
  /** Roll back to this release (a digest, or `<image>=<digest>` pairs) instead of the one before the running one. */
  readonly to?: string;
  /** Default: the plan's rollback estimate for the first region's stacks (defaultRollbackTimeoutMs). */
  readonly timeoutMs?: number;
}

export interface RollbackResult {
  readonly env: string;
  readonly from: string | undefined;
  readonly to: string;
}

/**
 * The release before `running` in the deploy history (newest first). A running image that was never
 * recorded (its smoke test failed) goes back to the newest recorded release. Repeated rollbacks keep
 * walking back, because rollback records are not part of the release history.
 */
export function previousRelease(history: readonly string[], running: string | undefined): string | undefined {
  const at = running === undefined ? -1 : history.indexOf(running);
  return at === -1 ? history[0] : history[at + 1];
}

/**
 * `berth rollback`: redeploys the release before the one the service runs now. "Now" is read from
 * the service's task definition, not from the last record, and the release history comes from the
 * SSM parameter's versions, so this works even after the task definitions were replaced. The
 * Service stack is redeployed (not just the ECS service updated) so CloudFormation stays the source
 * of truth and the next deploy does not undo the rollback by surprise. An app whose every service runs a
 * prebuilt image has no built release to go back to: it is refused in one line, before any AWS call.
 */
export async function rollbackEnvironment(
  ctx: CommandContext,
  request: RollbackRequest,
): Promise<RollbackResult> {
  if (buildsNothing(ctx.config)) {
    resolveTargets(ctx.config, request.env, request.region);
    refuseRollback(ctx.config, request.env);
  }
  const requested =
    request.to === undefined
      ? undefined
      : releaseText(ctx, parseRelease(ctx.config.images, request.to, '--to'));
  const targets = resolveTargets(ctx.config, request.env, request.region);
  const config = targets[0]!.config;
  const record = digestRecord(ctx.config.names, config.name);
  const started = ctx.clock.now();
  const first = ctx.clients(targets[0]!.region);
  await checkCredentials(first.sts, config);

  const firstOutputs = await readOutputs(first.cfn, Object.values(targets[0]!.stacks));
  const firstWhere = `the ${config.name} stacks in ${targets[0]!.region}`;
  const running = await runningRelease(ctx, first, deployedServices(config, firstOutputs, firstWhere));
  const history = await releaseHistory(first.ssm, record);
  const to = requested ?? previousRelease(history, running);
  if (to === undefined) {
    throw new CliError(
      `no release before ${running ?? 'the running image'} recorded for ${config.name} in ` +
        `${record.parameter}: pass --to <sha256:…> to choose one`,
    );
  }
  // A release recorded before the app built the images it builds now cannot be deployed as it is.
  if (requested === undefined)
    parseRelease(ctx.config.images, to, `the release to roll back to (${record.parameter})`);
  ctx.progress.step(`rolling ${config.name} back from ${running ?? 'an unknown image'} to ${to}`);
  const timeoutMs =
    request.timeoutMs ??
    defaultRollbackTimeoutMs(
      stacksFor(await ctx.synthesize(config.name), Object.values(targets[0]!.stacks), undefined),
    );
  const deadline = started + timeoutMs;

  const deployer = await ctx.deployer([config.name]);
  for (const target of targets) {
    const aws = ctx.clients(target.region);
    const regionStarted = ctx.clock.now();
    const context = await deployContext(ctx, target, to);
    try {
      await deployStacks(
        ctx,
        deployer,
        { cfn: aws.cfn, region: target.region },
        [target.stacks.Service],
        context,
        {
          deadline,
          timeoutMs,
          env: config.name,
          resume: `berth rollback ${config.name} --to ${to}`,
        },
      );
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(
        `rollback of ${config.name} in ${target.region} to ${to} failed: ${error instanceof Error ? error.message : String(error)}; nothing was recorded`,
        (await explainFailure(ctx, target, regionStarted)).detail,
      );
    }
    const outputs = await readOutputs(aws.cfn, Object.values(target.stacks));
    const where = `the ${target.env} stacks in ${target.region}`;
    const rollout = await waitForServices(ctx, aws, deployedServices(config, outputs, where), deadline);
    if (rollout.outcome !== 'steady') {
      throw new CliError(
        `rollback of ${config.name} in ${target.region} to ${to} did not settle (${rollout.service.name}: ${rollout.outcome}); nothing was recorded`,
        (await explainFailure(ctx, target, regionStarted)).detail,
      );
    }
    await recordDeployedDigest(aws.ssm, record, to, 'rollback');
  }
  return { env: config.name, from: running, to };
}

/**
 * The release the services run now, in its one-line form: each built image's digest as the container of the
 * first service built from it runs it. Undefined when one of them runs no digest Berth can read.
 */
async function runningRelease(
  ctx: CommandContext,
  aws: { readonly ecs: Parameters<typeof runningDigest>[0] },
  services: readonly (Parameters<typeof runningDigest>[1] & { readonly name: string })[],
): Promise<string | undefined> {
  const images: Record<string, string> = {};
  for (const { key, services: builtFrom } of ctx.config.images) {
    const service = services.find((s) => builtFrom.includes(s.name));
    const digest = service === undefined ? undefined : await runningDigest(aws.ecs, service);
    if (digest === undefined) return undefined;
    images[key] = digest;
  }
  return releaseText(ctx, images);
}
