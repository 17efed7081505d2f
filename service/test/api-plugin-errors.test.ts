/**
 * The one error handler (src/plugins/errors.ts) on a bare Fastify app, no database: each kind of error leaves
 * with the status, code and message a client can rely on, a 5xx never carries internals and is logged, and a
 * 503 says when to retry. (Named api-* so Stryker, which runs covering test files in name order, reaches this
 * fast file before the ones that start PostgreSQL.)
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import Fastify from 'fastify';
import errors from '../src/plugins/errors.js';
import { ServiceError } from '../src/repositories/errors.js';

const withProps = (message: string, props: Record<string, unknown>) =>
  Object.assign(new Error(message), props);

/** An app with the errors plugin and one route per error to throw; log lines are collected. */
async function appThrowing(t: TestContext) {
  const logs: { level: number; msg: string; err?: { message: string } }[] = [];
  const app = Fastify({
    logger: { level: 'info', stream: { write: (line: string) => logs.push(JSON.parse(line)) } },
    bodyLimit: 64,
  });
  await app.register(errors);
  const throwing: Record<string, Error> = {
    service: new ServiceError(409, 'cart_checked_out', 'Cart c-1 is checked out and can no longer change.'),
    internal: new Error('relation "carts" does not exist at /srv/app/dist/repositories/pg.js:42'),
    status500: withProps('pool internals: client 7 checked out', { statusCode: 500 }),
    status502: withProps('upstream 10.0.0.7 said no', { statusCode: 502 }),
    // An error is never a success or a redirect: a status below 400 on an error is a bug, so a 500.
    status302: withProps('redirect to http://10.0.0.7/internal', { statusCode: 302 }),
    refused: withProps('connect ECONNREFUSED 10.0.3.17:5432', { code: 'ECONNREFUSED' }),
    notFound: withProps('Widget w-9.2 is gone', { statusCode: 404 }),
    teapot: withProps("I'm a teapot!", { statusCode: 418 }),
    badRequest: withProps('Header x-foo is malformed?', { statusCode: 400 }),
    status499: withProps('Client closed the request', { statusCode: 499 }),
    contentLength: withProps('Request body size did not match Content-Length', {
      statusCode: 400,
      code: 'FST_ERR_CTP_INVALID_CONTENT_LENGTH',
    }),
    // A 4xx wins over "database unavailable": the client's request was wrong whatever the database does.
    clientAndNetwork: withProps('Bad cart id', { statusCode: 400, code: 'ECONNRESET' }),
  };
  for (const [name, error] of Object.entries(throwing)) {
    app.get(`/throw/${name}`, async () => {
      throw error;
    });
  }
  app.post(
    '/validated',
    { schema: { body: { type: 'object', required: ['sku'], properties: { sku: { type: 'string' } } } } },
    async () => ({ ok: true }),
  );
  await app.ready();
  t.after(() => app.close());
  return { app, logs };
}

async function get(t: TestContext, name: string) {
  const { app, logs } = await appThrowing(t);
  const response = await app.inject({ method: 'GET', url: `/throw/${name}` });
  return { response, body: response.json(), logs };
}

