import { GLOBAL } from '../../../infra/config/environments.js';
import { COMPONENTS, GLOBAL_STACK_NAME, IMAGE_CONTEXT_KEY, OUTPUTS } from '../../../infra/lib/naming.js';
import { checkCredentials } from '../aws/credentials.js';
import { diagnoseService, formatDiagnosis, revertService } from '../aws/diagnose.js';
import {
  recordDeployedDigest,
  refusePlaceholder,
  requireDigest,
  resolveTagToDigest,
  reuseDeployedDigest,
} from '../aws/image-digest.js';
import { describeService } from '../aws/service-state.js';
import { readOutputs, requireOutput } from '../aws/stack-outputs.js';
import { findStackProblems, formatStackProblems } from '../aws/stack-state.js';
import { waitForSteadyState } from '../aws/wait-for-steady-state.js';
import type { CommandContext } from '../context.js';
import { withTimeout } from '../context.js';
import { formatSeconds } from '../duration.js';
import { CliError } from '../errors.js';
import { smokeTest } from '../smoke-test.js';
import { PRIMARY_REGION, resolveTargets, type Target } from '../target.js';

export interface DeployRequest {
  readonly env: string;
  readonly region?: string;
  readonly imageTag?: string;
  readonly imageDigest?: string;
  readonly skipBuild: boolean;
  readonly timeoutMs: number;
}

export interface DeployResult {
  readonly env: string;
  readonly digest: string;
  readonly regions: { readonly region: string; readonly url: string }[];
}

/** Rejects contradictory or unusable image flags before any AWS call. */
function checkImageFlags(request: DeployRequest): void {
  if (request.imageTag !== undefined && request.imageDigest !== undefined) {
    throw new CliError('pass either --image-tag or --image-digest, not both');
  }
  if (request.imageDigest !== undefined) requireDigest(request.imageDigest);
  if (request.imageTag !== undefined) refusePlaceholder(request.imageTag);
}

/**
 * `berth deploy`: Global, then Network → Data → Service → Monitoring per region, then watch the ECS
 * rollout, smoke-test the URL and record the digest. Any failure ends in one explanation.
 */
export async function deployEnvironment(ctx: CommandContext, request: DeployRequest): Promise<DeployResult> {
  checkImageFlags(request);
  const targets = resolveTargets(request.env, request.region);
  const config = targets[0]!.config;
  const deadline = ctx.clock.now() + request.timeoutMs;
  const remaining = () => deadline - ctx.clock.now();
  const primary = ctx.clients(PRIMARY_REGION);

  ctx.progress.step(`checking AWS credentials`);
  const identity = await checkCredentials(primary.sts, config.account);
  ctx.progress.step(`deploying ${config.name} as ${identity.arn}`);

  const problems = await findStackProblems(primary.cfn, [GLOBAL_STACK_NAME]);
  for (const target of targets) {
    problems.push(...(await findStackProblems(ctx.clients(target.region).cfn, Object.values(target.stacks))));
  }
  if (problems.length > 0) {
    throw new CliError('stacks need attention before deploying:', formatStackProblems(problems));
  }

  // Read before deploying anything, so a missing record fails fast.
  let digest = request.imageDigest;
  if (digest === undefined && request.imageTag === undefined && request.skipBuild) {
    digest = await reuseDeployedDigest(ctx.clients(targets[0]!.region).ssm, config.name);
    ctx.progress.step(`infrastructure-only deploy: keeping ${digest}`);
  }

  const deployer = await ctx.deployer([config.name]);
  ctx.progress.step(`deploying ${GLOBAL_STACK_NAME}`);
  await withTimeout(deployer.deploy([GLOBAL_STACK_NAME], {}), remaining(), GLOBAL_STACK_NAME);

  if (digest === undefined && request.imageTag !== undefined) {
    digest = await resolveTagToDigest(primary.ecr, GLOBAL.repositoryName, request.imageTag);
    ctx.progress.step(`tag ${request.imageTag} is ${digest}`);
  }
  if (digest === undefined) {
    const outputs = await readOutputs(primary.cfn, [GLOBAL_STACK_NAME]);
    const repositoryUri = requireOutput(outputs, OUTPUTS.repositoryUri, GLOBAL_STACK_NAME);
    ctx.progress.step(
      `building the image for ${config.cluster.architecture} and pushing it to ${repositoryUri}`,
    );
    const built = await ctx.build({
      repoRoot: ctx.repoRoot,
      repositoryUri,
      architecture: config.cluster.architecture,
    });
    digest = built.digest;
    ctx.progress.step(`pushed ${repositoryUri}:${built.tag} as ${digest}`);
  }
  requireDigest(digest);

  const regions: DeployResult['regions'] = [];
  for (const target of targets) {
    regions.push({ region: target.region, url: await deployRegion(ctx, target, digest, deadline) });
  }
  return { env: config.name, digest, regions };
}

