import path from 'node:path';
import { createInterface } from 'node:readline';
import { type Command, Option } from 'commander';
import { CliError } from '../errors.js';
import type { RunningApp } from '../local/app-up.js';
import { describeExit } from '../service-process.js';

export interface UpFlags {
  port: string;
  host: string;
  dataDir: string;
  replicas?: string;
  env: string;
  databaseUrl?: string;
  containers?: boolean;
  baseImage?: string;
  buildArg?: string[];
  envFile?: string;
  /** The program's `--config`: which berth.config.ts `--replicas` takes the environment's settings from. */
  config?: string;
}

export function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new CliError(`--port "${text}" is not a port: use a number from 1 to 65535`);
  }
  return port;
}

/** `--build-arg` may be given more than once. */
function collect(value: string, previous: string[] | undefined): string[] {
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(value)) {
    throw new CliError(`--build-arg "${value}" is not NAME=VALUE: e.g. --build-arg NODE_IMAGE=node:24-slim`);
  }
  return [...(previous ?? []), value];
}

/**
 * Runs every service of berth.config.ts in the foreground until Ctrl-C (or SIGTERM), or until one of them
 * exits on its own: then the others are stopped too and berth up exits 1.
 */
export async function runUp(flags: UpFlags): Promise<number> {
  if (flags.baseImage !== undefined) {
    throw new CliError(
      "--base-image only applies with --replicas --containers: for your Dockerfile's own arguments use --build-arg NAME=VALUE",
    );
  }
  const port = parsePort(flags.port);
  const [{ loadProjectConfig }, { startApp }] = await Promise.all([
    import('../config.js'),
    import('../local/app-up.js'),
  ]);
  const config = await loadProjectConfig(flags);
  const dataDir = path.resolve(config.projectRoot, flags.dataDir);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  // Listening from the start: a signal during a long build or start must still stop what was started
  // (Node's default would end berth up at once and leave the services running).
  const abort = new AbortController();
  let onSignal = () => {};
  const signalled = new Promise<'signal'>((resolve) => {
    onSignal = () => {
      abort.abort();
      resolve('signal');
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  try {
    const app = await startApp({
      app: config.app,
      projectRoot: config.projectRoot,
      builds: config.images,
      services: config.services,
      listenHost: flags.host,
      listenPort: port,
      dataDir,
      containers: flags.containers === true,
      buildArgs: flags.buildArg ?? [],
      ...(flags.envFile === undefined ? {} : { envFile: path.resolve(flags.envFile) }),
      log,
      output: (line) => process.stdout.write(`${line}\n`),
      signal: abort.signal,
    });
    process.stdout.write(upBanner(app, dataDir));
    const first = await Promise.race([signalled, app.exited]);
    if (first !== 'signal') {
      log(`${first.name} exited (${describeExit(first.exit)}) on its own: stopping the other services`);
    }
    await app.stop();
    return first === 'signal' ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** What berth up prints once every service is up: where to open the app, and each route when several. */
export function upBanner(app: Pick<RunningApp, 'url' | 'endpoints'>, dataDir: string): string {
  if (app.url === undefined) {
    return `berth is up (data in ${dataDir}); no web service: nothing to open; Ctrl-C stops it\n`;
  }
  const routes = app.endpoints.length > 1 ? app.endpoints.map((e) => `  ${e.name}: ${e.url}\n`) : [];
  return `berth is up at ${app.url} (data in ${dataDir}); Ctrl-C stops it\n${routes.join('')}`;
}

export function parseReplicas(text: string): number {
  const replicas = Number(text);
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 16) {
    throw new CliError(`--replicas "${text}" is not a replica count: use a whole number from 1 to 16`);
  }
  return replicas;
}

/**
 * Production parity on one machine: N replicas on real PostgreSQL behind HAProxy, configured from the
 * environment's target group settings. SIGHUP (or typing `roll`) rolls every replica the way ECS does.
 */
export async function runParity(flags: UpFlags): Promise<number> {
  const replicas = parseReplicas(flags.replicas ?? '2');
  // Loaded here, not at start-up: plain `berth up` (npm start) never needs HAProxy, podman or the infra config.
  const [{ resolveEnvironment }, { loadProjectConfig }] = await Promise.all([
    import('../target.js'),
    import('../config.js'),
  ]);
  const { checkPrerequisites, startLocalParity, buildServiceImage } = await import('../local/index.js');
  const config = resolveEnvironment(await loadProjectConfig(flags), flags.env);
  if (flags.baseImage !== undefined && !flags.containers) {
    throw new CliError('--base-image only applies with --containers: add --containers or drop --base-image');
  }
  if (flags.buildArg !== undefined && flags.buildArg.length > 0) {
    throw new CliError(
      '--build-arg does not apply with --replicas: use --base-image for the Node base image',
    );
  }
  // The environment's first web service: parity mirrors its target group and deployment settings.
  const web = config.services.find((service) => service.kind === 'web');
  if (web === undefined) {
    throw new CliError(`--replicas needs a web service in berth.config.ts; ${config.name} has none`);
  }
  const missing = checkPrerequisites({ containers: flags.containers === true });
  if (missing.length > 0) throw new CliError(missing.join(' '));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const image = flags.containers
    ? await buildServiceImage({ log, ...(flags.baseImage ? { baseImage: flags.baseImage } : {}) })
    : undefined;
  const parity = await startLocalParity({
    env: config.name,
    service: web,
    replicas,
    port: parsePort(flags.port),
    log,
    ...(flags.databaseUrl === undefined ? {} : { databaseUrl: flags.databaseUrl }),
    ...(image ? { containerImage: image } : {}),
  });
  const what = image ? `${replicas} containers of ${image}` : `${replicas} replicas`;
  process.stdout.write(
    `berth is up at ${parity.url} (${what} behind HAProxy, ${config.name} settings); ` +
      'SIGHUP or `roll` + Enter rolls them, Ctrl-C stops\n',
  );
  let rolling = false;
  const roll = () => {
    if (rolling) return log('a roll is already running');
    rolling = true;
    parity
      .roll()
      .then((r) =>
        log(`rolled ${r.replaced} replicas in ${r.batches} batches, ${(r.durationMs / 1000).toFixed(1)} s`),
      )
      .catch((error: Error) => log(`roll stopped, old replicas keep serving: ${error.message}`))
      .finally(() => {
        rolling = false;
      });
  };
  const input = process.stdin.isTTY ? createInterface({ input: process.stdin }) : undefined;
  input?.on('line', (line) => line.trim() === 'roll' && roll());
  process.on('SIGHUP', roll);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  input?.close();
  process.off('SIGHUP', roll);
  await parity.stop();
  return 0;
}

export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description(
      "run the app's services locally (dev commands, or their images with podman) on an embedded PostgreSQL",
    )
    // Defaults come from the variables the README documents, so `PORT=3000 npm start` does what it says.
    .addOption(new Option('--port <port>', 'port to listen on').env('PORT').default('8080'))
    .addOption(
      new Option('--host <address>', 'address to listen on (0.0.0.0: reachable from other machines)')
        .env('HOST')
        .default('127.0.0.1'),
    )
    .addOption(
      new Option(
        '--data-dir <dir>',
        'where the embedded database keeps its files, relative to the folder of berth.config.ts',
      )
        .env('DATA_DIR')
        .default('./.data'),
    )
    .option(
      '--containers',
      'run every service in its container with podman (built or pulled), even those with a dev command',
    )
    .option('--build-arg <NAME=VALUE>', "a build argument for each of the app's builds (repeatable)", collect)
    .option('--env-file <file>', "where the services' secrets are read from first (else your environment)")
    .option(
      '--replicas <n>',
      "production parity for Berth's own cart: N replicas on PostgreSQL behind HAProxy",
    )
    .option(
      '--env <env>',
      'with --replicas: whose target group and deployment settings HAProxy mirrors',
      'test',
    )
    .option('--database-url <url>', 'with --replicas: use this PostgreSQL instead of a throwaway cluster')
    .option(
      '--base-image <image>',
      "with --replicas --containers: Node base image to build on (the Dockerfile's NODE_IMAGE)",
    )
    .action(async (flags: UpFlags) => {
      const options = { ...flags, ...(program.opts() as { config?: string }) };
      const parity = flags.replicas !== undefined || flags.databaseUrl !== undefined;
      process.exitCode = parity ? await runParity(options) : await runUp(options);
    });
}
