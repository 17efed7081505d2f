import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CliError } from '../errors.js';
import { appNameFrom } from './app-name.js';
import { checkAccount, checkAppName, checkEmail, checkPort, checkRegion, checkRepository } from './checks.js';
import { chooseDockerfile } from './choose-dockerfile.js';
import type { InitPlan, Sourced } from './config-file.js';
import { type DockerfileFacts, readDockerfile } from './dockerfile.js';
import type { InitFlags } from './flags.js';
import { detectGithubRepository } from './git-repository.js';
import { findHealthRoute } from './health-route.js';
import type { Prompter } from './prompter.js';

/** AWS's documentation example account id: recognisable, and the credential check refuses it at deploy. */
export const PLACEHOLDER_ACCOUNT = '123456789012';
export const PLACEHOLDER_REPOSITORY = 'your-org/your-repository';
export const DEFAULT_REGION = 'eu-west-1';

function fromFlag<T>(value: T | undefined, flag: string): Sourced<T> | undefined {
  return value === undefined ? undefined : { value, source: flag };
}

const found = <T>(value: T, source: string): Sourced<T> => ({ value, source, detected: true });

function failFlag(flag: string, why: string): never {
  throw new CliError(`${why}: pass ${flag}`);
}

/** Everything the files need: flags first, then what the repository shows, then questions or defaults. */
export async function planInit(
  root: string,
  flags: InitFlags,
  env: NodeJS.ProcessEnv,
  prompter: Prompter | undefined,
): Promise<{ plan: InitPlan; note: string }> {
  const { image, note, port, healthPath } =
    flags.image === undefined
      ? await builtService(root, flags, prompter)
      : await prebuiltService(flags.image, flags, prompter);
  const repository = await repositoryOf(root, flags, prompter);
  const app = await appOf(root, flags, repository, prompter);
  const region = await regionOf(flags, env, prompter);
  const { testAccount, prodAccount } = await accountsOf(flags, prompter);
  const alarmEmail = await alarmEmailOf(flags, prompter);
  const plan = {
    app,
    repository,
    testAccount,
    prodAccount,
    region,
    image,
    port,
    healthPath,
    alarmEmail,
  };
  return { plan, note };
}

type WebService = Pick<InitPlan, 'image' | 'port' | 'healthPath'> & { note: string };

/** The web service built from the chosen Dockerfile: its port and health path read from it and its code. */
async function builtService(
  root: string,
  flags: InitFlags,
  prompter: Prompter | undefined,
): Promise<WebService> {
  const { dockerfile, note } = await chooseDockerfile(root, flags, prompter);
  const context = path.posix.dirname(dockerfile);
  const facts = readDockerfile(readFileSync(path.join(root, dockerfile), 'utf8'));
  const port =
    fromFlag(flags.port === undefined ? undefined : Number(flags.port), '--port') ??
    (await portOf(dockerfile, facts, prompter));
  const healthPath = fromFlag(flags.healthPath, '--health-path') ?? healthPathOf(root, dockerfile, facts);
  return { image: { build: { dockerfile, context } }, note, port, healthPath };
}

/** The web service of a prebuilt image (`--image`): no Dockerfile to read, so the port is given or asked. */
async function prebuiltService(
  reference: string,
  flags: InitFlags,
  prompter: Prompter | undefined,
): Promise<WebService> {
  const why = `${reference} is a prebuilt image, with no Dockerfile to read its port from`;
  const port: Sourced<number> =
    fromFlag(flags.port === undefined ? undefined : Number(flags.port), '--port') ??
    (prompter
      ? { value: Number(await prompter.ask(`Port ${reference} listens on`, checkPort)), source: 'answered' }
      : failFlag('--port <port> (the port the image serves on)', why));
  const healthPath =
    fromFlag(flags.healthPath, '--health-path') ??
    found('/', 'a prebuilt image: the load balancer expects 200 from / (--health-path sets another)');
  return { image: { prebuilt: reference }, note: '--image', port, healthPath };
}

