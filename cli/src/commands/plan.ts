import { existsSync } from 'node:fs';
import { ENV_NAMES, type EnvName, type LoadedConfig, type ResolvedConfig } from '@berth/infra';
import type { Command } from 'commander';
import { type ClientFactory, createAwsClients } from '../aws/clients.js';
import { checkCredentials } from '../aws/credentials.js';
import { loadProjectConfig } from '../config.js';
import { CliError } from '../errors.js';
import { assessChangeSafety } from '../plan/change-safety.js';
import { configWarnings } from '../plan/config-warnings.js';
import { diffAgainstDeployed, renderStackDiffs, type StackDiff } from '../plan/deployed-diff.js';
import { type DeployedStacks, loadDeployedStacks } from '../plan/deployed-record.js';
import { DIAGRAM_END, DIAGRAM_START, renderDiagram, writeDiagramSection } from '../plan/diagram.js';
import { renderComparison, renderPlan } from '../plan/format.js';
import { CURRENT_PRICES } from '../plan/prices.js';
import { buildPlan, type ChangeSafetySection, type PlanReport } from '../plan/report.js';
import { readAssembly, stacksFor, synthesizeStacks } from '../plan/synth.js';
import type { StackTemplate } from '../plan/template.js';
import { resolveTargets, type Target } from '../target.js';
import { Progress, type Writer } from '../ui/progress.js';

export interface PlanOptions {
  readonly region?: string;
  readonly json?: boolean;
  readonly diagram?: boolean;
  readonly write?: string;
  readonly compare?: boolean;
  readonly assembly?: string;
  /** Compare with the deployed stacks (needs AWS credentials). */
  readonly diff?: boolean;
  /** Exit non-zero when the change-safety check finds anything (for CI on pull requests). */
  readonly strict?: boolean;
  /** Where `.berth/deployed` lives; tests point it at a temporary directory. @default - the project root */
  readonly repoRoot?: string;
  /** The loaded berth.config.ts. @default - the nearest one above the working directory */
  readonly projectConfig?: LoadedConfig;
}

export function registerPlanCommand(program: Command): void {
  program
    .command('plan')
    .description(
      'Offline, before paying: what the stacks create, what the internet can reach, monthly cost, ' +
        'deploy and rollback time, and an architecture diagram.',
    )
    .argument('[env]', `environment: ${ENV_NAMES.join(', ')} (omit with --compare)`)
    .option('--region <region>', "one of the environment's regions (default: all of them)")
    .option('--json', 'print the plan as JSON for scripts')
    .option('--diagram', 'print the Mermaid architecture diagram instead of the plan')
    .option(
      '--write <file>',
      'with --diagram: replace the diagram between the berth:diagram markers in <file>',
    )
    .option('--compare', 'every environment side by side, with what config changes would save')
    .option(
      '--assembly <dir>',
      'read templates from an existing cloud assembly (e.g. infra/cdk.out) instead of synthesizing',
    )
    .option('--diff', 'also compare with the deployed stacks, resource by resource (needs AWS credentials)')
    .option('--strict', 'exit non-zero when the change-safety check finds an unsafe change')
    .addHelpText(
      'after',
      '\nExamples:\n  berth plan test\n  berth plan prod --json\n  berth plan --compare\n' +
        '  berth plan test --diagram --write docs/architecture.md',
    )
    .action(async (env: string | undefined, options: PlanOptions) => {
      await runPlan(env, { ...options, projectConfig: await loadProjectConfig(program.opts()) });
    });
}

