import { realpathSync } from 'node:fs';
import { CliError } from '../errors.js';
import type { Writer } from '../ui/progress.js';
import { AMI_WORKFLOW, renderAmiWorkflow } from './ami-workflow.js';
import { berthInstallFor, berthVersion } from './berth-install.js';
import { renderConfigFile } from './config-file.js';
import { checkFlags, type InitFlags } from './flags.js';
import { gitTopLevel } from './git-repository.js';
import { planInit } from './plan-init.js';
import { readlinePrompter } from './prompter.js';
import { initReport } from './report.js';
import { CI_WORKFLOW, DELIVER_WORKFLOW, renderCiWorkflow, renderDeliverWorkflow } from './workflows.js';
import { type GeneratedFile, writeGeneratedFiles } from './write-files.js';

export type { InitFlags } from './flags.js';

export interface InitIo {
  /** The repository root the files are written to. */
  readonly cwd: string;
  readonly input: NodeJS.ReadableStream;
  /** Where questions go (a terminal's stdout). */
  readonly output: NodeJS.WritableStream;
  /** What was found and written, and the next commands. */
  readonly stdout: Writer;
  /** Whether questions can be answered: stdin is a terminal, or a test drives the prompts. */
  readonly interactive: boolean;
  /** AWS_REGION / AWS_DEFAULT_REGION offer the default region. */
  readonly env: NodeJS.ProcessEnv;
}

export const CONFIG_FILE = 'berth.config.ts';

/**
 * `berth init`: reads the repository (Dockerfile, routes, git remote), asks what it cannot find or takes
 * flags, writes berth.config.ts and three workflows (plan, deliver, node AMI) without replacing a file unasked,
 * and says what is next.
 */
export async function runInit(flags: InitFlags, io: InitIo): Promise<void> {
  checkFlags(flags);
  const root = realpathSync(io.cwd);
  const top = gitTopLevel(root);
  if (top !== undefined && realpathSync(top) !== root) {
    throw new CliError(`GitHub reads workflows only at the repository root: run berth init in ${top}`);
  }
  if (!flags.yes && !io.interactive) {
    throw new CliError(
      'berth init asks questions but stdin is not a terminal: pass --yes, with --account, --prod-account, --region and --port as needed',
    );
  }
  const prompter = flags.yes ? undefined : readlinePrompter(io.input, io.output);
  try {
    const { plan, note } = await planInit(root, flags, io.env, prompter);
    const version = berthVersion();
    const workflowInputs = {
      install: berthInstallFor(root, version),
      region: plan.region,
      healthPath: plan.healthPath.value,
      prebuilt: 'prebuilt' in plan.image,
    };
    const files: GeneratedFile[] = [
      { path: CONFIG_FILE, content: renderConfigFile(plan) },
      { path: CI_WORKFLOW, content: renderCiWorkflow(workflowInputs) },
      { path: DELIVER_WORKFLOW, content: renderDeliverWorkflow(workflowInputs) },
      { path: AMI_WORKFLOW, content: renderAmiWorkflow(workflowInputs) },
    ];
    const outcomes = await writeGeneratedFiles(root, files, {
      force: flags.force === true,
      ...(prompter ? { prompter } : {}),
    });
    io.stdout.write(initReport({ plan, note, configFile: CONFIG_FILE, outcomes, root, version }));
  } finally {
    prompter?.close();
  }
}
