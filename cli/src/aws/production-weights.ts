/**
 * The weights the production listener rule carries right now. ECS moves them on every blue/green deploy,
 * so the template must be rendered with them (context `berth:production-weights`), or CloudFormation
 * would send the rule's whole action back to 100/0 and move live traffic to the drained group.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  DescribeRulesCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { OUTPUTS } from '@berth/infra';
import { CliError } from '../errors.js';
import { readOutputs } from './stack-outputs.js';

/**
 * `<primary>/<alternate>` from the rule the Service stack outputs (ProductionRuleArn), the primary group
 * being the stack's TargetGroupArn output. Undefined when there is no such rule yet (first create) or
 * at all (rolling): the template then renders its default.
 */
export async function readProductionWeights(
  aws: { cfn: CloudFormationClient; elbv2: ElasticLoadBalancingV2Client },
  serviceStack: string,
): Promise<string | undefined> {
  const outputs = await readOutputs(aws.cfn, [serviceStack]);
  const ruleArn = outputs[OUTPUTS.productionRuleArn];
  const primaryGroup = outputs[OUTPUTS.targetGroupArn];
  if (ruleArn === undefined || primaryGroup === undefined) return undefined;
  const { Rules } = await aws.elbv2.send(new DescribeRulesCommand({ RuleArns: [ruleArn] }));
  const groups = Rules?.[0]?.Actions?.find((a) => a.Type === 'forward')?.ForwardConfig?.TargetGroups ?? [];
  const primary = groups.find((g) => g.TargetGroupArn === primaryGroup);
  const alternate = groups.find((g) => g.TargetGroupArn !== primaryGroup);
  if (primary?.Weight === undefined || alternate?.Weight === undefined) {
    throw new CliError(
      `the production rule ${ruleArn} of ${serviceStack} does not forward to ${primaryGroup} and one other group: ` +
        'it was changed outside CloudFormation; restore it (or redeploy from the console) before deploying',
    );
  }
  return `${primary.Weight}/${alternate.Weight}`;
}
