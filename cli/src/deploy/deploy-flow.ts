import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  COMPONENTS,
  type EnvironmentConfig,
  formatImageSet,
  GLOBAL_STACK_ENV,
  IMAGE_CONTEXT_KEY,
  type ImageSet,
  OUTPUTS,
  PRODUCTION_WEIGHTS_CONTEXT_KEY,
  prebuiltRelease,
} from '@berth/infra';

import { requireBootstrap } from '../aws/bootstrap.js';
import type { AwsClients } from '../aws/clients.js';
import { checkCredentials } from '../aws/credentials.js';
import { revertService } from '../aws/diagnose.js';
import {
  digestRecord,
  parseRelease,
  recordDeployedDigest,
  recordPrebuiltRelease,
  refusePlaceholder,
  resolveTagToDigest,
  reuseDeployedDigest,
} from '../aws/image-digest.js';
import { readProductionWeights } from '../aws/production-weights.js';
import { releaseTaskFromOutputs, runReleaseTask } from '../aws/release-task.js';
import { deployedServices, existingServices } from '../aws/service-outputs.js';
import { describeService } from '../aws/service-state.js';
import { describeStack, readOutputs, requireOutput } from '../aws/stack-outputs.js';
import { findStackProblems, formatStackProblems } from '../aws/stack-state.js';
import type { CommandContext } from '../context.js';
import { raceDeadline } from '../context.js';
import { formatSeconds } from '../duration.js';
import { CliError } from '../errors.js';
import { recordDeployedTemplates } from '../plan/deployed-record.js';
import { stacksFor } from '../plan/synth.js';
import { smokeTargets, smokeTest } from '../smoke-test.js';
import { resolveTargets, type Target } from '../target.js';
import { defaultDeployTimeoutMs } from './deploy-timeout.js';
import { explainFailure } from './explain-failure.js';
import { ensureImage, tagPrefix } from './image-build.js';
import { buildsNothing, goBackHint, NOTHING_TO_BUILD, refusePromotionFlag } from './prebuilt-app.js';
import { waitForServices } from './service-rollout.js';
import type { StackDeployer } from './stack-deployer.js';
import { stopOrExplain } from './stack-timeout.js';

/**
 * This commit's images in the shared registry, each built once for the environment's architecture and pushed,
 * or resolved when the commit's tag already exists (tags are immutable): what `berth deploy` ships when given
 * no image, and what `berth image` (CI's build job) prints. Services with the same build share its image.
 * An app that builds nothing (no repository) gets none, and is told so.
 */
export async function imagesForCommit(
  ctx: CommandContext,
  config: EnvironmentConfig,
  primary: AwsClients,
): Promise<ImageSet> {
  const { repositoryName } = ctx.config.global;
  if (repositoryName === undefined) {
    ctx.progress.step(NOTHING_TO_BUILD);
    return {};
  }
  const { globalStackName } = ctx.config.names;
  const outputs = await readOutputs(primary.cfn, [globalStackName]);
  const repositoryUri = requireOutput(outputs, OUTPUTS.repositoryUri, globalStackName);
  const images: Record<string, string> = {};
  for (const build of ctx.config.images) {
    const { key, services, ...recipe } = build;
    const what =
      ctx.config.images.length === 1
        ? "this commit's image"
        : `this commit's ${key} image (${services.join(', ')})`;
    ctx.progress.step(`looking for ${what} in ${repositoryUri}`);
    const image = await ensureImage({
      repoRoot: ctx.repoRoot,
      build: recipe,
      tagPrefix: tagPrefix(ctx.config.images, key),
      repositoryUri,
      repositoryName,
      architecture: config.cluster.architecture,
      run: ctx.run,
      ecr: primary.ecr,
    });
    ctx.progress.step(
      image.built
        ? `built for ${config.cluster.architecture} and pushed ${repositoryUri}:${image.tag} as ${image.digest}`
        : `${repositoryUri}:${image.tag} already exists as ${image.digest}: not rebuilding`,
    );
    images[key] = image.digest;
  }
  return images;
}

/**
 * A release's one-line form for this app (the record, the context, what `berth image` prints); for an app that
 * builds nothing, the services' references as the config names them (what status then shows).
 */