async function deployRegion(
  ctx: CommandContext,
  target: Target,
  digest: string,
  deadline: number,
): Promise<string> {
  const aws = ctx.clients(target.region);
  const remaining = () => deadline - ctx.clock.now();
  const stacks = COMPONENTS.map((c) => target.stacks[c]);
  const deployer = await ctx.deployer([target.env]);
  ctx.progress.step(`deploying ${stacks.join(', ')}`);
  try {
    await withTimeout(
      deployer.deploy(stacks, { [IMAGE_CONTEXT_KEY]: digest }),
      remaining(),
      'the stack deploy',
    );
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError(
      `deploy of ${target.env} in ${target.region} failed: ${reason}. CloudFormation rolls a failed stack back to its previous state.`,
      await explain(ctx, target),
    );
  }

  const outputs = await readOutputs(aws.cfn, stacks);
  const where = `the ${target.env} stacks in ${target.region}`;
  const ref = {
    cluster: requireOutput(outputs, OUTPUTS.clusterName, where),
    service: requireOutput(outputs, OUTPUTS.serviceName, where),
  };
  const url = requireOutput(outputs, OUTPUTS.serviceUrl, where);
  const targetGroupArn = outputs[OUTPUTS.targetGroupArn];

  const waitStarted = ctx.clock.now();
  ctx.progress.step(`waiting for ${ref.service} to reach a steady state`);
  const result = await waitForSteadyState(
    aws,
    { ...ref, ...(targetGroupArn ? { targetGroupArn } : {}), deadline },
    ctx.progress,
    ctx.clock,
  );
  if (result.outcome !== 'steady') {
    const diagnosis = await explain(ctx, target);
    if (result.outcome === 'timeout') {
      throw new CliError(
        `${ref.service} did not reach a steady state before the --timeout (last: ${result.lastState})`,
        diagnosis,
      );
    }
    let rollback: string;
    if (result.rolledBackTo) {
      rollback = `the deployment circuit breaker rolled back to ${result.rolledBackTo}`;
    } else {
      const service = await describeService(aws.ecs, ref);
      const previous = service.deployments?.find(
        (d) => d.status === 'ACTIVE' && d.taskDefinition && d.taskDefinition !== result.taskDefinition,
      )?.taskDefinition;
      if (previous) {
        await revertService(aws.ecs, ref, previous);
        rollback = `rolled back to ${previous}`;
      } else {
        rollback = 'there is no earlier revision to roll back to';
      }
    }
    throw new CliError(
      `deployment of ${digest} to ${target.env} failed (${result.reason}); ${rollback}`,
      diagnosis,
    );
  }

  ctx.progress.step(`steady after ${formatSeconds(ctx.clock.now() - waitStarted)}; smoke-testing ${url}`);
  await smokeTest(url, ctx.fetch);
  await recordDeployedDigest(aws.ssm, target.env, digest);
  ctx.progress.step(`recorded ${digest} as the ${target.env} image`);
  return url;
}

/** Best effort: a diagnosis that itself fails must not hide the original error. */
export async function explain(ctx: CommandContext, target: Target): Promise<string | undefined> {
  try {
    const aws = ctx.clients(target.region);
    const outputs = await readOutputs(aws.cfn, Object.values(target.stacks));
    const cluster = outputs[OUTPUTS.clusterName];
    const service = outputs[OUTPUTS.serviceName];
    if (!cluster || !service) return undefined;
    const targetGroupArn = outputs[OUTPUTS.targetGroupArn];
    const logGroupName = outputs[OUTPUTS.logGroupName];
    return formatDiagnosis(
      await diagnoseService(aws, {
        cluster,
        service,
        ...(targetGroupArn ? { targetGroupArn } : {}),
        ...(logGroupName ? { logGroupName } : {}),
      }),
    );
  } catch (error) {
    return `(could not collect a diagnosis: ${error instanceof Error ? error.message : String(error)})`;
  }
}
