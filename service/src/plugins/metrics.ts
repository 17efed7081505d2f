import fp from 'fastify-plugin';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    /** Other plugins register their gauges here. */
    metrics: { registry: Registry };
  }
}

/**
 * Prometheus metrics on GET /metrics: requests and latency by route template and status, plus process metrics.
 * Answered only to requests that did not come through a load balancer.
 */
export default fp(
  async (app) => {
    // One registry per app, so several apps in one process (tests) never collide on metric names.
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    app.decorate('metrics', { registry });
    const labelNames = ['method', 'route', 'status_code'] as const;
    const requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests served, by route template and status.',
      labelNames,
      registers: [registry],
    });
    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency in seconds, by route template and status.',
      labelNames,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });

    app.addHook('onResponse', async (request, reply) => {
      // The template (/api/carts/:cartId), never the raw URL, keeps label cardinality bounded.
      const labels = {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      };
      requests.inc(labels);
      duration.observe(labels, reply.elapsedTime / 1000);
    });

    app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
      // For scrapers beside the task (a sidecar, `berth exec`), never the internet: the ALB adds X-Forwarded-For to
      // every request it forwards, and a client cannot remove it, so a request carrying it came from outside.
      if (request.headers['x-forwarded-for'] !== undefined) return reply.callNotFound();
      return reply.type(registry.contentType).send(await registry.metrics());
    });
  },
  { name: 'metrics' },
);
