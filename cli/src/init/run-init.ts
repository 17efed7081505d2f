import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { CliError } from '../errors.js';
import type { Writer } from '../ui/progress.js';
import { appNameFrom } from './app-name.js';
import { berthInstalledIn, berthInstallFor, berthVersion, CLI_PACKAGE } from './berth-install.js';
import {
  type Check,
  checkAccount,
  checkAppName,
  checkEmail,
  checkHealthPath,
  checkPort,
  checkRegion,
  checkRepository,
} from './checks.js';
import { type InitPlan, renderConfigFile, type Sourced } from './config-file.js';
import { readDockerfile } from './dockerfile.js';
import { findDockerfiles } from './find-dockerfiles.js';
import { detectGithubRepository, gitTopLevel } from './git-repository.js';
import { findHealthRoute } from './health-route.js';
import { type Prompter, readlinePrompter } from './prompter.js';
import { CI_WORKFLOW, DELIVER_WORKFLOW, renderCiWorkflow, renderDeliverWorkflow } from './workflows.js';
import { type GeneratedFile, writeGeneratedFiles } from './write-files.js';

export interface InitFlags {
  app?: string;
  repository?: string;
  account?: string;
  prodAccount?: string;
  region?: string;
  port?: string;
  healthPath?: string;
  alarmEmail?: string;
  dockerfile?: string;
  yes?: boolean;
  force?: boolean;
}

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
/** AWS's documentation example account id: recognisable, and the credential check refuses it at deploy. */
export const PLACEHOLDER_ACCOUNT = '123456789012';
export const PLACEHOLDER_REPOSITORY = 'your-org/your-repository';
export const DEFAULT_REGION = 'eu-west-1';

const FLAG_CHECKS: [keyof InitFlags, string, Check][] = [
  ['app', '--app', checkAppName],
  ['repository', '--repository', checkRepository],
  ['account', '--account', checkAccount],
  ['prodAccount', '--prod-account', checkAccount],
  ['region', '--region', checkRegion],
  ['port', '--port', checkPort],
  ['healthPath', '--health-path', checkHealthPath],
  ['alarmEmail', '--alarm-email', checkEmail],
];

function checkFlags(flags: InitFlags): void {
  for (const [key, flag, check] of FLAG_CHECKS) {
    const value = flags[key];
    const problem = typeof value === 'string' ? check(value) : undefined;
    if (problem) throw new CliError(`${flag} ${problem}`);
  }
}

/** Which Dockerfile becomes the web service, and why; one per repository for now. */
async function chooseDockerfile(
  root: string,
  flags: InitFlags,
  prompter: Prompter | undefined,
): Promise<{ dockerfile: string; note: string }> {
  if (flags.dockerfile !== undefined) {
    const relative = path.relative(root, path.resolve(root, flags.dockerfile)).split(path.sep).join('/');
    const full = path.join(root, relative);
    if (relative.startsWith('..') || !existsSync(full) || !statSync(full).isFile()) {
      throw new CliError(
        `--dockerfile "${flags.dockerfile}" is not a file in ${root}: give its path from the repository root`,
      );
    }
    return { dockerfile: relative, note: '--dockerfile' };
  }
  const found = findDockerfiles(root);
  if (found.length === 0) {
    throw new CliError(
      `no Dockerfile in ${root} or the folders below it: add one (Berth deploys a container image), or pass --dockerfile <path>`,
    );
  }
  const others = (chosen: string) => found.filter((f) => f !== chosen);
  const atRoot = found.find((f) => !f.includes('/'));
  const single = found.length === 1 ? found[0] : undefined;
  const direct = atRoot ?? single;
  if (direct !== undefined) {
    const rest = others(direct);
    return {
      dockerfile: direct,
      note:
        rest.length === 0
          ? 'the only Dockerfile'
          : `also found ${rest.join(', ')}: one web service per repository for now, --dockerfile picks another`,
    };
  }
  if (!prompter) {
    throw new CliError(
      `several Dockerfiles and none at the root (${found.join(', ')}): choose one with --dockerfile <path>`,
    );
  }
  const list = found.map((f, i) => `  ${i + 1}. ${f}`).join('\n');
  const answer = await prompter.ask(
    `Several Dockerfiles, one web service for now:\n${list}\nWhich one (number)`,
    (a) =>
      /^\d+$/.test(a) && Number(a) >= 1 && Number(a) <= found.length
        ? undefined
        : `answer 1 to ${found.length}`,
    '1',
  );
  const chosen = found[Number(answer) - 1]!;
  return { dockerfile: chosen, note: `chosen from ${found.length} Dockerfiles` };
}

