/**
 * The default `--timeout` of `berth deploy` and `berth rollback` when none is given: `berth plan`'s
 * estimate for the stacks about to be deployed (cli/src/plan/stack-time.ts), 1.5 × rounded up to 5 min.
 */
import { estimateDeployTime } from '../plan/stack-time.js';
import type { StackTemplate } from '../plan/template.js';

/** `stacks`: one region's stacks in deploy order; a first create carries the slow resources (RDS, NAT). */
export function defaultDeployTimeoutMs(stacks: readonly StackTemplate[], firstCreate: boolean): number {
  const t = estimateDeployTime(stacks).suggestedTimeoutMinutes;
  return (firstCreate ? t.firstCreate : t.update) * 60_000;
}

/** A rollback redeploys the Service stack with the previous digest: a full ECS deployment. */
export function defaultRollbackTimeoutMs(stacks: readonly StackTemplate[]): number {
  return estimateDeployTime(stacks).suggestedTimeoutMinutes.rollback * 60_000;
}
