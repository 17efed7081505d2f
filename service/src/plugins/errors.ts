import type { FastifyError } from 'fastify';
import fp from 'fastify-plugin';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import { ServiceError } from '../repositories/errors.js';

interface ErrorBody {
  error: string;
  message: string;
}

// Fastify's own client errors, renamed to stable codes; their messages say nothing internal.
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
};

// A database restart or failover takes seconds; tell clients when retrying is worth it.
const RETRY_AFTER_SECONDS = 5;

/** The one error handler: every error leaves as `{ error, message }`; a 5xx never carries internals. */
export default fp(
  async (app) => {
    app.setErrorHandler<FastifyError | Error>((error, request, reply) => {
      const { statusCode, body } = describe(error);
      if (statusCode >= 500) {
        request.log.error({ err: error }, 'request failed');
      }
      if (statusCode === 503) reply.header('retry-after', RETRY_AFTER_SECONDS);
      return reply.code(statusCode).type('application/json; charset=utf-8').send(body);
    });

    app.setNotFoundHandler((request, reply) =>
      reply.code(404).send({
        error: 'not_found',
        message: `No route ${request.method} ${request.url.split('?')[0]}.`,
      } satisfies ErrorBody),
    );
  },
  { name: 'errors' },
);

function describe(error: FastifyError | Error): { statusCode: number; body: ErrorBody } {
  if (error instanceof ServiceError) {
    return { statusCode: error.statusCode, body: { error: error.code, message: error.message } };
  }
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation !== undefined) {
    return {
      statusCode: 400,
      body: { error: 'invalid_request', message: `Invalid request: ${error.message}.` },
    };
  }
  const statusCode = fastifyError.statusCode ?? 500;
  if (statusCode >= 400 && statusCode < 500) {
    const code =
      FASTIFY_CODES[fastifyError.code ?? ''] ?? (statusCode === 400 ? 'invalid_request' : 'client_error');
    return { statusCode, body: { error: code, message: sentence(error.message) } };
  }
  if (isDatabaseUnavailable(error)) {
    return {
      statusCode: 503,
      body: {
        error: 'database_unavailable',
        message: 'The database is unreachable right now; please retry shortly.',
      },
    };
  }
  return {
    statusCode: 500,
    body: { error: 'internal_error', message: 'Something went wrong on our side; please retry shortly.' },
  };
}

function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
