import path from 'node:path';
import { createInterface } from 'node:readline';
import { type Command, Option } from 'commander';
import { CliError } from '../errors.js';
import { startService, waitForReady } from '../service-process.js';

export interface UpFlags {
  port: string;
  host: string;
  dataDir: string;
  replicas?: string;
  env: string;
  databaseUrl?: string;
  containers?: boolean;
  baseImage?: string;
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

/** Runs one service process in the foreground until it exits or the user stops it. */
export async function runUp(flags: UpFlags): Promise<number> {
  const port = parsePort(flags.port);
  const dataDir = path.resolve(process.cwd(), flags.dataDir);
  const child = startService({ port, host: flags.host, dataDir });
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 0)));
  // The child shares our terminal; forwarding lets it drain and exit cleanly instead of being orphaned.
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    const url = `http://${flags.host === '0.0.0.0' ? '127.0.0.1' : flags.host}:${port}/`;
    await waitForReady(url, child);
    process.stdout.write(`berth is up at ${url} (data in ${dataDir}); Ctrl-C stops it\n`);
    return await exited;
  } catch (error) {
    child.kill('SIGTERM');
    throw error;
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
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
  const missing = checkPrerequisites({ containers: flags.containers === true });
  if (missing.length > 0) throw new CliError(missing.join(' '));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const image = flags.containers
    ? await buildServiceImage({ log, ...(flags.baseImage ? { baseImage: flags.baseImage } : {}) })
    : undefined;
  const parity = await startLocalParity({
    env: config.name,
    service: config.service,
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
    .description('run the service locally: embedded database, or --replicas N behind HAProxy on PostgreSQL')
    // Defaults come from the variables the README documents, so `PORT=3000 npm start` does what it says.
    .addOption(new Option('--port <port>', 'port to listen on').env('PORT').default('8080'))
    .addOption(
      new Option('--host <address>', 'address to listen on (without --replicas)')
        .env('HOST')
        .default('127.0.0.1'),
    )
    .addOption(
      new Option('--data-dir <dir>', 'where the embedded database keeps its files')
        .env('DATA_DIR')
        .default('./.data'),
    )
    .option('--replicas <n>', 'production parity: N replicas on PostgreSQL behind HAProxy')
    .option('--env <env>', 'whose target group and deployment settings HAProxy mirrors', 'test')
    .option('--database-url <url>', 'with --replicas: use this PostgreSQL instead of a throwaway cluster')
    .option('--containers', 'with --replicas: build the Dockerfile image and run it with podman')
    .option(
      '--base-image <image>',
      "with --containers: Node base image to build on (the Dockerfile's NODE_IMAGE)",
    )
    .action(async (flags: UpFlags) => {
      const parity =
        flags.replicas !== undefined ||
        flags.databaseUrl !== undefined ||
        flags.containers ||
        flags.baseImage !== undefined;
      process.exitCode = parity
        ? await runParity({ ...flags, ...(program.opts() as { config?: string }) })
        : await runUp(flags);
    });
}