function fromFlag<T>(value: T | undefined, flag: string): Sourced<T> | undefined {
  return value === undefined ? undefined : { value, source: flag };
}

/** Everything the files need: flags first, then what the repository shows, then questions or defaults. */
async function decide(root: string, flags: InitFlags, io: InitIo, prompter: Prompter | undefined) {
  const { dockerfile, note } = await chooseDockerfile(root, flags, prompter);
  const context = path.posix.dirname(dockerfile);
  const facts = readDockerfile(readFileSync(path.join(root, dockerfile), 'utf8'));

  const exposedNote = facts.exposed.length > 1 ? ` (also exposes ${facts.exposed.slice(1).join(', ')})` : '';
  const port: Sourced<number> =
    fromFlag(flags.port === undefined ? undefined : Number(flags.port), '--port') ??
    (facts.port !== undefined
      ? { value: facts.port, source: `EXPOSE in ${dockerfile}${exposedNote}`, detected: true }
      : undefined) ??
    (facts.healthPort !== undefined
      ? { value: facts.healthPort, source: `HEALTHCHECK URL in ${dockerfile}`, detected: true }
      : undefined) ??
    (await askPort(dockerfile, facts.unresolvedExpose, prompter));

  const route = facts.healthPath === undefined ? findHealthRoute(path.join(root, context)) : undefined;
  const healthPath: Sourced<string> =
    fromFlag(flags.healthPath, '--health-path') ??
    (facts.healthPath !== undefined
      ? { value: facts.healthPath, source: `HEALTHCHECK in ${dockerfile}`, detected: true }
      : route !== undefined
        ? {
            value: route.route,
            source: `route found in ${path.posix.join(context, route.file)}`,
            detected: true,
          }
        : {
            value: '/',
            source: 'no health route found: the load balancer expects 200 from /',
            detected: true,
          });

  const detected = detectGithubRepository(root);
  const repository: Sourced<string> =
    fromFlag(flags.repository, '--repository') ??
    (detected !== undefined ? { value: detected, source: 'git remote origin', detected: true } : undefined) ??
    (prompter
      ? { value: await prompter.ask('GitHub repository (owner/name)', checkRepository), source: 'answered' }
      : {
          value: PLACEHOLDER_REPOSITORY,
          source: 'set your GitHub owner/name before deploying (no GitHub remote origin found)',
          placeholder: true,
        });

  const inferred = appNameFrom(
    repository.placeholder ? path.basename(root) : repository.value.split('/')[1]!,
  );
  const app =
    flags.app ??
    inferred ??
    (prompter ? await prompter.ask('App name', checkAppName) : undefined) ??
    failFlag('--app', `no valid app name in "${path.basename(root)}"`);

  const regionDefault = io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION ?? DEFAULT_REGION;
  const region =
    flags.region ??
    (prompter ? await prompter.ask('AWS region', checkRegion, regionDefault) : checkedDefault(regionDefault));

  const testAccount: Sourced<string> =
    fromFlag(flags.account, '--account') ??
    (prompter
      ? { value: await prompter.ask('AWS account id for test', checkAccount), source: 'answered' }
      : {
          value: PLACEHOLDER_ACCOUNT,
          source: 'set your AWS account id before deploying',
          placeholder: true,
        });
  const prodAccount: Sourced<string> =
    fromFlag(flags.prodAccount, '--prod-account') ??
    (prompter
      ? {
          value: await prompter.ask('AWS account id for prod', checkAccount, testAccount.value),
          source: 'answered',
        }
      : {
          ...testAccount,
          ...(testAccount.placeholder ? {} : { source: 'same account as test', detected: true }),
        });

  const alarmEmail: Sourced<string> = fromFlag(flags.alarmEmail, '--alarm-email') ??
    (await askAlarmEmail(prompter)) ?? {
      value: '',
      source: "replace the waiver with alarms: { email: '<on-call address>' } before going live",
      placeholder: true,
    };

  const plan: InitPlan = {
    app,
    repository,
    testAccount,
    prodAccount,
    region,
    dockerfile,
    context,
    port,
    healthPath,
    alarmEmail,
  };
  return { plan, note };
}

