/**
 * `berth up` for any app: every service of berth.config.ts, from its `dev` command or from the app's image
 * with podman, on the local PostgreSQL, the release command first, web services behind one address.
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
import {
  containerName,
  containerRunArgs,
  containerSignalArgs,
  HOST_FROM_CONTAINER,
  imageBuildArgs,
  localImage,
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
  /** The app's primary image (ResolvedConfig.images[0]): Dockerfile and context, relative to the project root. */
  readonly build: {
    readonly dockerfile: string;
    readonly context: string;
    readonly target?: string;
    readonly args?: Readonly<Record<string, string>>;
  };
  readonly services: readonly LocalService[];
  /** Where the app is served: the single web service itself, or HAProxy in front of several. */
  readonly listenHost: string;
  readonly listenPort: number;
  /** Where the local PostgreSQL keeps its files between runs. */
  readonly dataDir: string;
  /** Run every service from the image, even those with a `dev` command. */
  readonly containers?: boolean;
  /** `KEY=VALUE` build arguments for the Dockerfile. */
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
  /** berth up's address. */
  readonly url: string;
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
  options: Pick<AppUpOptions, 'projectRoot' | 'build'>,
  dirs: readonly string[] = executableDirs(),
): Tools {
  const containers = plan.services.filter((p) => p.runner === 'container');
  const webCount = plan.services.filter((p) => p.service.kind === 'web').length;
  const tools: { podman?: string; haproxy?: string; runtime?: string } = {};
  if (plan.needsImage) {
    tools.podman = findExecutable('podman', dirs);
    if (tools.podman === undefined) {
      throw new CliError(
        `podman is not installed: ${names(containers)} run from the app's Dockerfile with it; install podman (Debian: apt-get install -y podman runc), or give ${containers.length > 1 ? 'each' : 'it'} a \`dev\` command in berth.config.ts`,
      );
    }
    const dockerfile = path.resolve(options.projectRoot, options.build.dockerfile);
    if (!existsSync(dockerfile)) {
      throw new CliError(
        `${dockerfile} is missing: ${names(containers)} run from the app's image; add the Dockerfile, point build.dockerfile in berth.config.ts at it, or give ${containers.length > 1 ? 'each' : 'it'} a \`dev\` command`,
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
  const tools = checkLocalRun(plan, options, executableDirs(shell.PATH));
  await ensurePortFree(options.listenHost, options.listenPort);
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
    const image = localImage(options.app);
    if (plan.needsImage) await buildImage(tools.podman!, image, options, track);
    checkAborted();

    let database: ProjectDatabase | undefined;
    if (plan.needsDatabase) {
      database = await startProjectDatabase(options.dataDir, options.log);
      const db = database;
      cleanups.push(() => db.stop());
      checkAborted();
    }

    const launch = (planned: PlannedService, spec: LaunchSpec) =>
      track(launchProcess(planned, spec, { options, shell, tools, image, secrets, database, output }));

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
      url: base,
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
  readonly image: string;
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
    image: context.image,
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

async function buildImage(
  podman: string,
  image: string,
  options: AppUpOptions,
  track: (child: ServiceProcess) => ServiceProcess,
): Promise<void> {
  const started = Date.now();
  options.log(`podman: building ${image} from ${options.build.dockerfile}`);
  const build = track(
    new ServiceProcess({
      name: 'build',
      command: [
        podman,
        ...imageBuildArgs({
          image,
          dockerfile: path.resolve(options.projectRoot, options.build.dockerfile),
          context: path.resolve(options.projectRoot, options.build.context),
          ...(options.build.target === undefined ? {} : { target: options.build.target }),
          // The config's arguments first: a --build-arg of the same name, given later, wins.
          buildArgs: [
            ...Object.entries(options.build.args ?? {}).map(([name, value]) => `${name}=${value}`),
            ...(options.buildArgs ?? []),
          ],
        }),
      ],
      cwd: options.projectRoot,
      env: options.shell ?? process.env,
      // The build's own output is long; only its last lines matter, and only when it fails.
      log: () => {},
    }),
  );
  const exit = await build.exited;
  if (exit.code !== 0) {
    const last = build.lastLines().slice(-5);
    throw new CliError(
      `podman build of ${options.build.dockerfile} failed (${describeExit(exit)}); its last lines:\n  ${last.join('\n  ')}`,
    );
  }
  options.log(`podman: built ${image} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function startRouter(
  haproxy: string,
  options: AppUpOptions,
  webs: readonly { service: LocalService; hostPort: number }[],
  output: (line: string) => void,
  track: (child: ServiceProcess) => ServiceProcess,
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
