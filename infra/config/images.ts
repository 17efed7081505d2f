/**
 * Each service's image, from `berth.config.ts`: built from its `build` (services with the same build share
 * one image, built once per commit) or a prebuilt `image` reference run as given. Every error is one line
 * naming the field the user wrote and the fix.
 */
import path from 'node:path';
import { isImageReference } from '../lib/image.js';
import type { ServiceImageConfig } from './environments.js';
import type { BerthConfig, BuildConfig, ServiceDefinition } from './schema.js';
import { ConfigFileError, shown } from './shape.js';

const DEFAULT_BUILD = { dockerfile: 'Dockerfile', context: '.' } as const;

/** One image Berth builds, pushes to the app's repository and deploys by digest. */
export interface ImageBuildConfig {
  /**
   * The image's name in a release (`<key>=sha256:…`) and in its tags (`<key>-<git sha>`): the name of the first
   * service, in config order, built from it.
   */
  readonly key: string;
  /** Relative to the project root (the directory of berth.config.ts), normalized (`./Dockerfile` → `Dockerfile`). */
  readonly dockerfile: string;
  readonly context: string;
  /** The Dockerfile stage to build. @default - the last stage */
  readonly target?: string;
  /** `--build-arg` values by name, in name order. */
  readonly args: Readonly<Record<string, string>>;
  /** The services that run it, in config order. */
  readonly services: readonly string[];
}

/**
 * A private ECR image: `<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag][@digest]` (ECR User
 * Guide, "Pushing an image": the registry URI format).
 */
const ECR_IMAGE =
  /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/([^:@]+)(?::([^@]+))?(?:@(sha256:[a-fA-F0-9]{64}))?$/;

/** A prebuilt image in a private ECR repository: what its tasks need pull permission on. */
export interface EcrImageReference {
  /** `aws-cn` for a registry under amazonaws.com.cn, else `aws`. */
  readonly partition: 'aws' | 'aws-cn';
  readonly account: string;
  readonly region: string;
  readonly repositoryName: string;
  /** The digest when the reference has one, else its tag (`latest` when it names none, as Docker does). */
  readonly tagOrDigest: string;
}

/** The ECR repository a prebuilt reference pulls from, or undefined for any other registry. */
export function ecrImage(reference: string): EcrImageReference | undefined {
  const match = ECR_IMAGE.exec(reference);
  if (!match) return undefined;
  const [, account, region, china, repositoryName, tag, digest] = match;
  return {
    partition: china ? 'aws-cn' : 'aws',
    account: account!,
    region: region!,
    repositoryName: repositoryName!,
    // Registries print digests in lower case; the task constructs accept only that form.
    tagOrDigest: digest?.toLowerCase() ?? tag ?? 'latest',
  };
}

/** Docker lower-cases stage names; a name starts with a letter (moby/buildkit, instructions/parse.go). */
const STAGE_NAME = /^[A-Za-z][A-Za-z0-9_.-]*$/;
/** `ARG` names: what a shell takes as a variable name. */
const BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** ECR repository names: lower case, digits, `-_./` separators (ECR API Reference, CreateRepository). */
const REPOSITORY_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;

/** `./docker//Dockerfile` and `docker/Dockerfile` are one file: the build's identity uses the normal form. */
const normalized = (file: string) => path.posix.normalize(file.replaceAll('\\', '/')).replace(/\/$/, '');

function buildOf(build: BuildConfig | undefined): Omit<ImageBuildConfig, 'key' | 'services'> {
  const args = Object.fromEntries(Object.entries(build?.args ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)));
  return {
    dockerfile: normalized(build?.dockerfile ?? DEFAULT_BUILD.dockerfile),
    context: normalized(build?.context ?? DEFAULT_BUILD.context),
    ...(build?.target === undefined ? {} : { target: build.target }),
    args,
  };
}

/** What makes two builds the same image. */
const identity = (build: Omit<ImageBuildConfig, 'key' | 'services'>) =>
  JSON.stringify([build.dockerfile, build.context, build.target ?? null, build.args]);