export function releaseText(ctx: CommandContext, images: ImageSet): string {
  if (buildsNothing(ctx.config)) return prebuiltRelease(ctx.config.services);
  return formatImageSet(
    images,
    ctx.config.images.map((image) => image.key),
  );
}

/**
 * The digest of each image tagged `tag` (the primary image) or `<key>-<tag>` (the others): how `berth image`
 * tagged one commit's images.
 */
async function resolveTag(ctx: CommandContext, primary: AwsClients, tag: string): Promise<ImageSet> {
  const images: Record<string, string> = {};
  for (const { key } of ctx.config.images) {
    const tagged = `${tagPrefix(ctx.config.images, key)}${tag}`;
    // checkImageFlags refused --image-tag for an app with no repository.
    images[key] = await resolveTagToDigest(primary.ecr, ctx.config.global.repositoryName!, tagged);
    ctx.progress.step(`tag ${tagged} is ${images[key]}`);
  }
  return images;
}

export interface DeployRequest {
  readonly env: string;
  readonly region?: string;
  readonly imageTag?: string;
  readonly imageDigest?: string;
  readonly skipBuild: boolean;
  /** Default: from whether this deploy creates stacks or updates them (defaultDeployTimeoutMs). */
  readonly timeoutMs?: number;
  /** Change-safety finding ids to accept (`--allow-change`). */
  readonly allowChange?: readonly string[];
}

export interface DeployResult {
  readonly env: string;
  /** The release deployed, in its one-line form: a digest, or `<image>=<digest>` pairs. */
  readonly digest: string;
  /** `url`: the environment's; absent for an app of workers only (no load balancer). */
  readonly regions: { readonly region: string; readonly url?: string }[];
}

/** Rejects contradictory or unusable image flags before any AWS call. */
function checkImageFlags(ctx: CommandContext, request: DeployRequest): void {
  if (request.imageTag !== undefined && request.imageDigest !== undefined) {
    throw new CliError('pass either --image-tag or --image-digest, not both');
  }
  if (buildsNothing(ctx.config)) {
    if (request.imageDigest !== undefined) refusePromotionFlag('--image-digest', request.env);
    if (request.imageTag !== undefined) refusePromotionFlag('--image-tag', request.env);
  }
  if (request.imageDigest !== undefined)
    parseRelease(ctx.config.images, request.imageDigest, '--image-digest');
  if (request.imageTag !== undefined) refusePlaceholder(request.imageTag);
}

/**
 * `berth deploy`: Global (prod only: other environments read it), then Network → Data → Service → Monitoring per region, then watch the ECS
 * rollout, smoke-test the URL and record the digest. Any failure ends in one explanation.
 */
