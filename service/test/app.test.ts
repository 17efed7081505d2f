import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { PUBLIC_DIR } from '../src/plugins/static.js';
import { build } from './helpers/build.js';

const publicDir = await mkdtemp(join(tmpdir(), 'berth-public-'));
await writeFile(join(publicDir, 'index.html'), '<!doctype html><title>Berth</title>');
after(() => rm(publicDir, { recursive: true, force: true }));

// One app for the file; tests here only read or use their own resources.
const app: FastifyInstance = await build({ after }, { publicDir });

describe('catalogue', () => {
  test('GET /api/products lists the seeded products', async () => {
    const response = await app.inject('/api/products');
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json()[0], {
      sku: 'BERTH-MUG',
      name: 'Berth mug',
      priceCents: 1200,
      imageUrl: '/images/mug.svg',
    });
    assert.equal(response.json().length, 4);
  });
});

describe('health', () => {
  test('/healthz and /readyz answer 200 while serving', async () => {
    assert.deepEqual((await app.inject('/healthz')).json(), { status: 'ok' });
    const ready = await app.inject('/readyz');
    assert.equal(ready.statusCode, 200);
    assert.equal(ready.json().status, 'ready');
  });
});

describe('OpenAPI', () => {
  test('GET /api/openapi.json documents every API route with its schemas', async () => {
    const response = await app.inject('/api/openapi.json');
    assert.equal(response.statusCode, 200);
    const doc = response.json();
    assert.match(doc.openapi, /^3\./);
    for (const path of [
      '/api/products',
      '/api/carts',
      '/api/carts/{cartId}',
      '/api/carts/{cartId}/items',
      '/api/carts/{cartId}/items/{sku}',
      '/api/carts/{cartId}/checkout',
      '/healthz',
      '/readyz',
    ]) {
      assert.ok(doc.paths[path], `missing ${path}`);
    }
    const addItem = doc.paths['/api/carts/{cartId}/items'].post;
    assert.deepEqual(addItem.requestBody.content['application/json'].schema.required, ['sku', 'quantity']);
    assert.ok(addItem.responses['422']);
    assert.equal(doc.paths['/metrics'], undefined, 'operational endpoints stay out of the API document');
  });
});

describe('metrics', () => {
  test('GET /metrics counts requests by route template and status, with process metrics', async () => {
    await app.inject('/api/products');
    await app.inject(`/api/carts/00000000-0000-4000-8000-000000000000`);
    const response = await app.inject('/metrics');
    assert.equal(response.statusCode, 200);
    assert.match(response.headers['content-type'] as string, /^text\/plain/);
    const text = response.body;
    assert.match(text, /http_requests_total\{method="GET",route="\/api\/products",status_code="200"\} [1-9]/);
    assert.match(
      text,
      /http_requests_total\{method="GET",route="\/api\/carts\/:cartId",status_code="404"\} 1/,
    );
    assert.match(
      text,
      /http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/api\/products"/,
    );
    assert.match(text, /process_cpu_user_seconds_total/);
    assert.doesNotMatch(text, /00000000-0000/, 'raw URLs never become labels');
  });

  test('a request that came through the load balancer (X-Forwarded-For) gets the plain 404 of an unknown route', async () => {
    // The ALB appends X-Forwarded-For to every request it forwards ("HTTP headers and Application Load Balancers").
    const response = await app.inject({ url: '/metrics', headers: { 'x-forwarded-for': '203.0.113.7' } });
    assert.equal(response.statusCode, 404);
    assert.deepEqual(response.json(), { error: 'not_found', message: 'No route GET /metrics.' });
    assert.doesNotMatch(response.body, /process_cpu/);
  });
});

describe('request ids', () => {
  test('an incoming x-request-id is echoed; a missing or odd one is replaced by a UUID', async () => {
    const given = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'trace-123' } });
    assert.equal(given.headers['x-request-id'], 'trace-123');
    const generated = await app.inject('/healthz');
    assert.match(generated.headers['x-request-id'] as string, /^[0-9a-f-]{36}$/);
    const odd = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'a b\u00e9'.repeat(50) } });
    assert.match(odd.headers['x-request-id'] as string, /^[0-9a-f-]{36}$/);
  });
});

describe('static storefront and unknown routes', () => {
  test('GET / serves index.html from the public directory', async () => {
    const response = await app.inject('/');
    assert.equal(response.statusCode, 200);
    assert.match(response.headers['content-type'] as string, /^text\/html/);
    assert.match(response.body, /<title>Berth<\/title>/);
  });

  test('unknown paths answer 404 JSON', async () => {
    for (const url of ['/no-such-file.js', '/api/nothing']) {
      const response = await app.inject(url);
      assert.equal(response.statusCode, 404);
      assert.equal(response.json().error, 'not_found');
    }
  });

  test('the default public directory is service/public, from src/ and dist/ alike', () => {
    assert.equal(PUBLIC_DIR, fileURLToPath(new URL('../public/', import.meta.url)));
  });
});