/** Each service's image and the builds, in config order (the first build is the app's primary image). */
export interface ResolvedImages {
  readonly builds: readonly ImageBuildConfig[];
  readonly byService: ReadonlyMap<string, ServiceImageConfig>;
}

/** Groups the services by build; assumes checkImages passed. */
export function resolveImages(config: BerthConfig): ResolvedImages {
  const builds = new Map<string, { key: string; build: ReturnType<typeof buildOf>; services: string[] }>();
  const byService = new Map<string, ServiceImageConfig>();
  for (const [name, service] of Object.entries(config.services)) {
    if (service.image !== undefined) {
      byService.set(name, { prebuilt: service.image });
      continue;
    }
    const build = buildOf(service.build);
    const id = identity(build);
    const found = builds.get(id) ?? { key: name, build, services: [] };
    found.services.push(name);
    builds.set(id, found);
    byService.set(name, { build: found.key });
  }
  return {
    builds: [...builds.values()].map(({ key, build, services }) => ({ key, ...build, services })),
    byService,
  };
}

/**
 * The app's image repository under `<app>/`: the one the builds name, else the first building service's name
 * (the first service's, for every config from before prebuilt images). Undefined when every service runs a
 * prebuilt image: Berth then pushes nothing and creates no repository.
 */
export function repositoryOf(config: BerthConfig): string | undefined {
  const building = Object.entries(config.services).filter(([, s]) => s.image === undefined);
  return (
    building.find(([, s]) => s.build?.repository !== undefined)?.[1].build?.repository ?? building[0]?.[0]
  );
}

/** Throws a ConfigFileError at the first mistake in the services' `build` and `image` fields. */
export function checkImages(config: BerthConfig, source: string): void {
  const entries = Object.entries(config.services);
  let repository: [string, string] | undefined;
  for (const [name, service] of entries) {
    checkImageFields(name, service, source);
    const named = service.build?.repository;
    if (named === undefined) continue;
    if (repository !== undefined && named !== repository[1]) {
      throw new ConfigFileError(
        `${source}: services.${name}.build.repository = ${shown(named)}: expected ${shown(repository[1])} as ${repository[0]}'s: an app has one image repository (each image gets tags of its own); name it once or the same everywhere`,
      );
    }
    repository ??= [name, named];
  }
}

function checkImageFields(name: string, service: ServiceDefinition, source: string): void {
  const fail = (field: string, value: unknown, expected: string): never => {
    throw new ConfigFileError(`${source}: services.${name}${field} = ${shown(value)}: expected ${expected}`);
  };
  if (service.image !== undefined) {
    if (service.build !== undefined) {
      throw new ConfigFileError(
        `${source}: services.${name}: has both build and image; keep build to build it, or image to run a prebuilt one`,
      );
    }
    const image = service.image;
    if (!isImageReference(image)) {
      fail(
        '.image',
        image,
        "an image reference such as 'nginx:1.27' or '<registry>/<name>@sha256:<64 hex>' (lower-case name, at most 255 characters before @)",
      );
    }
    return;
  }
  const build = service.build;
  if (build === undefined) return;
  for (const field of ['dockerfile', 'context'] as const) {
    const value = build[field];
    if (value !== undefined && value.trim() === '') {
      fail(
        `.build.${field}`,
        value,
        'a path relative to the directory of berth.config.ts, e.g. services/api',
      );
    }
  }
  if (build.target !== undefined && !STAGE_NAME.test(build.target)) {
    fail(
      '.build.target',
      build.target,
      "a Dockerfile stage name (FROM … AS <name>): a letter, then letters, digits, _ . -, e.g. 'runtime'",
    );
  }
  for (const arg of Object.keys(build.args ?? {})) {
    if (!BUILD_ARG_NAME.test(arg)) {
      fail(
        `.build.args.${arg}`,
        build.args![arg],
        'a build argument name of letters, digits and _, not starting with a digit (an ARG of the Dockerfile)',
      );
    }
  }
  if (build.repository !== undefined && !REPOSITORY_NAME.test(build.repository)) {
    fail(
      '.build.repository',
      build.repository,
      'lower-case letters, digits and - _ . / (an ECR repository name under the app)',
    );
  }
}
