/**
 * The cross-cutting plugins on small Fastify apps of their own: lifecycle phases, request ids, Prometheus
 * metrics and the storefront files (src/plugins/{lifecycle,request-id,metrics,static}.ts). No database.
 * (Named api-* so Stryker, which runs covering test files in name order, reaches this fast file first.)
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import swagger from '@fastify/swagger';
import Fastify from 'fastify';
import lifecycle from '../src/plugins/lifecycle.js';
import metrics from '../src/plugins/metrics.js';
import requestId, { requestIdFor } from '../src/plugins/request-id.js';
import staticFiles, { PUBLIC_DIR } from '../src/plugins/static.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('lifecycle plugin', () => {
  it('starts "starting" (applying migrations), becomes ready once, and draining is final', async (t) => {
    const app = Fastify();
    await app.register(lifecycle);
    await app.ready();
    t.after(() => app.close());

    assert.equal(app.lifecycle.phase, 'starting');
    assert.equal(app.lifecycle.startingReason, 'applying database migrations');
    app.lifecycle.setStartingReason('database unreachable; retrying the migrations');
    assert.equal(app.lifecycle.startingReason, 'database unreachable; retrying the migrations');
    app.lifecycle.markReady();
    assert.equal(app.lifecycle.phase, 'ready');
    app.lifecycle.startDraining();
    assert.equal(app.lifecycle.phase, 'draining');
    // Migrations finishing late must not put a draining task back into rotation.
    app.lifecycle.markReady();
    assert.equal(app.lifecycle.phase, 'draining');
  });

  it('a task told to drain while still starting stays draining when its migrations finish', async (t) => {
    const app = Fastify();
    await app.register(lifecycle);
    await app.ready();
    t.after(() => app.close());

    app.lifecycle.startDraining();
    app.lifecycle.markReady();
    assert.equal(app.lifecycle.phase, 'draining');
  });
});

describe('request ids', () => {
  const withHeader = (value: string | string[] | undefined) =>
    ({ headers: value === undefined ? {} : { 'x-request-id': value } }) as unknown as IncomingMessage;

  it('honours a short plain x-request-id (letters, digits, . _ : -, up to 128)', () => {
    for (const id of ['req-42', 'Root.1:abc_DEF-9', 'a', 'x'.repeat(128)]) {
      assert.equal(requestIdFor(withHeader(id)), id);
    }
  });

  it('replaces anything else with a fresh UUID: too long, empty, spaces, newlines, repeated header', () => {
    for (const value of [
      'x'.repeat(129),
      '',
      'abc def',
      ' abc',
      'abc\n{"level":50}',
      'id;drop',
      'Root=1-67891233-abcdef',
      ['a', 'b'],
      undefined,
    ]) {
      const id = requestIdFor(withHeader(value));
      assert.match(id, UUID_V4, JSON.stringify(value));
    }
    assert.notEqual(requestIdFor(withHeader(undefined)), requestIdFor(withHeader(undefined)));
  });

  it('echoes the id in the x-request-id response header', async (t) => {
    const app = Fastify({ genReqId: requestIdFor });
    await app.register(requestId);
    app.get('/ping', async () => 'pong');
    await app.ready();
    t.after(() => app.close());

    const given = await app.inject({ url: '/ping', headers: { 'x-request-id': 'client-7.retry:2' } });
    assert.equal(given.headers['x-request-id'], 'client-7.retry:2');
    const fresh = await app.inject({ url: '/ping' });
    assert.match(String(fresh.headers['x-request-id']), UUID_V4);
    // Also on a 404: the client can quote it whatever happened.
    const missing = await app.inject({ url: '/nowhere', headers: { 'x-request-id': 'lost-1' } });
    assert.equal(missing.headers['x-request-id'], 'lost-1');
  });
});

describe('metrics plugin', () => {
  async function metricsApp(t: TestContext) {
    const app = Fastify();
    await app.register(swagger, { openapi: { info: { title: 't', version: '1' } } });
    await app.register(metrics);
    app.get('/api/carts/:cartId', async (request) => ({ id: (request.params as { cartId: string }).cartId }));
    app.post('/api/carts', async (_request, reply) => reply.code(201).send({}));
    await app.ready();
    t.after(() => app.close());
    return app;
  }

  it('counts requests by route template (never the raw URL), method and status', async (t) => {
    const app = await metricsApp(t);
    await app.inject('/api/carts/11111111-1111-4111-8111-111111111111');
    await app.inject('/api/carts/22222222-2222-4222-8222-222222222222');
    await app.inject({ method: 'POST', url: '/api/carts' });
    await app.inject('/no/such/route');

    const response = await app.inject('/metrics');
    assert.equal(response.statusCode, 200);
    // The Prometheus text exposition format, version 0.0.4 (prometheus.io, "Exposition formats").
    assert.equal(response.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const text = response.body;
    assert.match(text, /^# HELP http_requests_total HTTP requests served, by route template and status\.$/m);
    assert.match(text, /^# TYPE http_requests_total counter$/m);
    assert.match(
      text,
      /^http_requests_total\{method="GET",route="\/api\/carts\/:cartId",status_code="200"\} 2$/m,
    );
    assert.match(text, /^http_requests_total\{method="POST",route="\/api\/carts",status_code="201"\} 1$/m);
    assert.match(text, /^http_requests_total\{method="GET",route="unmatched",status_code="404"\} 1$/m);
    assert.doesNotMatch(text, /11111111-1111/);
  });

  it('records latency in seconds in the documented buckets, 5 ms to 5 s', async (t) => {
    const app = await metricsApp(t);
    const started = performance.now();
    await app.inject({ method: 'POST', url: '/api/carts' });
    const wallSeconds = (performance.now() - started) / 1000;

    const text = (await app.inject('/metrics')).body;
    assert.match(
      text,
      /^# HELP http_request_duration_seconds HTTP request latency in seconds, by route template and status\.$/m,
    );
    assert.match(text, /^# TYPE http_request_duration_seconds histogram$/m);
    const buckets = [
      ...text.matchAll(/^http_request_duration_seconds_bucket\{le="([^"]+)",method="POST"/gm),
    ].map((m) => m[1]);
    assert.deepEqual(buckets, [
      '0.005',
      '0.01',
      '0.025',
      '0.05',
      '0.1',
      '0.25',
      '0.5',
      '1',
      '2.5',
      '5',
      '+Inf',
    ]);
    // Seconds, not milliseconds: the recorded time is within the wall time the request took.
    const sum = Number(/^http_request_duration_seconds_sum\{method="POST",[^}]*\} (\S+)$/m.exec(text)?.[1]);
    assert.ok(sum > 0 && sum <= wallSeconds, `sum ${sum} s, request took ${wallSeconds} s`);
    assert.match(
      text,
      /^http_request_duration_seconds_count\{method="POST",route="\/api\/carts",status_code="201"\} 1$/m,
    );
  });

  it('exposes process metrics, keeps /metrics out of the API document, and gives each app its own registry', async (t) => {
    const first = await metricsApp(t);
    const second = await metricsApp(t);
    await first.inject('/api/carts/a');

    assert.match((await first.inject('/metrics')).body, /^process_cpu_user_seconds_total /m);
    assert.doesNotMatch((await second.inject('/metrics')).body, /route="\/api\/carts\/:cartId"/);
    assert.equal(Object.keys(first.swagger().paths ?? {}).includes('/metrics'), false);
    assert.ok(first.metrics.registry !== second.metrics.registry);
  });
});

describe('static plugin', () => {
  it('serves service/public by default', () => {
    assert.equal(PUBLIC_DIR, fileURLToPath(new URL('../public/', import.meta.url)));
  });

  it('serves index.html at / and the files of its root, and hides them from the API document', async (t) => {
    const root = await mkdtemp(join(tmpdir(), 'berth-static-'));
    t.after(() => rm(root, { recursive: true, force: true }));
    await writeFile(join(root, 'index.html'), '<!doctype html><title>Shop 7</title>');
    await writeFile(join(root, 'app.js'), 'console.log("shop 7")');
    const app = Fastify();
    await app.register(swagger, { openapi: { info: { title: 't', version: '1' } } });
    await app.register(staticFiles, { root });
    await app.ready();
    t.after(() => app.close());

    const index = await app.inject('/');
    assert.equal(index.statusCode, 200);
    assert.equal(index.body, '<!doctype html><title>Shop 7</title>');
    assert.equal((await app.inject('/app.js')).body, 'console.log("shop 7")');
    assert.equal((await app.inject('/missing.css')).statusCode, 404);
    assert.deepEqual(Object.keys(app.swagger().paths ?? {}), []);
  });

  it('without the directory: warns once and serves nothing, instead of failing to start', async (t) => {
    const lines: { level: number; msg: string; root?: string }[] = [];
    const app = Fastify({
      logger: { level: 'warn', stream: { write: (l: string) => lines.push(JSON.parse(l)) } },
    });
    const root = join(tmpdir(), 'berth-static-never-created-7c1e');
    await app.register(staticFiles, { root });
    await app.ready();
    t.after(() => app.close());

    assert.equal((await app.inject('/')).statusCode, 404);
    assert.deepEqual(
      lines.map((l) => [l.level, l.msg, l.root]),
      [[40, 'no public directory; the storefront is not served', root]],
    );
  });
});
