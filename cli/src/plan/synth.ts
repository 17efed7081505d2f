/**
 * Where the templates come from: the CDK app synthesized in-process (offline, no credentials), or a cloud
 * assembly directory that already exists (`cdk.out`, or a fixture).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EnvName, ResolvedConfig } from '@berth/infra';
import type { CfnTemplate, StackTemplate } from './template.js';

interface AssemblyLike {
  readonly stacks: ReadonlyArray<{
    readonly stackName: string;
    readonly template: unknown;
    readonly environment: { readonly region: string };
  }>;
}

function toStackTemplates(assembly: AssemblyLike): StackTemplate[] {
  return assembly.stacks.map((s) => ({
    stackName: s.stackName,
    region: s.environment.region,
    template: s.template as CfnTemplate,
  }));
}

/** Synthesizes the given environments (plus Global) into `outdir`, which is left for the caller. */
export async function synthesizeAssembly(
  config: ResolvedConfig,
  environments: readonly EnvName[],
  outdir: string,
): Promise<StackTemplate[]> {
  const { createApp } = await import('@berth/infra/app');
  return toStackTemplates(createApp({ config, outdir, environments }).synth());
}

/** Synthesizes into a temporary directory and returns every stack, Global included. */
export async function synthesizeStacks(
  config: ResolvedConfig,
  environments: readonly EnvName[],
): Promise<StackTemplate[]> {
  const outdir = mkdtempSync(join(tmpdir(), 'berth-plan-'));
  try {
    return await synthesizeAssembly(config, environments, outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Reads an existing cloud assembly directory, e.g. infra/cdk.out after `npm run synth`. */
export async function readAssembly(dir: string): Promise<StackTemplate[]> {
  const { CloudAssembly } = await import('aws-cdk-lib/cx-api');
  return toStackTemplates(new CloudAssembly(dir));
}

/** The stacks one environment owns in the chosen regions, plus the account-wide Global stack. */
export function stacksFor(
  all: readonly StackTemplate[],
  stackNames: readonly string[],
  /** The app's Global stack (`<App>-Global`), when the selection includes it. */
  globalStackName: string | undefined,
): StackTemplate[] {
  const wanted = new Set([...stackNames, ...(globalStackName === undefined ? [] : [globalStackName])]);
  return all.filter((s) => wanted.has(s.stackName));
}
