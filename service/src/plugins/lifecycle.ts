import fp from 'fastify-plugin';

/** starting: migrations not applied yet; ready: serving; draining: shutting down after SIGTERM. */
export type Phase = 'starting' | 'ready' | 'draining';

export interface Lifecycle {
  readonly phase: Phase;
  /** Why the service is still starting, for /readyz (e.g. "database unreachable; retrying"). */
  readonly startingReason: string;
  setStartingReason(reason: string): void;
  markReady(): void;
  /** Readiness reports 503 from now on so the load balancer stops sending new work. */
  startDraining(): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    lifecycle: Lifecycle;
  }
}

export default fp(
  async (app) => {
    let phase: Phase = 'starting';
    let startingReason = 'applying database migrations';
    app.decorate('lifecycle', {
      get phase() {
        return phase;
      },
      get startingReason() {
        return startingReason;
      },
      setStartingReason(reason: string) {
        startingReason = reason;
      },
      markReady() {
        if (phase === 'starting') phase = 'ready';
      },
      startDraining() {
        phase = 'draining';
      },
    } satisfies Lifecycle);
  },
  { name: 'lifecycle' },
);
