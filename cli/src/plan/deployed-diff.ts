/**
 * Comparing the plan with what is deployed needs the CloudFormation API, so it goes through toolkit-lib's
 * diff with credentials. Offline there is nothing honest to show: the plan prints this note instead.
 */
import type { StackTemplate } from './template.js';

export interface DeployedStackDiff {
  /** One readable diff per stack that would change; empty when the deployed stacks match. */
  diff(stacks: readonly StackTemplate[]): Promise<ReadonlyArray<{ stackName: string; text: string }>>;
}

export const OFFLINE_DIFF_NOTE =
  'diff against deployed stacks: not run (needs AWS credentials and toolkit-lib diff; this plan is offline)';
