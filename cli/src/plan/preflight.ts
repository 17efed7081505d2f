/**
 * The change-safety gate `berth deploy` runs before it touches CloudFormation: the same findings
 * `berth plan` prints, and a refusal unless every finding is named by an override.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';

import { CliError } from '../errors.js';
import {
  assessChangeSafety,
  type ChangeFinding,
  unacceptedFindings,
  unusedOverrides,
} from './change-safety.js';
import { type DeployedSource, loadDeployedStacks } from './deployed-record.js';
import type { StackTemplate } from './template.js';

/** The flag `berth deploy` takes; named here so the refusal and the command agree. */
export const ALLOW_CHANGE_FLAG = '--allow-change';

export interface ChangeSafetyPreflight {
  readonly source: DeployedSource;
  readonly findings: readonly ChangeFinding[];
  /** Findings the user accepted by id. */
  readonly accepted: readonly ChangeFinding[];
  /** Override ids that match no finding (print them: a typo, or a risk that no longer applies). */
  readonly unusedOverrides: readonly string[];
}

export interface PreflightOptions {
  /** The stacks the deploy will apply (the synthesized assembly). */
  readonly proposed: readonly StackTemplate[];
  /** Finding ids the user accepts (`--allow-change <id...>`). */
  readonly allow?: readonly string[];
  readonly repoRoot: string;
  /** CloudFormation per region: compare with what really runs. Without it, the recorded templates. */
  readonly cfnFor?: (region: string) => CloudFormationClient;
}

/** Resolves when the change is safe or every finding is accepted; throws a CliError listing the rest. */
export async function checkChangeSafety(options: PreflightOptions): Promise<ChangeSafetyPreflight> {
  const allow = options.allow ?? [];
  const deployed = await loadDeployedStacks(options.proposed, options);
  const findings = assessChangeSafety({ deployed: deployed.stacks, proposed: options.proposed });
  const refused = unacceptedFindings(findings, allow);
  if (refused.length > 0) {
    throw new CliError(
      `refusing to deploy: ${refused.length} unsafe change(s) against the ${deployed.source === 'cloudformation' ? 'deployed' : 'last recorded'} stacks ` +
        `(berth plan shows them); fix them, or accept each with ${ALLOW_CHANGE_FLAG} ${refused.map((f) => f.id).join(' ')}`,
      renderFindings(refused),
    );
  }
  return {
    source: deployed.source,
    findings,
    accepted: findings.filter((f) => allow.includes(f.id)),
    unusedOverrides: unusedOverrides(findings, allow),
  };
}

export function renderFindings(findings: readonly ChangeFinding[]): string {
  return findings.map((f) => `  ✗ ${f.id}\n      ${f.message}\n      fix: ${f.fix}`).join('\n');
}

/** The slice of a deploy target the gate needs: its stack names by component. */
interface TargetStacks {
  readonly stacks: Readonly<Record<string, string>>;
}

export interface DeployGateOptions {
  readonly allow: readonly string[];
  /** The app's Global stack (`<App>-Global`): checked with every environment's stacks. */
  readonly globalStackName: string;
  readonly repoRoot: string;
  readonly cfnFor?: (region: string) => CloudFormationClient;
  /** Synthesizes an environment offline (synthesizeStacks); tests pass a fake. */
  readonly synthesize: (env: string) => Promise<readonly StackTemplate[]>;
  /** Where to say which accepted findings and unused overrides there were. */
  readonly report?: (line: string) => void;
}

/**
 * A `preflight` hook for `berth deploy`: synthesizes the environment (the image digest does not change
 * what the check looks at), keeps the targets' stacks and Global, and runs checkChangeSafety.
 */
export function changeSafetyGate(options: DeployGateOptions) {
  return async (input: { readonly env: string; readonly targets: readonly TargetStacks[] }) => {
    const all = await options.synthesize(input.env);
    const wanted = new Set([
      options.globalStackName,
      ...input.targets.flatMap((t) => Object.values(t.stacks)),
    ]);
    const result = await checkChangeSafety({
      proposed: all.filter((s) => wanted.has(s.stackName)),
      allow: options.allow,
      repoRoot: options.repoRoot,
      ...(options.cfnFor ? { cfnFor: options.cfnFor } : {}),
    });
    for (const f of result.accepted) options.report?.(`accepted by ${ALLOW_CHANGE_FLAG}: ${f.id}`);
    for (const id of result.unusedOverrides) {
      options.report?.(`${ALLOW_CHANGE_FLAG} ${id} matches no finding (a typo, or no longer needed)`);
    }
    return result;
  };
}
