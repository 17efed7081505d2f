import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { sql } from 'kysely';

const READINESS_DB_TIMEOUT_MS = 2_000;

const Status = Type.Object(
  { status: Type.String(), reason: Type.Optional(Type.String()) },
  { additionalProperties: false },
);

/** Liveness says the process runs; readiness says it should get traffic (DB reachable, not draining). */
const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/healthz',
    { schema: { tags: ['health'], summary: 'Liveness', response: { 200: Status } } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    { schema: { tags: ['health'], summary: 'Readiness', response: { 200: Status, 503: Status } } },
    async (request, reply) => {
      if (app.lifecycle.draining) {
        return reply
          .code(503)
          .send({ status: 'draining', reason: 'shutting down; finishing requests in flight' });
      }
      try {
        await withTimeout(sql`select 1`.execute(app.db), READINESS_DB_TIMEOUT_MS);
      } catch (error) {
        request.log.warn({ err: error }, 'readiness: database unreachable');
        return reply.code(503).send({ status: 'unavailable', reason: 'database unreachable' });
      }
      return { status: 'ready' };
    },
  );
};

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export default healthRoutes;
