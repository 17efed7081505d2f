/**
 * What runs, as the change-safety check sees it: CloudFormation's own templates (GetTemplate) when
 * credentials exist, else the templates the last successful `berth deploy` from this checkout recorded in
 * `.berth/deployed/<env>/<stack>.template.json` (one file per stack, with its region).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { deployedTemplate } from './deployed-diff.js';
import type { CfnTemplate, StackTemplate } from './template.js';

export const DEPLOYED_RECORD_DIR = '.berth/deployed';

interface RecordFile {
  readonly stackName: string;
  readonly region: string;
  readonly recordedAt: string;
  readonly template: CfnTemplate;
}

/**
 * Called by the deploy flow once CloudFormation has applied the stacks: records exactly the templates
 * it deployed, so the next offline plan compares with them. Writes each file atomically (tmp + rename).
 */
export function recordDeployedTemplates(
  repoRoot: string,
  env: string,
  stacks: readonly StackTemplate[],
  now: Date = new Date(),
): void {
  const dir = join(repoRoot, DEPLOYED_RECORD_DIR, env);
  mkdirSync(dir, { recursive: true });
  for (const s of stacks) {
    const record: RecordFile = {
      stackName: s.stackName,
      region: s.region,
      recordedAt: now.toISOString(),
      template: s.template,
    };
    const file = join(dir, `${s.stackName}.template.json`);
    writeFileSync(`${file}.tmp`, `${JSON.stringify(record, null, 1)}\n`);
    renameSync(`${file}.tmp`, file);
  }
}

/** Every recorded stack of every environment (the name checks look across all of them). */
export function readRecordedTemplates(repoRoot: string): StackTemplate[] {
  const root = join(repoRoot, DEPLOYED_RECORD_DIR);
  const envs = safeList(root);
  const byName = new Map<string, RecordFile>();
  for (const env of envs) {
    for (const file of safeList(join(root, env)).filter((f) => f.endsWith('.template.json'))) {
      const record = JSON.parse(readFileSync(join(root, env, file), 'utf8')) as RecordFile;
      // The Global stack is recorded by every environment's deploy: the newest record wins.
      const seen = byName.get(record.stackName);
      if (!seen || seen.recordedAt < record.recordedAt) byName.set(record.stackName, record);
    }
  }
  return [...byName.values()].map(({ stackName, region, template }) => ({ stackName, region, template }));
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

export type DeployedSource = 'cloudformation' | 'recorded';

export interface DeployedStacks {
  readonly source: DeployedSource;
  readonly stacks: readonly StackTemplate[];
}

/**
 * The deployed counterpart of each proposed stack. With a CloudFormation client per region, asks
 * CloudFormation (a stack that does not exist is simply absent); without, reads the local record.
 */
export async function loadDeployedStacks(
  proposed: readonly StackTemplate[],
  options: { readonly repoRoot: string; readonly cfnFor?: (region: string) => CloudFormationClient },
): Promise<DeployedStacks> {
  if (!options.cfnFor) return { source: 'recorded', stacks: readRecordedTemplates(options.repoRoot) };
  const stacks: StackTemplate[] = [];
  for (const s of proposed) {
    const template = await deployedTemplate(options.cfnFor(s.region), s.stackName);
    if (template) stacks.push({ stackName: s.stackName, region: s.region, template });
  }
  return { source: 'cloudformation', stacks };
}
