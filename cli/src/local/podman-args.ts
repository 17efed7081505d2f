/**
 * The podman command lines `berth up` runs for an app's services: each image built or pulled once
 * (local-images.ts), one container per service (and one for the release command), each in its own network
 * namespace.
 */

/**
 * slirp4netns (rootless podman's default network, also usable as root) gives each container its own
 * network namespace, so every service listens on its own configured port, as in ECS bridge mode, without
 * the root-only bridge (a cni-podman0 interface and iptables chains). With `allow_host_loopback=true` the
 * host's 127.0.0.1 is reachable from the container as 10.0.2.2 (podman-run(1), `--network slirp4netns`),
 * which is how a service reaches the embedded PostgreSQL.
 */
export const CONTAINER_NETWORK = 'slirp4netns:allow_host_loopback=true';
export const HOST_FROM_CONTAINER = '10.0.2.2';

/** A stable name, so `--replace` removes a container a killed `berth up` left behind. */
export const containerName = (app: string, service: string) => `berth-${app}-${service}`;

export interface ImageBuildInput {
  readonly image: string;
  /** Absolute paths. */
  readonly dockerfile: string;
  readonly context: string;
  /** The Dockerfile stage to build (`build.target`). @default - the last stage */
  readonly target?: string;
  /** `--build-arg KEY=VALUE` values: the config's `build.args`, then berth up's flags, passed on as they are. */
  readonly buildArgs?: readonly string[];
}

/**
 * `podman build`: chroot isolation builds without a container runtime (rootless or as root, on hosts where
 * crun cannot run); the host network lets RUN steps install packages.
 */
export function imageBuildArgs(input: ImageBuildInput): string[] {
  return [
    'build',
    '--isolation',
    'chroot',
    '--network',
    'host',
    ...(input.buildArgs ?? []).flatMap((arg) => ['--build-arg', arg]),
    ...(input.target === undefined ? [] : ['--target', input.target]),
    '--tag',
    input.image,
    '--file',
    input.dockerfile,
    input.context,
  ];
}

export interface ContainerRunInput {
  readonly name: string;
  readonly image: string;
  /** Overrides the image's CMD (the service's `command`, or the release command). */
  readonly command?: readonly string[];
  /**
   * Names only: `--env NAME` takes the value from podman's own environment, so values (secrets, the
   * database password) never appear in a process listing.
   */
  readonly envNames: readonly string[];
  /** A web service's container port, published on the host's `host:hostPort`. */
  readonly publish?: {
    readonly host: string;
    readonly hostPort: number;
    readonly containerPort: number;
  };
  /** `runc` where crun cannot run (see shared ENVIRONMENT notes); podman's default runtime otherwise. */
  readonly runtime?: string;
}

/** `podman pull`: the reference already qualified (local-images.ts, qualifiedReference). */
export function imagePullArgs(reference: string): string[] {
  return ['pull', reference];
}

/** `podman image exists`: exit 0 when the image is in local storage, 1 when it is not (podman-image-exists(1)). */
export function imageExistsArgs(reference: string): string[] {
  return ['image', 'exists', reference];
}

/**
 * `podman run` in the foreground. The container runs as the ECS task definition runs it
 * (infra/lib/constructs/service-task.ts): user 1000, read-only root filesystem with a writable /tmp, and
 * `net.ipv4.ip_unprivileged_port_start=0` so that user can bind port 80 inside its own namespace. The
 * explicit ulimits avoid "setrlimit RLIMIT_NOFILE: Operation not permitted" where podman lacks the
 * privilege to raise them to its defaults.
 */
export function containerRunArgs(input: ContainerRunInput): string[] {
  return [
    'run',
    '--rm',
    '--replace',
    '--name',
    input.name,
    ...(input.runtime ? ['--runtime', input.runtime] : []),
    '--ulimit',
    'nofile=20000:20000',
    '--ulimit',
    'nproc=1024:1024',
    '--network',
    CONTAINER_NETWORK,
    '--sysctl',
    'net.ipv4.ip_unprivileged_port_start=0',
    '--user',
    '1000',
    '--read-only',
    '--tmpfs',
    '/tmp',
    ...(input.publish
      ? ['--publish', `${input.publish.host}:${input.publish.hostPort}:${input.publish.containerPort}`]
      : []),
    ...[...input.envNames].sort().flatMap((name) => ['--env', name]),
    input.image,
    ...(input.command ?? []),
  ];
}

/** Signals the container itself: a signal to the `podman run` client would not reach it if it is SIGKILL. */
export function containerSignalArgs(name: string, signal: NodeJS.Signals): string[] {
  return ['kill', '--signal', signal, name];
}