export async function deployEnvironment(ctx: CommandContext, request: DeployRequest): Promise<DeployResult> {
  checkImageFlags(ctx, request);
  const targets = resolveTargets(ctx.config, request.env, request.region);
  const config = targets[0]!.config;
  const { names } = ctx.config;
  const primaryRegion = ctx.config.global.primaryRegion;
  const started = ctx.clock.now();
  const primary = ctx.clients(primaryRegion);

  ctx.progress.step(`checking AWS credentials`);
  const identity = await checkCredentials(primary.sts, config);
  ctx.progress.step(`deploying ${config.name} as ${identity.arn}`);

  // Berth-Global deploys through prod's bootstrap roles, which test's CI role cannot assume: any other
  // environment only reads its outputs.
  const deploysGlobal = config.name === GLOBAL_STACK_ENV;
  const bootstrapRegions = [...(deploysGlobal ? [primaryRegion] : []), ...targets.map((t) => t.region)];
  for (const region of new Set(bootstrapRegions)) {
    await requireBootstrap(
      ctx.clients(region).ssm,
      { account: identity.account, region, env: config.name },
      ctx.config,
    );
  }

  const problems = await findStackProblems(primary.cfn, [names.globalStackName]);
  const firstCreate: string[] = [];
  for (const target of targets) {
    const cfn = ctx.clients(target.region).cfn;
    problems.push(...(await findStackProblems(cfn, Object.values(target.stacks))));
    firstCreate.push(...(await notCreatedYet(cfn, Object.values(target.stacks))));
  }
  if (problems.length > 0) {
    throw new CliError('stacks need attention before deploying:', formatStackProblems(problems));
  }
  if (!deploysGlobal) await requireGlobalStack(ctx, primary.cfn, identity.account);
  const timeoutMs =
    request.timeoutMs ?? (await estimatedTimeoutMs(ctx, targets, deploysGlobal, firstCreate.length > 0));
  const deadline = started + timeoutMs;
  await ctx.preflight?.({ env: config.name, targets, firstCreate, allowChange: request.allowChange ?? [] });

  // Read before deploying anything, so a missing record fails fast.
  let release =
    request.imageDigest === undefined
      ? undefined
      : parseRelease(ctx.config.images, request.imageDigest, '--image-digest');
  // An app that builds nothing has no digest to keep: its references come from the config either way.
  if (
    release === undefined &&
    request.imageTag === undefined &&
    request.skipBuild &&
    !buildsNothing(ctx.config)
  ) {
    const record = digestRecord(names, config.name);
    const kept = await reuseDeployedDigest(ctx.clients(targets[0]!.region).ssm, record);
    release = parseRelease(ctx.config.images, kept, `the release recorded at ${record.parameter}`);
    ctx.progress.step(`infrastructure-only deploy: keeping ${kept}`);
  }

  if (deploysGlobal) {
    const deployer = await ctx.deployer([config.name]);
    ctx.progress.step(`deploying ${names.globalStackName}`);
    await deployStacks(
      ctx,
      deployer,
      { cfn: primary.cfn, region: primaryRegion },
      [names.globalStackName],
      {},
      {
        deadline,
        timeoutMs,
        env: config.name,
      },
    );
  }

  if (release === undefined && request.imageTag !== undefined) {
    release = await resolveTag(ctx, primary, request.imageTag);
  }
  release ??= await imagesForCommit(ctx, config, primary);
  const digest = releaseText(ctx, release);

  const regions: DeployResult['regions'] = [];
  for (const target of targets) {
    const url = await deployRegion(ctx, target, release, deadline, timeoutMs);
    regions.push({ region: target.region, ...(url === undefined ? {} : { url }) });
  }
  return { env: config.name, digest, regions };
}

/** The plan's estimate for exactly the stacks this deploy applies, region after region. */
async function estimatedTimeoutMs(
  ctx: CommandContext,
  targets: readonly Target[],
  deploysGlobal: boolean,
  firstCreate: boolean,
): Promise<number> {
  const all = await ctx.synthesize(targets[0]!.env);
  let total = 0;
  for (const [i, target] of targets.entries()) {
    const stacks = stacksFor(
      all,
      COMPONENTS.map((c) => target.stacks[c]),
      deploysGlobal && i === 0 ? ctx.config.names.globalStackName : undefined,
    );
    total += defaultDeployTimeoutMs(stacks, firstCreate);
  }
  ctx.progress.step(`--timeout ${formatSeconds(total)} (berth plan's estimate; pass --timeout to change it)`);
  return total;
}

/** An environment that does not own the Global stack needs it deployed (its registry, its CI roles). */
async function requireGlobalStack(
  ctx: CommandContext,
  cfn: CloudFormationClient,
  account: string,
): Promise<void> {
  const { globalStackName } = ctx.config.names;
  const status = (await describeStack(cfn, globalStackName))?.StackStatus;
  if (status === undefined || status === 'REVIEW_IN_PROGRESS') {
    throw new CliError(
      `${globalStackName} (the image registry and CI roles) is not deployed in aws://${account}/${ctx.config.global.primaryRegion}: ` +
        `deploy it first with \`berth deploy ${GLOBAL_STACK_ENV} --global-only\``,
    );
  }
}

/** Stacks that do not exist yet; REVIEW_IN_PROGRESS is an interrupted first create, still to be created. */
async function notCreatedYet(cfn: CloudFormationClient, stackNames: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const name of stackNames) {
    const status = (await describeStack(cfn, name))?.StackStatus;
    if (status === undefined || status === 'REVIEW_IN_PROGRESS') missing.push(name);
  }
  return missing;
}

/**
 * Deploys stacks under the command's deadline. When the deadline passes first, a running update is
 * cancelled and what still runs is named, so the user is never left guessing; the command then
 * exits at once (the toolkit's own promise is abandoned, CloudFormation carries on).
 */
