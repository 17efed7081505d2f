/**
 * The weights a web service's production listener rule carries right now. ECS moves them on every blue/green
 * deploy, so the template must be rendered with them (context `berth:production-weights`, per web service), or
 * CloudFormation would send the rule's whole action back to 100/0 and move live traffic to the drained group.
 */
import {
  DescribeRulesCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CliError } from '../errors.js';
import type { DeployedService } from './service-outputs.js';

/**
 * `<primary>/<alternate>` from the service's production rule (its `…ProductionRuleArn` output), the primary
 * group being its `…TargetGroupArn` output. Undefined when it has no such rule yet (first create) or at all
 * (rolling, a worker): the template then renders its default.
 */
export async function readProductionWeights(
  elbv2: ElasticLoadBalancingV2Client,
  service: Pick<DeployedService, 'name' | 'productionRuleArn' | 'targetGroupArn'>,
  serviceStack: string,
): Promise<string | undefined> {
  const { productionRuleArn: ruleArn, targetGroupArn: primaryGroup } = service;
  if (ruleArn === undefined || primaryGroup === undefined) return undefined;
  const { Rules } = await elbv2.send(new DescribeRulesCommand({ RuleArns: [ruleArn] }));
  const groups = Rules?.[0]?.Actions?.find((a) => a.Type === 'forward')?.ForwardConfig?.TargetGroups ?? [];
  const primary = groups.find((g) => g.TargetGroupArn === primaryGroup);
  const alternate = groups.find((g) => g.TargetGroupArn !== primaryGroup);
  if (primary?.Weight === undefined || alternate?.Weight === undefined) {
    throw new CliError(
      `the production rule ${ruleArn} of ${service.name} in ${serviceStack} does not forward to ${primaryGroup} and one other group: ` +
        'it was changed outside CloudFormation; restore it (or redeploy from the console) before deploying',
    );
  }
  return `${primary.Weight}/${alternate.Weight}`;
}
