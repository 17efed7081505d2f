import type { StackTemplate } from '../plan/template.js';

/**
 * The seam between the CLI's orchestration and the CDK toolkit: deploy or destroy named stacks with
 * a given CDK context. The real implementation synthesizes infra's app in-process; tests use a fake
 * that records calls, because a real deploy needs AWS.
 */
export interface StackDeployer {
  /**
   * Deploys the stacks one after another in the given order; rejects on the first failure. Resolves
   * with the templates CloudFormation applied, which the deploy records for the offline change check.
   */
  deploy(stackNames: readonly string[], context: Record<string, unknown>): Promise<readonly StackTemplate[]>;
  /** Destroys the stacks one after another in the given order. */
  destroy(stackNames: readonly string[]): Promise<void>;
}
