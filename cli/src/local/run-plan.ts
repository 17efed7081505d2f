import type { AppService } from '@berth/infra';

/** One service of berth.config.ts as `berth up` sees it: `ResolvedConfig.services`, whatever the environment. */
export type LocalService = AppService;

/** How one service runs: its dev command as a process, or a container of the app's image. */
export type Runner = 'dev' | 'container';

export interface PlannedService {
  readonly service: LocalService;
  readonly runner: Runner;
}

export interface LocalRunPlan {
  readonly services: readonly PlannedService[];
  /** The service whose release command runs before any service starts. */
  readonly release?: PlannedService;
  /** Some service (or the release command) runs in a container: the image is built and podman is needed. */
  readonly needsImage: boolean;
  /** Two or more web services share the one address, so HAProxy routes between them. */
  readonly needsRouter: boolean;
  /** Some service reads the database: the local PostgreSQL starts. */
  readonly needsDatabase: boolean;
}

/**
 * A service with a `dev` command runs it, unless `containers` (`berth up --containers`) asks for the image
 * everywhere; a service without one runs from the image. With a single web service no router is needed:
 * it listens on berth up's address itself, so `npm start` needs nothing but Node.
 */
export function planLocalRun(
  services: readonly LocalService[],
  options: { readonly containers: boolean },
): LocalRunPlan {
  if (services.length === 0) throw new Error('berth.config.ts has no services to run');
  const planned = services.map(
    (service): PlannedService => ({
      service,
      runner: service.dev && !options.containers ? 'dev' : 'container',
    }),
  );
  const release = planned.find((p) => p.service.release !== undefined);
  return {
    services: planned,
    ...(release ? { release } : {}),
    needsImage: planned.some((p) => p.runner === 'container'),
    needsRouter: services.filter((s) => s.kind === 'web').length > 1,
    needsDatabase: services.some((s) => s.database),
  };
}