describe('errors plugin: what leaves the service', () => {
  it('a ServiceError keeps its status, code and message', async (t) => {
    const { response, body } = await get(t, 'service');
    assert.equal(response.statusCode, 409);
    assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(body, {
      error: 'cart_checked_out',
      message: 'Cart c-1 is checked out and can no longer change.',
    });
  });

  it('an unexpected error is a 500 with a generic message, logged with its details', async (t) => {
    const { response, body, logs } = await get(t, 'internal');
    assert.equal(response.statusCode, 500);
    assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(body, {
      error: 'internal_error',
      message: 'Something went wrong on our side; please retry shortly.',
    });
    assert.equal(response.headers['retry-after'], undefined);
    const logged = logs.filter((l) => l.msg === 'request failed');
    assert.equal(logged.length, 1);
    assert.equal(logged[0]?.level, 50, 'error level');
    assert.match(logged[0]?.err?.message ?? '', /relation "carts" does not exist/);
  });

  it('an error that carries status 500, 502 or 302 is a 500 that leaks nothing', async (t) => {
    for (const name of ['status500', 'status502', 'status302']) {
      const { response, body, logs } = await get(t, name);
      assert.equal(response.statusCode, 500, name);
      assert.deepEqual(body, {
        error: 'internal_error',
        message: 'Something went wrong on our side; please retry shortly.',
      });
      assert.equal(logs.filter((l) => l.msg === 'request failed').length, 1, name);
    }
  });

  it('a database that cannot be reached is a 503 with Retry-After: 5, logged', async (t) => {
    const { response, body, logs } = await get(t, 'refused');
    assert.equal(response.statusCode, 503);
    assert.equal(response.headers['retry-after'], '5');
    assert.deepEqual(body, {
      error: 'database_unavailable',
      message: 'The database is unreachable right now; please retry shortly.',
    });
    assert.equal(logs.filter((l) => l.msg === 'request failed').length, 1);
  });

  it('other 4xx errors keep their status and message (made a sentence), and are not logged as failures', async (t) => {
    const cases: [string, number, string, string][] = [
      ['notFound', 404, 'client_error', 'Widget w-9.2 is gone.'],
      ['teapot', 418, 'client_error', "I'm a teapot!"],
      ['badRequest', 400, 'invalid_request', 'Header x-foo is malformed?'],
      ['status499', 499, 'client_error', 'Client closed the request.'],
      ['contentLength', 400, 'invalid_request', 'Request body size did not match Content-Length.'],
      ['clientAndNetwork', 400, 'invalid_request', 'Bad cart id.'],
    ];
    for (const [name, status, error, message] of cases) {
      const { response, body, logs } = await get(t, name);
      assert.equal(response.statusCode, status, name);
      assert.deepEqual(body, { error, message }, name);
      assert.equal(response.headers['retry-after'], undefined, name);
      assert.equal(logs.filter((l) => l.msg === 'request failed').length, 0, name);
    }
  });
});

describe("errors plugin: Fastify's own client errors get stable codes", () => {
  async function post(t: TestContext, headers: Record<string, string>, payload: string) {
    const { app } = await appThrowing(t);
    const response = await app.inject({ method: 'POST', url: '/validated', headers, payload });
    return { status: response.statusCode, body: response.json() };
  }

  it('a body that fails the schema: 400 invalid_request naming the problem', async (t) => {
    assert.deepEqual(await post(t, { 'content-type': 'application/json' }, '{"quantity":1}'), {
      status: 400,
      body: { error: 'invalid_request', message: "Invalid request: body must have required property 'sku'." },
    });
  });

  it('malformed JSON and an empty JSON body: 400 invalid_json', async (t) => {
    const malformed = await post(t, { 'content-type': 'application/json' }, '{"sku":');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error, 'invalid_json');
    assert.match(malformed.body.message, /\.$/);
    const empty = await post(t, { 'content-type': 'application/json' }, '');
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error, 'invalid_json');
  });

  it('an unsupported media type: 415 unsupported_media_type', async (t) => {
    const { status, body } = await post(t, { 'content-type': 'application/xml' }, '<cart/>');
    assert.equal(status, 415);
    assert.equal(body.error, 'unsupported_media_type');
  });

  it('a body over the limit: 413 payload_too_large', async (t) => {
    const { status, body } = await post(
      t,
      { 'content-type': 'application/json' },
      JSON.stringify({ sku: 'x'.repeat(100) }),
    );
    assert.equal(status, 413);
    assert.equal(body.error, 'payload_too_large');
  });
});

describe('errors plugin: unknown routes', () => {
  it('404 not_found names the method and path, without the query string', async (t) => {
    const { app } = await appThrowing(t);
    const response = await app.inject({ method: 'DELETE', url: '/api/nothing/here?token=secret' });
    assert.equal(response.statusCode, 404);
    assert.deepEqual(response.json(), { error: 'not_found', message: 'No route DELETE /api/nothing/here.' });
  });
});
