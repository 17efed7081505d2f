/**
 * What a deploy would change, against what is deployed: CloudFormation's current template of each stack
 * (GetTemplate) compared resource by resource with the synthesized one. Needs credentials, so the plan
 * runs it only with --diff and otherwise prints OFFLINE_DIFF_NOTE.
 */
import { type CloudFormationClient, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { parse } from 'yaml';
import { type CfnResource, type CfnTemplate, canonical, type StackTemplate } from './template.js';

export const OFFLINE_DIFF_NOTE =
  'diff against deployed stacks: not run (offline); `berth plan <env> --diff` compares with AWS credentials';

export interface StackDiff {
  readonly stackName: string;
  /** `new`: the stack does not exist yet, every resource is created. */
  readonly status: 'new' | 'changed' | 'unchanged';
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** Same logical id, different type or properties (CloudFormation decides update vs replace). */
  readonly modified: readonly string[];
}

export async function diffAgainstDeployed(
  cfn: CloudFormationClient,
  stacks: readonly StackTemplate[],
): Promise<StackDiff[]> {
  const diffs: StackDiff[] = [];
  for (const stack of stacks) {
    const deployed = await deployedTemplate(cfn, stack.stackName);
    diffs.push(compareTemplates(stack.stackName, deployed, stack.template));
  }
  return diffs;
}

/** The template CloudFormation runs for a stack (GetTemplate, stage Original), or undefined if none. */
export async function deployedTemplate(
  cfn: CloudFormationClient,
  stackName: string,
): Promise<CfnTemplate | undefined> {
  try {
    const { TemplateBody } = await cfn.send(
      new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Original' }),
    );
    // CDK deploys JSON; YAML parsing reads both.
    return (parse(TemplateBody ?? '{}') ?? {}) as CfnTemplate;
  } catch (error) {
    if (error instanceof Error && /does not exist/.test(error.message)) return undefined;
    throw error;
  }
}

/** Pure: the resource-level difference between a deployed template (or none) and a synthesized one. */
export function compareTemplates(
  stackName: string,
  deployed: CfnTemplate | undefined,
  synthesized: CfnTemplate,
): StackDiff {
  const next = synthesized.Resources ?? {};
  if (deployed === undefined) {
    return { stackName, status: 'new', added: Object.keys(next).sort(), removed: [], modified: [] };
  }
  const current = deployed.Resources ?? {};
  const added = Object.keys(next).filter((id) => !(id in current));
  const removed = Object.keys(current).filter((id) => !(id in next));
  const modified = Object.keys(next).filter((id) => id in current && !sameResource(current[id]!, next[id]!));
  const status = added.length + removed.length + modified.length === 0 ? 'unchanged' : 'changed';
  return { stackName, status, added: added.sort(), removed: removed.sort(), modified: modified.sort() };
}

/** Type and properties decide an update; metadata (CDK paths) does not. */
function sameResource(a: CfnResource, b: CfnResource): boolean {
  return a.Type === b.Type && canonical(a.Properties ?? {}) === canonical(b.Properties ?? {});
}

export function renderStackDiffs(diffs: readonly StackDiff[]): string {
  const lines = ['Against what is deployed:'];
  for (const d of diffs) {
    if (d.status === 'unchanged') {
      lines.push(`  ${d.stackName}: no change`);
      continue;
    }
    if (d.status === 'new') {
      lines.push(`  ${d.stackName}: not deployed yet, creates ${d.added.length} resources`);
      continue;
    }
    lines.push(
      `  ${d.stackName}: ${d.added.length} to add, ${d.modified.length} to modify, ${d.removed.length} to remove`,
    );
    for (const [sign, ids] of [
      ['+', d.added],
      ['~', d.modified],
      ['-', d.removed],
    ] as const) {
      for (const id of ids) lines.push(`    ${sign} ${id}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