/** EXPOSE (the first TCP port), else the port of the HEALTHCHECK URL, else a question or --port. */
async function portOf(
  dockerfile: string,
  facts: DockerfileFacts,
  prompter: Prompter | undefined,
): Promise<Sourced<number>> {
  if (facts.port !== undefined) {
    const others = facts.exposed.slice(1);
    return found(
      facts.port,
      `EXPOSE in ${dockerfile}${others.length ? ` (also exposes ${others.join(', ')})` : ''}`,
    );
  }
  if (facts.healthPort !== undefined) return found(facts.healthPort, `HEALTHCHECK URL in ${dockerfile}`);
  const why = facts.unresolvedExpose
    ? `${dockerfile} exposes "${facts.unresolvedExpose}", a variable with no default`
    : `${dockerfile} has no EXPOSE`;
  if (!prompter) failFlag('--port <port> (the port your server listens on)', why);
  const answer = await prompter.ask(`${why}. Port your server listens on`, checkPort);
  return { value: Number(answer), source: 'answered' };
}

/** The HEALTHCHECK's path, else the first conventional route in the build context's code, else `/`. */
function healthPathOf(root: string, dockerfile: string, facts: DockerfileFacts): Sourced<string> {
  if (facts.healthPath !== undefined) return found(facts.healthPath, `HEALTHCHECK in ${dockerfile}`);
  const context = path.posix.dirname(dockerfile);
  const route = findHealthRoute(path.join(root, context));
  return route
    ? found(route.route, `route found in ${path.posix.join(context, route.file)}`)
    : found('/', 'no health route found: the load balancer expects 200 from /');
}

async function repositoryOf(
  root: string,
  flags: InitFlags,
  prompter: Prompter | undefined,
): Promise<Sourced<string>> {
  const flag = fromFlag(flags.repository, '--repository');
  if (flag) return flag;
  const detected = detectGithubRepository(root);
  if (detected !== undefined) return found(detected, 'git remote origin');
  if (prompter) {
    return {
      value: await prompter.ask('GitHub repository (owner/name)', checkRepository),
      source: 'answered',
    };
  }
  return {
    value: PLACEHOLDER_REPOSITORY,
    source: 'set your GitHub owner/name before deploying (no GitHub remote origin found)',
    placeholder: true,
  };
}

/** The repository's name (or the folder's, without one), made valid; asked only when nothing valid is left. */
async function appOf(
  root: string,
  flags: InitFlags,
  repository: Sourced<string>,
  prompter: Prompter | undefined,
): Promise<string> {
  const name = repository.placeholder ? path.basename(root) : repository.value.split('/')[1]!;
  return (
    flags.app ??
    appNameFrom(name) ??
    (prompter ? await prompter.ask('App name', checkAppName) : undefined) ??
    failFlag('--app', `no valid app name in "${name}"`)
  );
}

/** AWS_REGION / AWS_DEFAULT_REGION when valid, else Berth's default: offered, or taken with --yes. */
async function regionOf(flags: InitFlags, env: NodeJS.ProcessEnv, prompter: Prompter | undefined) {
  if (flags.region) return flags.region;
  const fromEnv = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const fallback = fromEnv !== undefined && checkRegion(fromEnv) === undefined ? fromEnv : DEFAULT_REGION;
  return prompter ? await prompter.ask('AWS region', checkRegion, fallback) : fallback;
}

/** Prod defaults to test's account (Berth's supported layout is one account with two bootstrap qualifiers). */
async function accountsOf(flags: InitFlags, prompter: Prompter | undefined) {
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
      : testAccount.placeholder
        ? testAccount
        : found(testAccount.value, 'same account as test'));
  return { testAccount, prodAccount };
}

/** Prod needs an on-call address or a waiver; without an address (or with an empty answer) a marked waiver. */
async function alarmEmailOf(flags: InitFlags, prompter: Prompter | undefined): Promise<Sourced<string>> {
  const flag = fromFlag(flags.alarmEmail, '--alarm-email');
  if (flag) return flag;
  const answer = prompter
    ? await prompter.ask('E-mail for prod alarms (empty: none yet)', (a) =>
        a === '' ? undefined : checkEmail(a),
      )
    : '';
  if (answer !== '') return { value: answer, source: 'answered' };
  return {
    value: '',
    source: "replace the waiver with alarms: { email: '<on-call address>' } before going live",
    placeholder: true,
  };
}
