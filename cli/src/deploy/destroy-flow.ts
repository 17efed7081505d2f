import { COMPONENTS, OUTPUTS } from '@berth/infra';
import { releaseClusterCapacity, scaleServiceToZero } from '../aws/capacity.js';
import { checkCredentials } from '../aws/credentials.js';
import { existingServices } from '../aws/service-outputs.js';
import { readOutputs } from '../aws/stack-outputs.js';
import type { CommandContext } from '../context.js';
import { raceDeadline } from '../context.js';
import { CliError } from '../errors.js';
import { resolveTargets } from '../target.js';

export interface DestroyRequest {
  readonly env: string;
  readonly region?: string;
  readonly yesDestroyProd: boolean;
  readonly timeoutMs: number;
}

/**
 * `berth destroy`: empties every service and the cluster's instances first (a capacity provider with
 * managed termination protection otherwise blocks the Service stack's deletion for hours), then
 * deletes Monitoring → Service → Data → Network. The Global stack (shared registry, CI roles) stays.
 */
export async function destroyEnvironment(ctx: CommandContext, request: DestroyRequest): Promise<string[]> {
  const targets = resolveTargets(ctx.config, request.env, request.region);
  const config = targets[0]!.config;
  if (config.name === 'prod' && !request.yesDestroyProd) {
    throw new CliError('refusing to destroy prod: pass --yes-destroy-prod if you really mean it');
  }
  const deadline = ctx.clock.now() + request.timeoutMs;
  await checkCredentials(ctx.clients(targets[0]!.region).sts, config);
  const deployer = await ctx.deployer([config.name]);
  const destroyed: string[] = [];

  for (const target of targets) {
    const aws = ctx.clients(target.region);
    const outputs = await readOutputs(aws.cfn, Object.values(target.stacks));
    // Every service the stacks have: one that a partial destroy already deleted is simply not there.
    for (const service of existingServices(config, outputs)) {
      await scaleServiceToZero(aws.ecs, service, deadline, ctx.progress, ctx.clock);
    }
    const cluster = outputs[OUTPUTS.clusterName];
    if (cluster) await releaseClusterCapacity(aws, cluster, ctx.progress);

    const reverse = [...COMPONENTS].reverse();
    const keepData = config.database.deletionProtection;
    for (const component of reverse) {
      const name = target.stacks[component];
      if (keepData && (component === 'Data' || component === 'Network')) {
        throw new CliError(
          `stopped before ${target.stacks.Data}: the ${config.name} database has deletion protection, so its data is never deleted by accident`,
          [
            `Destroyed so far: ${destroyed.join(', ') || 'nothing'}.`,
            'To delete the database too (a final snapshot is kept), lift both protections, then delete the stacks:',
            `  1. aws rds modify-db-instance --region ${target.region} --db-instance-identifier <id from the ${target.stacks.Data} stack> --no-deletion-protection --apply-immediately`,
            // Termination protection makes DeleteStack (and so `cdk destroy`) fail (AWS CloudFormation
            // User Guide, "Protect a CloudFormation stack from being deleted").
            ...[target.stacks.Data, target.stacks.Network].map(
              (stack, i) =>
                `  ${i + 2}. aws cloudformation update-termination-protection --region ${target.region} --no-enable-termination-protection --stack-name ${stack} && ` +
                `aws cloudformation delete-stack --region ${target.region} --stack-name ${stack} && ` +
                `aws cloudformation wait stack-delete-complete --region ${target.region} --stack-name ${stack}`,
            ),
          ].join('\n'),
        );
      }
      ctx.progress.step(`destroying ${name}`);
      const outcome = await raceDeadline(ctx.clock, deployer.destroy([name]), deadline);
      if (outcome.timedOut) {
        throw new CliError(
          `${name} was still being deleted at the --timeout; CloudFormation continues: wait with ` +
            `\`aws cloudformation wait stack-delete-complete --region ${target.region} --stack-name ${name}\`, then run \`berth destroy ${config.name}\` again`,
        );
      }
      destroyed.push(name);
    }
  }
  return destroyed;
}
