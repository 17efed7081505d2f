// The API contract: /api/openapi.json, generated from the route schemas, passes Redocly's recommended
// ruleset with no error and no warning, and its operationIds give generated clients good method names.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from './helpers/build.js';

const REDOCLY = fileURLToPath(new URL('../../node_modules/@redocly/cli/bin/cli.js', import.meta.url));

test('the OpenAPI document passes `redocly lint` (recommended) with no error or warning', async (t) => {
  const app = await build(t);
  const document = (await app.inject('/api/openapi.json')).json();
  const dir = await mkdtemp(join(tmpdir(), 'berth-openapi-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'openapi.json');
  await writeFile(file, JSON.stringify(document, null, 2));

  const { stdout, stderr, code } = await promisify(execFile)(
    process.execPath,
    [REDOCLY, 'lint', file, '--extends', 'recommended', '--format', 'stylish'],
    { env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } },
  ).then(
    (result) => ({ ...result, code: 0 }),
    (error: { stdout: string; stderr: string; code: number }) => error,
  );
  const output = `${stdout}\n${stderr}`;
  assert.equal(code, 0, output);
  assert.doesNotMatch(output, /\d+ (error|warning)s? /i, output);
  assert.match(output, /Your API description is valid/, output);
});

test('operationIds name every operation the way a generated client should call it', async (t) => {
  const app = await build(t);
  const { paths } = (await app.inject('/api/openapi.json')).json() as {
    paths: Record<string, Record<string, { operationId?: string }>>;
  };
  const ids = Object.fromEntries(
    Object.entries(paths).flatMap(([path, operations]) =>
      Object.entries(operations).map(([method, operation]) => [
        `${method.toUpperCase()} ${path}`,
        operation.operationId,
      ]),
    ),
  );
  assert.deepEqual(ids, {
    'GET /healthz': 'getLiveness',
    'GET /readyz': 'getReadiness',
    'GET /api/products': 'listProducts',
    'POST /api/carts': 'createCart',
    'GET /api/carts/{cartId}': 'getCart',
    'DELETE /api/carts/{cartId}': 'deleteCart',
    'POST /api/carts/{cartId}/items': 'addCartItem',
    'PUT /api/carts/{cartId}/items/{sku}': 'setCartItemQuantity',
    'DELETE /api/carts/{cartId}/items/{sku}': 'removeCartItem',
    'POST /api/carts/{cartId}/checkout': 'checkoutCart',
  });
});
