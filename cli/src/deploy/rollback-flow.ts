import { IMAGE_CONTEXT_KEY, OUTPUTS, PARAMETERS } from '../../../infra/lib/naming.js';
import { checkCredentials } from '../aws/credentials.js';
import { digestHistory, recordDeployedDigest, requireDigest } from '../aws/image-digest.js';
import { readOutputs, requireOutput } from '../aws/stack-outputs.js';
import { waitForSteadyState } from '../aws/wait-for-steady-state.js';
import type { CommandContext } from '../context.js';
import { withTimeout } from '../context.js';
import { CliError } from '../errors.js';
import { resolveTargets } from '../target.js';
import { explain } from './deploy-flow.js';

export interface RollbackRequest {
  readonly env: string;
  readonly region?: string;
  /** Roll back to this digest instead of the one deployed before the current. */
  readonly to?: string;
  readonly timeoutMs: number;
}

export interface RollbackResult {
  readonly env: string;
  readonly from: string | undefined;
  readonly to: string;
}

/**
 * `berth rollback`: redeploys the digest that ran before the current one. The SSM parameter's
 * history is the record of what ran, so this works even after the task definitions were replaced.
 * The Service stack is redeployed (not just the ECS service updated) so CloudFormation stays the
 * source of truth and the next deploy does not undo the rollback by surprise.
 */
export async function rollbackEnvironment(
  ctx: CommandContext,
  request: RollbackRequest,
): Promise<RollbackResult> {
  if (request.to !== undefined) requireDigest(request.to);
  const targets = resolveTargets(request.env, request.region);
  const config = targets[0]!.config;
  const deadline = ctx.clock.now() + request.timeoutMs;
  const first = ctx.clients(targets[0]!.region);
  await checkCredentials(first.sts, config.account);

  const history = await digestHistory(first.ssm, config.name);
  const current = history[0];
  const to = request.to ?? history.find((d) => d !== current);
  if (to === undefined) {
    throw new CliError(
      `no earlier image recorded for ${config.name} in ${PARAMETERS.imageDigest(config.name)}: pass --to <sha256:…> to choose one`,
    );
  }
  ctx.progress.step(`rolling ${config.name} back from ${current ?? 'nothing recorded'} to ${to}`);

  const deployer = await ctx.deployer([config.name]);
  for (const target of targets) {
    const aws = ctx.clients(target.region);
    await withTimeout(
      deployer.deploy([target.stacks.Service], { [IMAGE_CONTEXT_KEY]: to }),
      deadline - ctx.clock.now(),
      'the Service stack deploy',
    );
    const outputs = await readOutputs(aws.cfn, Object.values(target.stacks));
    const where = `the ${target.env} stacks in ${target.region}`;
    const targetGroupArn = outputs[OUTPUTS.targetGroupArn];
    const result = await waitForSteadyState(
      aws,
      {
        cluster: requireOutput(outputs, OUTPUTS.clusterName, where),
        service: requireOutput(outputs, OUTPUTS.serviceName, where),
        ...(targetGroupArn ? { targetGroupArn } : {}),
        deadline,
      },
      ctx.progress,
      ctx.clock,
    );
    if (result.outcome !== 'steady') {
      throw new CliError(
        `rollback of ${config.name} in ${target.region} to ${to} did not settle (${result.outcome})`,
        await explain(ctx, target),
      );
    }
    await recordDeployedDigest(aws.ssm, config.name, to);
  }
  return { env: config.name, from: current, to };
}
