import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ErrorBody } from '../../schemas/common.js';

const Liveness = Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false });

const Readiness = Type.Object(
  {
    status: Type.Union([Type.Literal('ready'), Type.Literal('starting'), Type.Literal('draining')]),
    reason: Type.Optional(Type.String()),
    database: Type.Union([Type.Literal('unknown'), Type.Literal('reachable'), Type.Literal('unreachable')], {
      description: 'From a background check; informational, it never changes the status code.',
    }),
  },
  { additionalProperties: false },
);

/**
 * Liveness says the process runs. Readiness (the load balancer's probe) says whether this task should get
 * traffic: 503 until start-up migrations are applied and again while draining. It never queries the
 * database, so a database outage does not take every task out of the load balancer at once; requests
 * answer 503 database_unavailable during an outage instead.
 */
const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['health'],
        operationId: 'getLiveness',
        summary: 'Liveness',
        response: { 200: Liveness, '4xx': ErrorBody },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        operationId: 'getReadiness',
        summary: 'Readiness',
        response: { 200: Readiness, '4xx': ErrorBody, 503: Readiness },
      },
    },
    async (_request, reply) => {
      const database = app.database.reachability;
      switch (app.lifecycle.phase) {
        case 'ready':
          return { status: 'ready' as const, database };
        case 'starting':
          return reply.code(503).send({ status: 'starting', reason: app.lifecycle.startingReason, database });
        case 'draining':
          return reply
            .code(503)
            .send({ status: 'draining', reason: 'shutting down; finishing requests in flight', database });
      }
    },
  );
};

export default healthRoutes;
