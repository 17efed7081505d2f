/**
 * `berth up --containers`: the service image built from the repository's Dockerfile and run with podman,
 * so local parity exercises the artifact that ships (its user, its CMD as PID 1, its signal handling).
 */
import { execFile as execFileCb, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../repo-root.js';

const execFile = promisify(execFileCb);

export const PODMAN_BIN = '/usr/bin/podman';
export const LOCAL_IMAGE = 'localhost/berth-service:local';

/**
 * How podman runs on hosts without a full container setup: runc (crun fails on some cgroup layouts), explicit
 * ulimits (the defaults need privileges podman may lack: "setrlimit RLIMIT_NOFILE: Operation not permitted"),
 * and the host network, so a replica's PORT is a host port HAProxy can reach, as in ECS bridge mode with
 * dynamic host ports.
 */
const RUN_FLAGS = [
  '--runtime',
  'runc',
  '--ulimit',
  'nofile=20000:20000',
  '--ulimit',
  'nproc=1024:1024',
  '--network',
  'host',
];

export interface ImageBuildOptions {
  readonly log: (line: string) => void;
  /** The Dockerfile's NODE_IMAGE; its default (the official node image) needs a registry. */
  readonly baseImage?: string;
  readonly tag?: string;
}

/** Builds the Dockerfile at the repository root and returns the image name. */
export async function buildServiceImage(opts: ImageBuildOptions): Promise<string> {
  const tag = opts.tag ?? LOCAL_IMAGE;
  const started = Date.now();
  opts.log(`podman: building ${tag} from the Dockerfile${opts.baseImage ? ` on ${opts.baseImage}` : ''}`);
  const args = [
    'build',
    '--isolation',
    'chroot',
    '--network',
    'host',
    // The RDS CA bundle is for TLS to RDS; the local database has no TLS, and fetching it needs the internet.
    '--build-arg',
    'RDS_CA_BUNDLE=skip',
    ...(opts.baseImage ? ['--build-arg', `NODE_IMAGE=${opts.baseImage}`] : []),
    '--tag',
    tag,
    '--file',
    'Dockerfile',
    '.',
  ];
  try {
    await execFile(PODMAN_BIN, args, { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    const last = stderr.split('\n').at(-1) ?? (error as Error).message;
    const hint = opts.baseImage
      ? ''
      : ' (no registry? pass --base-image with a local Node 24 image; see README "Local parity")';
    throw new Error(`podman build failed: ${last}${hint}`);
  }
  opts.log(`podman: built ${tag} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return tag;
}

/** `podman run` in the foreground for one replica: it relays SIGTERM/SIGINT to the container's PID 1. */
export function containerCommand(
  image: string,
  name: string,
  env: Readonly<Record<string, string>>,
): string[] {
  const envFlags = Object.entries(env).flatMap(([key, value]) => ['--env', `${key}=${value}`]);
  return [PODMAN_BIN, 'run', '--rm', '--name', name, ...RUN_FLAGS, ...envFlags, image];
}

/** Signals the container itself: SIGKILL to the `podman run` client would leave the container running. */
export function signalContainer(name: string, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    spawn(PODMAN_BIN, ['kill', '--signal', signal, name], { stdio: 'ignore' })
      .on('exit', () => resolve())
      .on('error', () => resolve());
  });
}
