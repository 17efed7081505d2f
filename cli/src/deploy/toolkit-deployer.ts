import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type CachedCloudAssembly,
  type IIoHost,
  StackSelectionStrategy,
  Toolkit,
} from '@aws-cdk/toolkit-lib';
import type { ResolvedConfig } from '../../../infra/config/resolve.js';
import { CliError } from '../errors.js';
import { readAssembly } from '../plan/synth.js';
import type { StackTemplate } from '../plan/template.js';
import { REPO_ROOT } from '../repo-root.js';
import type { CreateApp, StackDeployer } from './stack-deployer.js';

const INFRA_DIR = path.join(REPO_ROOT, 'infra');
const APP_MODULE = path.join(INFRA_DIR, 'lib/app.ts');

let tsxLoader: Promise<unknown> | undefined;

/** cdk.json's context (feature flags, fixed availability zones): in-process synth does not read it itself. */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(INFRA_DIR, 'cdk.json'), 'utf8')) as { context?: object };
  return { ...cdkJson.context };
}

/**
 * Deploys through @aws-cdk/toolkit-lib, synthesizing infra's CDK app in this process (no `cdk`
 * subprocess, no cdk.json lookup). Each call synthesizes once and deploys stack by stack, so the
 * order the CLI chooses is the order CloudFormation sees.
 */
export class ToolkitStackDeployer implements StackDeployer {
  private readonly toolkit: Toolkit;

  /** `ioHost` receives every toolkit message; berth passes one that writes to stderr (StderrIoHost). */
  constructor(
    private readonly config: ResolvedConfig,
    private readonly environments?: string[],
    ioHost?: IIoHost,
  ) {
    this.toolkit = new Toolkit(ioHost ? { ioHost } : {});
  }

  private async assembly(context: Record<string, unknown>) {
    // The app is loaded from infra's TypeScript sources, so deploys see the current code also when the
    // CLI itself runs compiled (cli/dist): tsx's loader, registered once per process.
    tsxLoader ??= import('tsx/esm/api').then(({ register }) => register());
    await tsxLoader;
    // A runtime path keeps tsc from resolving infra's app (and aws-cdk-lib) when type-checking the CLI.
    const { createApp } = (await import(pathToFileURL(APP_MODULE).href)) as { createApp: CreateApp };
    const source = await this.toolkit.fromAssemblyBuilder(async (props) => {
      const app = createApp({
        config: this.config,
        outdir: props.outdir,
        context: { ...cdkJsonContext(), ...props.context, ...context },
        ...(this.environments ? { environments: this.environments } : {}),
      });
      // biome-ignore lint/suspicious/noExplicitAny: toolkit-lib wants the cx-api assembly synth() returns.
      return app.synth() as any;
    });
    return this.toolkit.synth(source);
  }

  /** Every stack name in the synthesized app; a deploy checks its names against it before touching AWS. */
  async synthesizedStackNames(context: Record<string, unknown> = {}): Promise<string[]> {
    const assembly = await this.assembly(context);
    try {
      return await this.names(assembly);
    } finally {
      await assembly.dispose();
    }
  }

  private async names(assembly: CachedCloudAssembly): Promise<string[]> {
    const stacks = await this.toolkit.list(assembly, {
      stacks: { strategy: StackSelectionStrategy.ALL_STACKS },
    });
    return stacks.map((s) => s.name);
  }

  /** Refuses names the app does not have, before any AWS call: a typo must never select nothing. */
  private async requireKnown(assembly: CachedCloudAssembly, stackNames: readonly string[]): Promise<void> {
    const known = await this.names(assembly);
    const missing = stackNames.filter((n) => !known.includes(n));
    if (missing.length > 0) {
      throw new CliError(
        `the CDK app has no stack named ${missing.join(', ')}: check infra/lib/app.ts (it has ${known.join(', ')})`,
      );
    }
  }

  async deploy(stackNames: readonly string[], context: Record<string, unknown>): Promise<StackTemplate[]> {
    const assembly = await this.assembly(context);
    try {
      await this.requireKnown(assembly, stackNames);
      for (const name of stackNames) {
        await this.toolkit.deploy(assembly, {
          stacks: { strategy: StackSelectionStrategy.PATTERN_MUST_MATCH, patterns: [name] },
        });
      }
      // The templates just applied, read from the same assembly before it is disposed.
      const all = await readAssembly(assembly.cloudAssembly.directory);
      return all.filter((s) => stackNames.includes(s.stackName));
    } finally {
      await assembly.dispose();
    }
  }

  async destroy(stackNames: readonly string[]): Promise<void> {
    const assembly = await this.assembly({});
    try {
      await this.requireKnown(assembly, stackNames);
      for (const name of stackNames) {
        await this.toolkit.destroy(assembly, {
          stacks: { strategy: StackSelectionStrategy.PATTERN_MUST_MATCH, patterns: [name] },
        });
      }
    } finally {
      await assembly.dispose();
    }
  }
}
