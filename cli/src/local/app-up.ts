/**
 * `berth up` for any app: every service of berth.config.ts, from its `dev` command or from its image with
 * podman (built from its `build`, or its prebuilt `image` pulled), on the local PostgreSQL, the release
 * command first, web services behind one address.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseEnv } from 'node:util';
import { CliError } from '../errors.js';
import {
  describeExit,
  exitedError,
  type ServiceExit,
  ServiceProcess,
  waitForHealthy,
} from '../service-process.js';
import { executableDirs, findExecutable } from './executables.js';
import { freePort } from './free-port.js';
import { type ImageStep, type LocalBuild, type LocalImages, planLocalImages } from './local-images.js';
import {
  containerName,
  containerRunArgs,
  containerSignalArgs,
  HOST_FROM_CONTAINER,
  imageBuildArgs,
  imageExistsArgs,
  imagePullArgs,
} from './podman-args.js';
import { type ProjectDatabase, startProjectDatabase } from './project-database.js';
import { CATCH_ALL_PATH, renderRoutingConfig } from './routing-config.js';
import { type LocalRunPlan, type LocalService, type PlannedService, planLocalRun } from './run-plan.js';
import {
  type DatabaseEndpoint,
  devProcessEnvironment,
  type LocalSecrets,
  resolveLocalSecrets,
  secretsNotice,
  serviceEnvironment,
} from './service-env.js';

/** As `docker stop`: SIGTERM, then SIGKILL after this long. */
const STOP_TIMEOUT_SECONDS = 10;
/** A worker that exits within this long after start fails the start, as a web service failing its check. */
const WORKER_SETTLE_MS = 1_000;

export interface AppUpOptions {
  readonly app: string;
  /** The directory of berth.config.ts: dev commands' `cwd` and the build paths are relative to it. */
  readonly projectRoot: string;
  /** The images the app builds (ResolvedConfig.images), the primary first; none when every service is prebuilt. */
  readonly builds: readonly LocalBuild[];
  readonly services: readonly LocalService[];
  /** Where the app is served: the single web service itself, or HAProxy in front of several. */
  readonly listenHost: string;
  readonly listenPort: number;
  /** Where the local PostgreSQL keeps its files between runs. */
  readonly dataDir: string;
  /** Run every service from the image, even those with a `dev` command. */
  readonly containers?: boolean;
  /** `KEY=VALUE` build arguments for every build, after (so over) each build's own `args`. */
  readonly buildArgs?: readonly string[];
  /** A dotenv file the secrets' values are read from first. */
  readonly envFile?: string;
  /** berth up's own environment: dev commands inherit it, and secrets are read from it. */
  readonly shell?: NodeJS.ProcessEnv;
  /** Berth's own progress lines. */
  readonly log: (line: string) => void;
  /** The services' output lines, prefixed with the service's name. */
  readonly output?: (line: string) => void;
  /** How long a web service may take to answer its health path. @default 120 s */
  readonly readyTimeoutMs?: number;
  /** Aborted (Ctrl-C during the start): whatever is running is stopped and startApp rejects. */
  readonly signal?: AbortSignal;
}

export interface WebEndpoint {
  readonly name: string;
  /** Where its route is reached through berth up's address. */
  readonly url: string;
}

export interface RunningApp {
  /** berth up's address; none when the app has no web service (nothing listens there). */
  readonly url?: string;
  readonly endpoints: readonly WebEndpoint[];
  /** Resolves when a service (or the router) exits on its own. */
  readonly exited: Promise<{ readonly name: string; readonly exit: ServiceExit }>;
  stop(): Promise<void>;
}

/** The tools a plan needs, found on PATH; one line naming what is missing and how to get it. */
interface Tools {
  readonly podman?: string;
  readonly haproxy?: string;
  /** `runc` where installed: crun fails on some cgroup layouts (shared ENVIRONMENT notes). */
  readonly runtime?: string;
}

function names(planned: readonly PlannedService[]): string {
  return planned.map((p) => p.service.name).join(', ');
}

