import {
  type CachedCloudAssembly,
  type IIoHost,
  StackSelectionStrategy,
  Toolkit,
} from '@aws-cdk/toolkit-lib';
import type { EnvName, ResolvedConfig } from '@berth/infra';
import { CliError } from '../errors.js';
import { readAssembly } from '../plan/synth.js';
import type { StackTemplate } from '../plan/template.js';
import type { StackDeployer } from './stack-deployer.js';

/**
 * Deploys through @aws-cdk/toolkit-lib, synthesizing infra's CDK app in this process (no `cdk`
 * subprocess, no cdk.json). Each call synthesizes once and deploys stack by stack, so the
 * order the CLI chooses is the order CloudFormation sees.
 */
export class ToolkitStackDeployer implements StackDeployer {
  private readonly toolkit: Toolkit;

  /** `ioHost` receives every toolkit message; berth passes one that writes to stderr (StderrIoHost). */
  constructor(
    /** The loaded berth.config.ts the app is built from. */
    private readonly config: ResolvedConfig,
    private readonly environments?: readonly EnvName[],
    ioHost?: IIoHost,
  ) {
    this.toolkit = new Toolkit(ioHost ? { ioHost } : {});
  }

  private async assembly(context: Record<string, unknown>) {
    // @berth/infra's compiled app (its TypeScript sources under the @berth/source condition, as in
    // tests), imported on first use so commands that do not synthesize never load aws-cdk-lib.
    const { createApp } = await import('@berth/infra/app');
    const source = await this.toolkit.fromAssemblyBuilder(async (props) => {
      const app = createApp({
        config: this.config,
        outdir: props.outdir,
        // createApp sets the feature flags and fixed availability zones itself (infra's cdk.json repeats them).
        context: { ...props.context, ...context },
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
        `the CDK app has no stack named ${missing.join(', ')}: check @berth/infra's createApp (it has ${known.join(', ')})`,
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