/** The command without commander: tests call it with a writer and, optionally, ready-made stacks. */
export async function runPlan(
  env: string | undefined,
  options: PlanOptions,
  out: Writer = process.stdout,
  err: Writer = process.stderr,
  clients: ClientFactory = createAwsClients,
): Promise<void> {
  if (options.compare && env !== undefined) {
    throw new CliError('--compare plans every environment: drop the environment argument');
  }
  if (!options.compare && env === undefined) {
    throw new CliError(
      `which environment? use berth plan <env> with one of ${ENV_NAMES.join(', ')}, or --compare`,
    );
  }
  if (options.write && options.compare) throw new CliError('--write goes with one environment and --diagram');
  if (options.diff && (options.compare || options.diagram)) {
    throw new CliError('--diff goes with one environment: drop --compare/--diagram');
  }
  const config = options.projectConfig ?? (await loadProjectConfig());
  const repoRoot = options.repoRoot ?? config.projectRoot;
  const targets = options.compare
    ? ENV_NAMES.flatMap((name) => resolveTargets(config, name, options.region).slice(0, 1))
    : resolveTargets(config, env!, options.region);
  const stacks = await loadStacks(config, targets, options.assembly, new Progress(err));

  const plans = targets.map((t) => {
    const own = stacksFor(stacks, Object.values(t.stacks), config.names.globalStackName);
    if (own.length <= 1) {
      throw new CliError(
        `no stacks for ${t.env} in ${t.region} in the templates: synthesize them (npm run synth -w infra) or drop --assembly`,
      );
    }
    return { target: t, stacks: own };
  });

  if (options.diagram || options.write) {
    const diagrams = plans.map((p) => renderDiagram(p.stacks));
    if (options.write) {
      writeDiagram(
        options.write,
        diagrams[0]!,
        `npx berth plan ${plans[0]!.target.env} --diagram --write ${options.write}`,
      );
      err.write(`berth: wrote the ${plans[0]!.target.env} diagram into ${options.write}\n`);
      return;
    }
    out.write(diagrams.map((d) => `\`\`\`mermaid\n${d}\`\`\`\n`).join('\n'));
    return;
  }

  const built: PlanReport[] = plans.map((p) =>
    buildPlan(p.target.env, p.target.region, p.stacks, CURRENT_PRICES, undefined, p.target.config),
  );
  const reports = options.compare
    ? built
    : await Promise.all(
        built.map(async (r, i) => ({
          ...r,
          changeSafety: await changeSafety(
            config,
            repoRoot,
            plans[i]!.target,
            plans[i]!.stacks,
            options,
            clients,
          ),
        })),
      );
  const unsafe = reports.flatMap((r) => r.changeSafety?.findings ?? []);
  if (options.strict && unsafe.length > 0) {
    // Print the plan first, so the reason is on screen above the error.
    out.write(options.json ? `${JSON.stringify(reports, null, 2)}\n` : reports.map(renderPlan).join('\n'));
    throw new CliError(
      `--strict: ${unsafe.length} unsafe change(s): ${unsafe.map((f) => f.id).join(', ')} (see Change safety above)`,
    );
  }
  if (options.diff) {
    const diffs: StackDiff[][] = [];
    for (const { target, stacks: own } of plans) {
      const aws = clients(target.region);
      await checkCredentials(aws.sts, target.config);
      diffs.push(await diffAgainstDeployed(aws.cfn, own));
    }
    if (options.json) {
      out.write(`${JSON.stringify({ plans: reports, diff: diffs.flat() }, null, 2)}\n`);
    } else {
      out.write(
        reports.map((r, i) => renderPlan({ ...r, deployedDiff: renderStackDiffs(diffs[i]!) })).join('\n'),
      );
    }
    return;
  }
  if (options.json) {
    out.write(`${JSON.stringify(options.compare || reports.length > 1 ? reports : reports[0], null, 2)}\n`);
  } else if (options.compare) {
    out.write(renderComparison(reports));
  } else {
    out.write(reports.map(renderPlan).join('\n'));
  }
}

async function changeSafety(
  config: ResolvedConfig,
  repoRoot: string,
  target: Target,
  proposed: readonly StackTemplate[],
  options: PlanOptions,
  clients: ClientFactory,
): Promise<ChangeSafetySection> {
  let deployed: DeployedStacks;
  if (options.diff) {
    const aws = clients(target.region);
    await checkCredentials(aws.sts, target.config);
    deployed = await loadDeployedStacks(proposed, {
      repoRoot,
      cfnFor: (region) => clients(region).cfn,
    });
  } else {
    deployed = await loadDeployedStacks(proposed, { repoRoot });
  }
  return {
    against: deployed.stacks.length === 0 ? 'none' : deployed.source,
    findings: assessChangeSafety({ deployed: deployed.stacks, proposed }),
    configWarnings: configWarnings(target.config, config.environments),
  };
}

async function loadStacks(
  config: ResolvedConfig,
  targets: readonly Target[],
  assembly: string | undefined,
  progress: Progress,
) {
  if (assembly !== undefined) {
    if (!existsSync(`${assembly}/manifest.json`)) {
      throw new CliError(
        `no cloud assembly in ${assembly}: run npm run synth -w infra first, or drop --assembly`,
      );
    }
    return readAssembly(assembly);
  }
  const envs = [...new Set(targets.map((t) => t.env))] as EnvName[];
  progress.step(`synthesizing ${envs.join(', ')} offline (no AWS calls)`);
  try {
    const stacks: StackTemplate[] = await synthesizeStacks(config, envs);
    progress.step(`synthesized ${stacks.length} stacks`);
    return stacks;
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new CliError(`synthesis failed: ${message} (run npm run synth -w infra for the full output)`);
  }
}

function writeDiagram(path: string, diagram: string, generatedBy: string): void {
  if (!existsSync(path))
    throw new CliError(`${path} does not exist: create it with the diagram markers first`);
  try {
    writeDiagramSection(path, diagram, generatedBy);
  } catch {
    throw new CliError(
      `${path} has no ${DIAGRAM_START} … ${DIAGRAM_END} markers: add them where the diagram goes`,
    );
  }
}
