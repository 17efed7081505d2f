import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { EnvName } from '@berth/infra';
import type { Command } from 'commander';
import { createAwsClients } from '../aws/clients.js';
import { systemClock } from '../aws/wait-for-steady-state.js';
import { type ConfigOptions, loadProjectConfig } from '../config.js';
import type { CommandContext, DeployPreflight } from '../context.js';
import { runCommand } from '../deploy/image-build.js';
import { StderrIoHost } from '../deploy/toolkit-io-host.js';
import { changeSafetyGate } from '../plan/preflight.js';
import { synthesizeStacks } from '../plan/synth.js';
import type { StackTemplate } from '../plan/template.js';
import { systemTerminal } from '../terminal.js';
import { Progress } from '../ui/progress.js';

/**
 * `berth plan`'s change safety as the deploy preflight: refuses unsafe changes against what
 * CloudFormation runs unless each finding is named by `--allow-change`, and says which were accepted.
 */
export function changeSafetyPreflight(deps: {
  readonly repoRoot: string;
  readonly globalStackName: string;
  readonly cfnFor: (region: string) => CloudFormationClient;
  readonly synthesize: (env: string) => Promise<readonly StackTemplate[]>;
  readonly progress: Progress;
}): DeployPreflight {
  return async (input) => {
    const gate = changeSafetyGate({
      allow: input.allowChange,
      globalStackName: deps.globalStackName,
      repoRoot: deps.repoRoot,
      cfnFor: deps.cfnFor,
      synthesize: deps.synthesize,
      report: (line) => deps.progress.step(line),
    });
    await gate(input);
  };
}

/**
 * Builds the real context only when a command runs, so `--help` loads no SDK client, CDK or config. Given the
 * program's global options (`--config`).
 */
export type ContextProvider = (options: ConfigOptions) => CommandContext | Promise<CommandContext>;

export const defaultContext: ContextProvider = async (options) => {
  const config = await loadProjectConfig(options);
  const progress = new Progress(process.stderr);
  // One synth per environment and command: the timeout estimate and the change check share it.
  const synthesized = new Map<string, Promise<readonly StackTemplate[]>>();
  const synthesize = (env: string) => {
    if (!synthesized.has(env)) synthesized.set(env, synthesizeStacks(config, [env as EnvName]));
    return synthesized.get(env)!;
  };
  return {
    config,
    clients: createAwsClients,
    deployer: async (environments) => {
      const { ToolkitStackDeployer } = await import('../deploy/toolkit-deployer.js');
      return new ToolkitStackDeployer(config, environments, new StderrIoHost(process.stderr));
    },
    run: runCommand,
    progress,
    clock: systemClock,
    fetch: (url, init) => fetch(url, init),
    stdout: process.stdout,
    repoRoot: config.projectRoot,
    terminal: systemTerminal,
    synthesize,
    preflight: changeSafetyPreflight({
      repoRoot: config.projectRoot,
      globalStackName: config.names.globalStackName,
      cfnFor: (r) => createAwsClients(r).cfn,
      synthesize,
      progress,
    }),
  };
};

export function printJson(ctx: CommandContext, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** The region option every AWS command shares. */
export function withRegion(command: Command): Command {
  return command.option(
    '--region <region>',
    "one of the environment's configured regions (default: all / primary)",
  );
}
