/**
 * The images `berth up` needs before a container starts: each distinct build the containers run, built once
 * (services sharing a build share its image), and each prebuilt reference, pulled once. A service that runs
 * its dev command needs no image, so a build only it uses is not built.
 */
import type { ImageBuildConfig } from '@berth/infra';
import type { LocalRunPlan, LocalService } from './run-plan.js';

/** A build as `berth up` takes it: ResolvedConfig.images' fields, paths relative to the project root. */
export type LocalBuild = Pick<ImageBuildConfig, 'key' | 'dockerfile' | 'context' | 'target' | 'args'>;

export type ImageStep =
  | {
      readonly kind: 'build';
      /** The local name it is tagged with. */
      readonly image: string;
      readonly build: LocalBuild;
      /** The services (in config order) whose containers run it. */
      readonly services: readonly string[];
    }
  | {
      readonly kind: 'pull';
      /** The reference as podman pulls and runs it: qualified (see qualifiedReference). */
      readonly image: string;
      readonly services: readonly string[];
    };

export interface LocalImages {
  /** In the order the services first need them. */
  readonly steps: readonly ImageStep[];
  /** The image each container-run service (and its release command) runs. */
  readonly byService: ReadonlyMap<string, string>;
}

/**
 * Local names that mirror the app's tags in its repository (`<sha>` for the primary image, `<key>-<sha>` for
 * another): the primary build is `localhost/<app>:local`, another `localhost/<app>:<key>-local`.
 */
export function localImageName(app: string, key: string, primaryKey: string | undefined): string {
  return key === primaryKey ? `localhost/${app}:local` : `localhost/${app}:${key}-local`;
}

/**
 * ECS runs images with Docker (or containerd), which read a reference without a registry as Docker Hub's:
 * `nginx:1.27` is `docker.io/library/nginx:1.27`, `acme/api` is `docker.io/acme/api`
 * (github.com/distribution/reference, normalize.go: the first component is a registry only when it has a
 * `.` or a `:` or is `localhost`). podman would instead ask which of its search registries to use, and
 * refuses to without a terminal ("short-name resolution enforced but cannot prompt without a TTY"), so
 * berth up names the registry Docker would.
 */
export function qualifiedReference(reference: string): string {
  const slash = reference.indexOf('/');
  const first = slash === -1 ? '' : reference.slice(0, slash);
  if (slash !== -1 && (first.includes('.') || first.includes(':') || first === 'localhost')) return reference;
  return `docker.io/${slash === -1 ? 'library/' : ''}${reference}`;
}

/** Plans the builds and pulls for the services `plan` runs in containers; `builds` are the app's (primary first). */
export function planLocalImages(app: string, plan: LocalRunPlan, builds: readonly LocalBuild[]): LocalImages {
  const steps = new Map<string, { step: ImageStep; services: string[] }>();
  const byService = new Map<string, string>();
  for (const { service } of plan.services.filter((p) => p.runner === 'container')) {
    const step = stepFor(app, service, builds);
    const found = steps.get(step.image) ?? { step, services: [] };
    found.services.push(service.name);
    steps.set(step.image, found);
    byService.set(service.name, step.image);
  }
  return {
    steps: [...steps.values()].map(({ step, services }) => ({ ...step, services })),
    byService,
  };
}

function stepFor(app: string, service: LocalService, builds: readonly LocalBuild[]): ImageStep {
  if ('prebuilt' in service.image) {
    return { kind: 'pull', image: qualifiedReference(service.image.prebuilt), services: [] };
  }
  const key = service.image.build;
  const build = builds.find((b) => b.key === key);
  // resolveImages gives every building service a key of `images`: a miss is a bug, not a user's mistake.
  if (build === undefined)
    throw new Error(`${service.name} runs build ${key}, which is not among the app's images`);
  return { kind: 'build', image: localImageName(app, key, builds[0]?.key), build, services: [] };
}
