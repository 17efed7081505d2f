/** Everything `berth plan` says about one environment in one region, as plain data (the --json output). */
import type { EnvironmentConfig } from '@berth/infra';
import type { ChangeFinding } from './change-safety.js';
import { type CostReport, DEFAULT_USAGE, estimateCost, type UsageAssumptions } from './cost.js';
import {
  ASSUMPTIONS,
  type DeployEstimate,
  deployInputsFromTemplates,
  ecsPatternsDefaults,
  estimateEcsDeployment,
} from './deploy-time.js';
import { OFFLINE_DIFF_NOTE } from './deployed-diff.js';
import type { PriceTable } from './prices.js';
import { possibleSavings, type Saving } from './savings.js';
import { type DeployTimeEstimate, estimateDeployTime } from './stack-time.js';
import { type PlanSummary, summarize } from './summary.js';
import type { StackTemplate } from './template.js';

export interface PlanReport {
  readonly env: string;
  readonly region: string;
  readonly summary: PlanSummary;
  readonly cost: CostReport;
  readonly deployTime?: {
    readonly assumptions: typeof ASSUMPTIONS;
    readonly estimate: DeployEstimate;
    readonly ecsPatternsDefaults: DeployEstimate;
  };
  /** First create, update and rollback of the whole flow, from the stacks' resources. */
  readonly timeline: DeployTimeEstimate;
  readonly savings: readonly Saving[];
  readonly deployedDiff: string;
  /** Set by the plan command: findings against what runs, and config warnings. */
  readonly changeSafety?: ChangeSafetySection;
}

export interface ChangeSafetySection {
  /** Where "what runs" came from; `none` when nothing is deployed or recorded yet. */
  readonly against: 'cloudformation' | 'recorded' | 'none';
  readonly findings: readonly ChangeFinding[];
  readonly configWarnings: readonly string[];
}

export function buildPlan(
  env: string,
  region: string,
  stacks: readonly StackTemplate[],
  table: PriceTable,
  usage: UsageAssumptions = DEFAULT_USAGE,
  /** The environment's config, to check suggested savings against validation. */
  config?: EnvironmentConfig,
): PlanReport {
  const summary = summarize(stacks);
  const cost = estimateCost(stacks, table, usage);
  const inputs = deployInputsFromTemplates(stacks);
  return {
    env,
    region,
    summary,
    cost,
    ...(inputs
      ? {
          deployTime: {
            assumptions: ASSUMPTIONS,
            estimate: estimateEcsDeployment(inputs),
            ecsPatternsDefaults: estimateEcsDeployment(ecsPatternsDefaults(inputs.tasks)),
          },
        }
      : {}),
    timeline: estimateDeployTime(stacks),
    savings: possibleSavings(cost, summary.sizing, region, table, config),
    deployedDiff: OFFLINE_DIFF_NOTE,
  };
}