/** Checks everything that can be checked before anything starts; throws one line saying what to do. */
export function checkLocalRun(
  plan: LocalRunPlan,
  images: LocalImages,
  projectRoot: string,
  dirs: readonly string[] = executableDirs(),
): Tools {
  const containers = plan.services.filter((p) => p.runner === 'container');
  const webCount = plan.services.filter((p) => p.service.kind === 'web').length;
  const tools: { podman?: string; haproxy?: string; runtime?: string } = {};
  if (plan.needsImage) {
    tools.podman = findExecutable('podman', dirs);
    if (tools.podman === undefined) {
      throw new CliError(
        `podman is not installed: ${names(containers)} run in containers with it; install podman (Debian: apt-get install -y podman runc), or give ${containers.length > 1 ? 'each' : 'it'} a \`dev\` command in berth.config.ts`,
      );
    }
    for (const step of images.steps) {
      if (step.kind !== 'build') continue;
      const dockerfile = path.resolve(projectRoot, step.build.dockerfile);
      if (existsSync(dockerfile)) continue;
      const several = step.services.length > 1;
      throw new CliError(
        `${dockerfile} is missing: ${step.services.join(', ')} ${several ? 'run' : 'runs'} from the image it builds; add the Dockerfile, point services.${step.build.key}.build.dockerfile in berth.config.ts at it, or give ${several ? 'each' : 'it'} a \`dev\` command`,
      );
    }
    const runtime = findExecutable('runc', dirs);
    if (runtime !== undefined) tools.runtime = 'runc';
  }
  if (plan.needsRouter) {
    tools.haproxy = findExecutable('haproxy', dirs);
    if (tools.haproxy === undefined) {
      throw new CliError(
        `haproxy is not installed: it routes berth up's address to the ${webCount} web services by path and host; install it (Debian: apt-get install -y haproxy)`,
      );
    }
  }
  return tools;
}

/** Fails with one line when `host:port` is taken, before anything starts. */
export async function ensurePortFree(host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new CliError(
              `port ${port} on ${host} is in use: stop what listens there, or choose another with --port (or PORT)`,
            )
          : new CliError(`cannot listen on ${host}:${port}: ${error.message}`),
      );
    });
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

function readEnvFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(
      `--env-file ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
  return parseEnv(text) as Record<string, string>;
}

/** Where a web service's route is reached on berth up's address. */
export function endpointUrl(base: string, service: LocalService): string {
  const route = service.route;
  const url = new URL(base);
  if (route?.host !== undefined && !/[*?]/.test(route.host)) url.hostname = `${route.host}.localhost`;
  const path = route?.path ?? CATCH_ALL_PATH;
  // The literal part of the pattern: `/api/*` → `/api/`.
  url.pathname = path.split(/[*?]/)[0] || '/';
  return url.toString();
}

export async function startApp(options: AppUpOptions): Promise<RunningApp> {
  const shell = options.shell ?? process.env;
  const output = options.output ?? options.log;
  const plan = planLocalRun(options.services, { containers: options.containers === true });
  const images = planLocalImages(options.app, plan, options.builds);
  const tools = checkLocalRun(plan, images, options.projectRoot, executableDirs(shell.PATH));
  // Workers only: nothing listens on berth up's address, so it need not be free.
  const serves = options.services.some((s) => s.kind === 'web');
  if (serves) await ensurePortFree(options.listenHost, options.listenPort);
  const secrets: LocalSecrets = resolveLocalSecrets(options.services, {
    ...(options.envFile === undefined ? {} : { envFile: readEnvFile(options.envFile) }),
    shell,
  });
  const notice = secretsNotice(secrets, options.envFile);
  if (notice) options.log(notice);

  const cleanups: (() => Promise<unknown>)[] = [];
  const running: ServiceProcess[] = [];
  // Every process started so far (the build and the release command too): what an abort or an exit stops.
  const started = new Set<ServiceProcess>();
  const track = (child: ServiceProcess) => {
    started.add(child);
    return child;
  };
  const abort = () => {
    for (const child of started) child.signal('SIGTERM');
  };
  options.signal?.addEventListener('abort', abort);
  const checkAborted = () => {
    if (options.signal?.aborted) throw new CliError('berth up was stopped before every service was up');
  };
  // Last resort when berth up exits without stopping them (an uncaught error): no service outlives it.
  const killOnExit = () => {
    for (const child of started) child.signal('SIGKILL');
  };
  process.once('exit', killOnExit);
  const stopAll = async () => {
    process.off('exit', killOnExit);
    options.signal?.removeEventListener('abort', abort);
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: Error) => options.log(`stopping: ${error.message}`));
    }
  };

  try {
    for (const step of images.steps) {
      if (step.kind === 'build') await buildImage(tools.podman!, step, options, track);
      else await pullImage(tools.podman!, step, options, track);
      checkAborted();
    }

    let database: ProjectDatabase | undefined;
    if (plan.needsDatabase) {
      database = await startProjectDatabase(options.dataDir, options.log);
      const db = database;
      cleanups.push(() => db.stop());
      checkAborted();
    }

    const launch = (planned: PlannedService, spec: LaunchSpec) =>
      track(launchProcess(planned, spec, { options, shell, tools, images, secrets, database, output }));

    if (plan.release) {
      const release = plan.release;
      const command = release.service.release!.command;
      options.log(
        `release: running ${command.join(' ')} (${release.service.name}) before any service starts`,
      );
      const child = launch(release, { role: 'release' });
      cleanups.push(() => child.stop(STOP_TIMEOUT_SECONDS));
      const exit = await child.exited;
      checkAborted();
      if (exit.code !== 0) {
        throw exitedError(child, 'so no service was started (the release command must exit 0)');
      }
    }

    // Together, as ECS stops a service's tasks: each drains in parallel with the others.
    const services: ServiceProcess[] = [];
    cleanups.push(() =>
      Promise.all(
        services.map(async (child) => {
          const exit = await child.stop(STOP_TIMEOUT_SECONDS);
          // 137 means SIGKILL after the stop timeout: the service ignores SIGTERM (as ECS would show).
          options.log(`${child.name} stopped (${describeExit(exit)})`);
        }),
      ),
    );
    const router = plan.needsRouter;
    // Where berth up itself reaches a web service: its own address when it listens on berth up's.
    const probeHost = router || options.listenHost === '0.0.0.0' ? '127.0.0.1' : options.listenHost;
    const webs: { service: LocalService; process: ServiceProcess; hostPort: number }[] = [];
    for (const planned of plan.services) {
      const { service } = planned;
      let child: ServiceProcess;
      if (service.kind === 'web') {
        const hostPort = router ? await freePort() : options.listenPort;
        const listenHost = router ? '127.0.0.1' : options.listenHost;
        child = launch(planned, { role: 'service', hostPort, listenHost });
        webs.push({ service, process: child, hostPort });
      } else {
        child = launch(planned, { role: 'service' });
      }
      running.push(child);
      services.push(child);
    }

    const anyExit = Promise.race(running.map((child) => child.exited.then(() => child)));
    const ready = Promise.all([
      ...webs.map((web) =>
        waitForHealthy(
          `http://${probeHost}:${web.hostPort}${web.service.healthCheckPath ?? '/'}`,
          web.process,
          options.readyTimeoutMs ?? 120_000,
        ),
      ),
      ...(webs.length < running.length ? [delay(WORKER_SETTLE_MS)] : []),
    ]);
    await Promise.race([
      ready,
      anyExit.then((child) => {
        checkAborted();
        throw exitedError(child, 'during start');
      }),
    ]);
    checkAborted();

    if (router) {
      const haproxy = await startRouter(tools.haproxy!, options, webs, output, track);
      running.push(haproxy.process);
      cleanups.push(haproxy.stop);
    }

    const base = `http://${options.listenHost === '0.0.0.0' ? '127.0.0.1' : options.listenHost}:${options.listenPort}/`;
    const serving = running.filter((child) => child.running);
    options.signal?.removeEventListener('abort', abort);
    return {
      ...(serves ? { url: base } : {}),
      endpoints: webs.map((web) => ({ name: web.service.name, url: endpointUrl(base, web.service) })),
      exited: Promise.race(serving.map((child) => child.exited.then((exit) => ({ name: child.name, exit })))),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

type LaunchSpec =
  | { readonly role: 'release' }
  | { readonly role: 'service'; readonly hostPort?: number; readonly listenHost?: string };

interface LaunchContext {
  readonly options: AppUpOptions;
  readonly shell: NodeJS.ProcessEnv;
  readonly tools: Tools;
  readonly images: LocalImages;
  readonly secrets: LocalSecrets;
  readonly database: ProjectDatabase | undefined;
  readonly output: (line: string) => void;
}

/** Starts a service (or its release command) the way the plan says: a dev process or a container. */
function launchProcess(planned: PlannedService, spec: LaunchSpec, context: LaunchContext): ServiceProcess {
  const { service, runner } = planned;
  const { options } = context;
  const name = spec.role === 'release' ? `release ${service.name}` : service.name;
  const secrets = context.secrets.values.get(service.name) ?? {};
  const web = spec.role === 'service' && service.kind === 'web';
  const db = (host: string): DatabaseEndpoint | undefined =>
    service.database && context.database ? { ...context.database.endpoint, host } : undefined;

  if (runner === 'dev') {
    const hostPort = spec.role === 'service' ? spec.hostPort : undefined;
    const env = serviceEnvironment({
      environment: service.environment,
      secrets,
      ...(web && hostPort !== undefined ? { port: hostPort } : {}),
      ...(db('127.0.0.1') ? { database: db('127.0.0.1')! } : {}),
    });
    // HOST too: many servers (the cart among them) read it, and berth up keeps them on its own address.
    if (web && spec.role === 'service' && spec.listenHost) env.HOST = spec.listenHost;
    const command = spec.role === 'release' ? service.release!.command : service.dev!.command;
    return new ServiceProcess({
      name,
      command,
      cwd: path.resolve(options.projectRoot, service.dev!.cwd ?? '.'),
      env: devProcessEnvironment(context.shell, env),
      log: context.output,
    });
  }

  const env = serviceEnvironment({
    environment: service.environment,
    secrets,
    ...(web ? { port: service.port! } : {}),
    ...(db(HOST_FROM_CONTAINER) ? { database: db(HOST_FROM_CONTAINER)! } : {}),
  });
  const container = `${containerName(options.app, service.name)}${spec.role === 'release' ? '-release' : ''}`;
  const command = spec.role === 'release' ? service.release!.command : service.command;
  const args = containerRunArgs({
    name: container,
    image: context.images.byService.get(service.name)!,
    ...(command ? { command } : {}),
    envNames: Object.keys(env),
    ...(web && spec.role === 'service' && spec.hostPort !== undefined
      ? {
          publish: {
            host: spec.listenHost ?? '127.0.0.1',
            hostPort: spec.hostPort,
            containerPort: service.port!,
          },
        }
      : {}),
    ...(context.tools.runtime ? { runtime: context.tools.runtime } : {}),
  });
  const podman = context.tools.podman!;
  return new ServiceProcess({
    name,
    command: [podman, ...args],
    cwd: options.projectRoot,
    // podman itself needs the shell's environment; `--env NAME` hands the service only its own variables.
    env: { ...context.shell, ...env },
    log: context.output,
    signal: (signal) => {
      spawn(podman, containerSignalArgs(container, signal), { stdio: 'ignore' }).on('error', () => {});
    },
  });
}

type Track = (child: ServiceProcess) => ServiceProcess;

/** Runs one podman command to completion, its output kept for errors only (a build's is long). */
async function podmanStep(
  podman: string,
  name: string,
  args: readonly string[],
  options: AppUpOptions,
  track: Track,
): Promise<{ exit: ServiceExit; last: string[] }> {
  const child = track(
    new ServiceProcess({
      name,
      command: [podman, ...args],
      cwd: options.projectRoot,
      env: options.shell ?? process.env,
      log: () => {},
    }),
  );
  const exit = await child.exited;
  return { exit, last: child.lastLines() };
}

async function buildImage(
  podman: string,
  step: Extract<ImageStep, { kind: 'build' }>,
  options: AppUpOptions,
  track: Track,
): Promise<void> {
  const started = Date.now();
  const { build } = step;
  options.log(`podman: building ${step.image} from ${build.dockerfile} (${step.services.join(', ')})`);
  const args = imageBuildArgs({
    image: step.image,
    dockerfile: path.resolve(options.projectRoot, build.dockerfile),
    context: path.resolve(options.projectRoot, build.context),
    ...(build.target === undefined ? {} : { target: build.target }),
    // The config's arguments first: a --build-arg of the same name, given later, wins.
    buildArgs: [
      ...Object.entries(build.args ?? {}).map(([name, value]) => `${name}=${value}`),
      ...(options.buildArgs ?? []),
    ],
  });
  const { exit, last } = await podmanStep(podman, 'build', args, options, track);
  if (exit.code !== 0) {
    throw new CliError(
      `podman build of ${build.dockerfile} failed (${describeExit(exit)}); its last lines:\n  ${last.slice(-5).join('\n  ')}`,
    );
  }
  options.log(`podman: built ${step.image} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * Pulls a prebuilt image once for every service that runs it. As ECS's default pull behaviour does
 * (Amazon ECS Developer Guide, "Container image pull behavior for the EC2 and external launch types":
 * ECS_IMAGE_PULL_BEHAVIOR `default`, "If the pull fails, the cached image in the instance is used"), a
 * failed pull falls back to the copy podman already has, which also lets berth up run offline.
 */
async function pullImage(
  podman: string,
  step: Extract<ImageStep, { kind: 'pull' }>,
  options: AppUpOptions,
  track: Track,
): Promise<void> {
  const started = Date.now();
  options.log(`podman: pulling ${step.image} (${step.services.join(', ')})`);
  const pull = await podmanStep(podman, 'pull', imagePullArgs(step.image), options, track);
  if (pull.exit.code === 0) {
    options.log(`podman: pulled ${step.image} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return;
  }
  const why = pull.last.at(-1) ?? describeExit(pull.exit);
  const local = await podmanStep(podman, 'image exists', imageExistsArgs(step.image), options, track);
  if (local.exit.code === 0) {
    options.log(`podman: could not pull ${step.image} (${why}); running the copy podman has, as ECS does`);
    return;
  }
  throw new CliError(
    `podman pull ${step.image} failed (${why}) and podman has no copy of it: ${step.services.join(', ')} ${step.services.length > 1 ? 'run' : 'runs'} it; check the image in berth.config.ts and your network, or log in to its registry (podman login)`,
  );
}

async function startRouter(
  haproxy: string,
  options: AppUpOptions,
  webs: readonly { service: LocalService; hostPort: number }[],
  output: (line: string) => void,
  track: Track,
): Promise<{ process: ServiceProcess; stop: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-up-'));
  const configFile = path.join(dir, 'haproxy.cfg');
  await writeFile(
    configFile,
    renderRoutingConfig({
      listenHost: options.listenHost,
      listenPort: options.listenPort,
      backends: webs.map((web) => ({
        name: web.service.name,
        route: web.service.route ?? { path: CATCH_ALL_PATH, priority: 1 },
        port: web.hostPort,
      })),
    }),
    { mode: 0o600 },
  );
  const child = track(
    new ServiceProcess({
      name: 'haproxy',
      command: [haproxy, '-db', '-f', configFile],
      cwd: dir,
      env: options.shell ?? process.env,
      log: output,
    }),
  );
  const stop = async () => {
    await child.stop(STOP_TIMEOUT_SECONDS);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForListening(options.listenHost, options.listenPort, child);
  } catch (error) {
    await stop();
    throw error;
  }
  return { process: child, stop };
}

async function waitForListening(host: string, port: number, child: ServiceProcess): Promise<void> {
  const target = host === '0.0.0.0' ? '127.0.0.1' : host;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (!child.running) throw exitedError(child, 'at start-up');
    try {
      const response = await fetch(`http://${target}:${port}/`, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      return;
    } catch {
      await delay(20);
    }
  }
  throw new CliError(`haproxy did not listen on ${target}:${port} within 10 s`);
}