/** The environment's region when it is a valid one, else Berth's default: --yes never stops on it. */
function checkedDefault(region: string): string {
  return checkRegion(region) === undefined ? region : DEFAULT_REGION;
}

function failFlag(flag: string, why: string): never {
  throw new CliError(`${why}: pass ${flag}`);
}

async function askPort(
  dockerfile: string,
  unresolved: string | undefined,
  prompter: Prompter | undefined,
): Promise<Sourced<number>> {
  const why = unresolved
    ? `${dockerfile} exposes "${unresolved}", a variable with no default`
    : `${dockerfile} has no EXPOSE`;
  if (!prompter) failFlag('--port <port> (the port your server listens on)', why);
  const answer = await prompter.ask(`${why}. Port your server listens on`, checkPort);
  return { value: Number(answer), source: 'answered' };
}

/** Prod needs an on-call address or a waiver; an empty answer leaves the marked waiver. */
async function askAlarmEmail(prompter: Prompter | undefined): Promise<Sourced<string> | undefined> {
  if (!prompter) return undefined;
  const answer = await prompter.ask('E-mail for prod alarms (empty: none yet)', (a) =>
    a === '' ? undefined : checkEmail(a),
  );
  return answer === '' ? undefined : { value: answer, source: 'answered' };
}

function nextSteps(root: string, version: string): string {
  const install = berthInstalledIn(root)
    ? ''
    : `Berth is not installed here yet: npm install --save-dev ${CLI_PACKAGE}@${version} (or, to keep no package.json, npm install --no-save ${CLI_PACKAGE}@${version})\n`;
  return `${install}Next:
  npx berth plan test                             # offline: what will be created, what is public, monthly cost
  npx berth ami publish test --aws-recommended    # first deploy to an account only, after its bootstrap (docs/deploy.md, "From an empty AWS account")
  npx berth deploy test                           # build, push, deploy, wait, smoke-test; prints the URL
Then for the workflows: the repository variables and the prod environment with reviewers (docs/deploy.md, "GitHub").
`;
}

/**
 * `berth init`: reads the repository (Dockerfile, routes, git remote), asks what it cannot find or takes
 * flags, writes berth.config.ts and two workflows without replacing a file unasked, and says what is next.
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
    const { plan, note } = await decide(root, flags, io, prompter);
    const version = berthVersion();
    const workflowInputs = {
      install: berthInstallFor(root, version),
      region: plan.region,
      healthPath: plan.healthPath.value,
    };
    const files: GeneratedFile[] = [
      { path: CONFIG_FILE, content: renderConfigFile(plan) },
      { path: CI_WORKFLOW, content: renderCiWorkflow(workflowInputs) },
      { path: DELIVER_WORKFLOW, content: renderDeliverWorkflow(workflowInputs) },
    ];
    const outcomes = await writeGeneratedFiles(root, files, {
      force: flags.force === true,
      ...(prompter ? { prompter } : {}),
    });
    const out = io.stdout;
    out.write(`web service from ${plan.dockerfile} (${note})\n`);
    out.write(`  port ${plan.port.value}: ${plan.port.source}\n`);
    out.write(`  health check ${plan.healthPath.value}: ${plan.healthPath.source}\n`);
    out.write(`  app ${plan.app}, repository ${plan.repository.value}, region ${plan.region}\n`);
    for (const [file, outcome] of outcomes) out.write(`${outcome} ${file}\n`);
    for (const value of [plan.repository, plan.testAccount, plan.alarmEmail]) {
      if (value.placeholder) out.write(`PLACEHOLDER in ${CONFIG_FILE}: ${value.source}\n`);
    }
    out.write(nextSteps(root, version));
  } finally {
    prompter?.close();
  }
}
