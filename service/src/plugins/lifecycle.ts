import fp from 'fastify-plugin';

export interface Lifecycle {
  /** True once shutdown has begun: readiness reports 503 so the load balancer stops sending new work. */
  readonly draining: boolean;
  startDraining(): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    lifecycle: Lifecycle;
  }
}

export default fp(
  async (app) => {
    let draining = false;
    app.decorate('lifecycle', {
      get draining() {
        return draining;
      },
      startDraining() {
        draining = true;
      },
    } satisfies Lifecycle);
  },
  { name: 'lifecycle' },
);
