import { GLOBAL_STACK_ENV } from '@berth/infra';
import { requireBootstrap } from '../aws/bootstrap.js';
import { checkCredentials } from '../aws/credentials.js';
import { describeStack, readOutputs } from '../aws/stack-outputs.js';
import { findStackProblems, formatStackProblems } from '../aws/stack-state.js';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { stacksFor } from '../plan/synth.js';
import { resolveTargets } from '../target.js';
import { deployStacks } from './deploy-flow.js';
import { defaultDeployTimeoutMs } from './deploy-timeout.js';

export interface GlobalDeployRequest {
  readonly env: string;
  /** Default: berth plan's estimate for the Global stack (create or update). */
  readonly timeoutMs?: number;
  /** Change-safety finding ids to accept (`--allow-change`). */
  readonly allowChange?: readonly string[];
}

export interface GlobalDeployResult {
  readonly stackName: string;
  /** The stack's outputs: the CI role ARNs the GitHub repository variables take, the registry's URI. */
  readonly outputs: Readonly<Record<string, string>>;
}

/**
 * `berth deploy prod --global-only`: the account-wide stack alone (the GitHub OIDC provider, the CI roles, the
 * image registry), with the checks a full deploy makes first. A new account needs it before the first
 * `berth deploy test` (which only reads it) and before the GitHub setup (which takes its outputs); it deploys
 * through prod's bootstrap roles, as with a full prod deploy, so the test CI role never can.
 */
export async function deployGlobalOnly(
  ctx: CommandContext,
  request: GlobalDeployRequest,
): Promise<GlobalDeployResult> {
  const config = resolveTargets(ctx.config, request.env)[0]!.config;
  const { globalStackName } = ctx.config.names;
  if (config.name !== GLOBAL_STACK_ENV) {
    throw new CliError(
      `--global-only: ${globalStackName} deploys with ${GLOBAL_STACK_ENV} (its bootstrap roles); run \`berth deploy ${GLOBAL_STACK_ENV} --global-only\``,
    );
  }
  const region = ctx.config.global.primaryRegion;
  const aws = ctx.clients(region);
  const started = ctx.clock.now();

  ctx.progress.step('checking AWS credentials');
  const identity = await checkCredentials(aws.sts, config);
  await requireBootstrap(aws.ssm, { account: identity.account, region, env: config.name }, ctx.config);
  const problems = await findStackProblems(aws.cfn, [globalStackName]);
  if (problems.length > 0) {
    throw new CliError('stacks need attention before deploying:', formatStackProblems(problems));
  }
  const status = (await describeStack(aws.cfn, globalStackName))?.StackStatus;
  const firstCreate = status === undefined || status === 'REVIEW_IN_PROGRESS' ? [globalStackName] : [];
  let timeoutMs = request.timeoutMs;
  if (timeoutMs === undefined) {
    const stacks = stacksFor(await ctx.synthesize(config.name), [], globalStackName);
    timeoutMs = defaultDeployTimeoutMs(stacks, firstCreate.length > 0);
  }
  // No targets: the change-safety gate checks the Global stack alone.
  await ctx.preflight?.({
    env: config.name,
    targets: [],
    firstCreate,
    allowChange: request.allowChange ?? [],
  });

  ctx.progress.step(`deploying ${globalStackName}`);
  await deployStacks(
    ctx,
    await ctx.deployer([config.name]),
    { cfn: aws.cfn, region },
    [globalStackName],
    {},
    {
      deadline: started + timeoutMs,
      timeoutMs,
      env: config.name,
      resume: `berth deploy ${config.name} --global-only --timeout ${Math.ceil((2 * timeoutMs) / 60_000)}m`,
    },
  );
  return { stackName: globalStackName, outputs: await readOutputs(aws.cfn, [globalStackName]) };
}