export async function deployStacks(
  ctx: CommandContext,
  deployer: StackDeployer,
  where: { cfn: CloudFormationClient; region: string },
  stackNames: readonly string[],
  context: Record<string, unknown>,
  limits: { deadline: number; timeoutMs: number; env: string; resume?: string },
): Promise<void> {
  const outcome = await raceDeadline(ctx.clock, deployer.deploy(stackNames, context), limits.deadline);
  if (!outcome.timedOut) {
    // What CloudFormation now runs: the next offline `berth plan` and change check compare with it.
    if (outcome.value.length > 0) recordDeployedTemplates(ctx.repoRoot, limits.env, outcome.value);
    return;
  }
  const lines = await stopOrExplain(where.cfn, where.region, stackNames);
  const resume =
    limits.resume ?? `berth deploy ${limits.env} --timeout ${Math.ceil((2 * limits.timeoutMs) / 60_000)}m`;
  throw new CliError(
    `${stackNames.join(', ')} did not finish within the --timeout (${formatSeconds(limits.timeoutMs)}); ` +
      `once CloudFormation is done, run \`${resume}\` again`,
    lines.length > 0 ? lines.join('\n') : undefined,
  );
}

async function deployRegion(
  ctx: CommandContext,
  target: Target,
  release: ImageSet,
  deadline: number,
  timeoutMs: number,
): Promise<string | undefined> {
  const aws = ctx.clients(target.region);
  const started = ctx.clock.now();
  const stacks = COMPONENTS.map((c) => target.stacks[c]);
  const digest = releaseText(ctx, release);
  const context = await deployContext(ctx, target, digest);
  await releaseBeforeRollout(ctx, target, release, deadline);
  const deployer = await ctx.deployer([target.env]);
  ctx.progress.step(`deploying ${stacks.join(', ')}`);
  try {
    await deployStacks(ctx, deployer, { cfn: aws.cfn, region: target.region }, stacks, context, {
      deadline,
      timeoutMs,
      env: target.env,
    });
  } catch (error) {
    if (error instanceof CliError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    const { failed, detail } = await explainFailure(ctx, target, started);
    throw new CliError(
      `deploy of ${target.env} in ${target.region} failed${inServices(failed)}: ${reason}. ` +
        'CloudFormation rolls a failed stack back to its previous state.',
      detail,
    );
  }

  const outputs = await readOutputs(aws.cfn, stacks);
  const where = `the ${target.env} stacks in ${target.region}`;
  const services = deployedServices(target.config, outputs, where);
  // An app of workers only has no load balancer: no URL to read, smoke-test or print.
  const hasWeb = target.config.services.some((s) => s.kind === 'web');
  const url = hasWeb ? requireOutput(outputs, OUTPUTS.serviceUrl, where) : undefined;

  const waitStarted = ctx.clock.now();
  const rollout = await waitForServices(ctx, aws, services, deadline);
  if (rollout.outcome !== 'steady') {
    const { service: failedService, result } = rollout;
    if (result.outcome === 'timeout') {
      throw new CliError(
        `${failedService.name} (${failedService.service}) did not reach a steady state before the --timeout (last: ${result.lastState})`,
        (await explainFailure(ctx, target, started)).detail,
      );
    }
    let rollback: string;
    if (result.rolledBackTo) {
      rollback = `the deployment circuit breaker rolled back to ${result.rolledBackTo}`;
    } else {
      const service = await describeService(aws.ecs, failedService);
      const previous = service.deployments?.find(
        (d) => d.status === 'ACTIVE' && d.taskDefinition && d.taskDefinition !== result.taskDefinition,
      )?.taskDefinition;
      if (previous) {
        await revertService(aws.ecs, failedService, previous);
        rollback = `rolled back to ${previous}`;
      } else {
        rollback = 'there is no earlier revision to roll back to';
      }
    }
    // The other services may already run the new image: CloudFormation, not this command, puts them back.
    const others = services.filter((s) => s !== failedService).map((s) => s.name);
    const name = others.length > 0 ? ` in ${failedService.name}` : '';
    const putBackHow = buildsNothing(ctx.config)
      ? goBackHint(ctx.config, target.env)
      : `\`berth rollback ${target.env}\` puts every service back on the last recorded release`;
    const putBack = others.length > 0 ? `; ${others.join(', ')} may run the new image: ${putBackHow}` : '';
    throw new CliError(
      `deployment of ${digest} to ${target.env} failed${name} (${result.reason}); ${rollback}${putBack}`,
      (await explainFailure(ctx, target, started)).detail,
    );
  }

  const smoke = smokeTargets(target.config, outputs);
  const steady = `steady after ${formatSeconds(ctx.clock.now() - waitStarted)}`;
  ctx.progress.step(
    url === undefined
      ? `${steady}; no web service, nothing to smoke-test (${services.map((s) => s.name).join(', ')} running)`
      : `${steady}; smoke-testing ${url}`,
  );
  for (const service of smoke.unreachable) ctx.progress.step(`not smoke-tested: ${service}`);
  try {
    await smokeTest(smoke.targets, ctx.fetch);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    throw new CliError(
      `${error.message}; ${digest} is running in ${target.env} but was not recorded: ${goBackHint(ctx.config, target.env)}`,
    );
  }
  const record = digestRecord(ctx.config.names, target.env);
  if (buildsNothing(ctx.config)) await recordPrebuiltRelease(aws.ssm, record, digest);
  else await recordDeployedDigest(aws.ssm, record, digest);
  ctx.progress.step(`recorded ${digest} as the ${target.env} image`);
  return url;
}

/** ` in service worker` / ` in services web, worker`: where a failure happened, when the tasks told. */
function inServices(failed: readonly string[]): string {
  if (failed.length === 0) return '';
  return ` in ${failed.length === 1 ? 'service' : 'services'} ${failed.join(', ')}`;
}

/**
 * When the deployed Service stack has a release task (its output), runs the release command with the new
 * image before any stack is updated: a failure throws, so no task is replaced. Without one (today's stacks,
 * or a first create), nothing happens.
 */
async function releaseBeforeRollout(ctx: CommandContext, target: Target, images: ImageSet, deadline: number) {
  const aws = ctx.clients(target.region);
  const outputs = await readOutputs(aws.cfn, [target.stacks.Service]);
  const release = releaseTaskFromOutputs(outputs, target.stacks.Service);
  if (release === undefined) return;
  // At most one service of the app has the release command (the config refuses two); it runs that service's
  // image: the new digest of its build in the app's repository, or its prebuilt reference.
  const owner = target.config.services.find((s) => s.release !== undefined);
  const source = owner?.image ?? { build: ctx.config.images[0]!.key };
  const run = {
    image:
      'build' in source
        ? `${requireOutput(outputs, OUTPUTS.repositoryUri, target.stacks.Service)}@${images[source.build]}`
        : source.prebuilt,
    deadline,
    clock: ctx.clock,
    progress: ctx.progress,
    ...(owner === undefined ? {} : { label: owner.name }),
  };
  await runReleaseTask(aws, release, run);
}

/**
 * The CDK context of a deploy of `digest` (a release's one-line form): the images, and each blue/green web
 * service's production rule weights when it has a rule, `{ "<service>": "<primary>/<alternate>" }`, so the template keeps traffic where
 * ECS put it. A service the stacks do not have yet has no rule to read (it is created at 100/0).
 */
export async function deployContext(
  ctx: CommandContext,
  target: Target,
  digest: string,
): Promise<Record<string, unknown>> {
  const aws = ctx.clients(target.region);
  const outputs = await readOutputs(aws.cfn, [target.stacks.Service]);
  const weights: Record<string, string> = {};
  for (const service of existingServices(target.config, outputs)) {
    if (service.kind !== 'web') continue;
    const live = await readProductionWeights(aws.elbv2, service, target.stacks.Service);
    if (live === undefined) continue;
    weights[service.name] = live;
    ctx.progress.step(`${service.name}: production rule weights now ${live} (kept)`);
  }
  return {
    // An app that builds nothing takes its images from the config: the template needs no image context.
    ...(buildsNothing(ctx.config) ? {} : { [IMAGE_CONTEXT_KEY]: digest }),
    ...(Object.keys(weights).length === 0 ? {} : { [PRODUCTION_WEIGHTS_CONTEXT_KEY]: weights }),
  };
}
