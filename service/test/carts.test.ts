import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { build } from './helpers/build.js';

const MISSING_CART = '00000000-0000-4000-8000-000000000000';

// One app for the file (on a database of its own); every test works on carts of its own.
const app: FastifyInstance = await build({ after });

describe('cart API', () => {
  async function call(options: InjectOptions) {
    const response = await app.inject(options);
    return { status: response.statusCode, body: response.body ? response.json() : undefined, response };
  }

  async function newCart(): Promise<string> {
    return (await call({ method: 'POST', url: '/api/carts' })).body.id;
  }

  const add = (cartId: string, payload: unknown) =>
    call({ method: 'POST', url: `/api/carts/${cartId}/items`, payload: payload as object });

  function assertError(result: { status: number; body: unknown }, status: number, code: string): void {
    assert.equal(result.status, status, JSON.stringify(result.body));
    const body = result.body as { error: string; message: string };
    assert.equal(body.error, code);
    assert.match(body.message, /\S.*\.$/, 'the message is a sentence');
  }

  test('POST /api/carts creates an empty open cart with a Location', async () => {
    const { status, body, response } = await call({ method: 'POST', url: '/api/carts' });
    assert.equal(status, 201);
    assert.deepEqual(body, { id: body.id, status: 'open', lines: [], totalCents: 0 });
    assert.match(body.id, /^[0-9a-f-]{36}$/);
    assert.equal(response.headers.location, `/api/carts/${body.id}`);
  });

  test('GET /api/carts/:id: 200, 404 for an unknown cart, 400 for an id that is not a UUID', async () => {
    const id = await newCart();
    assert.equal((await call({ method: 'GET', url: `/api/carts/${id}` })).body.id, id);
    assertError(await call({ method: 'GET', url: `/api/carts/${MISSING_CART}` }), 404, 'cart_not_found');
    assertError(await call({ method: 'GET', url: "/api/carts/1' or '1'='1" }), 400, 'invalid_request');
  });

  test('POST items adds to the line and prices it in cents', async () => {
    const id = await newCart();
    await add(id, { sku: 'BERTH-MUG', quantity: 2 });
    const { status, body } = await add(id, { sku: 'BERTH-MUG', quantity: 1 });
    assert.equal(status, 200);
    assert.deepEqual(body.lines, [
      { sku: 'BERTH-MUG', name: 'Berth mug', quantity: 3, unitPriceCents: 1200, lineTotalCents: 3600 },
    ]);
    assert.equal(body.totalCents, 3600);
  });

  test('POST items rejects invalid bodies with 400', async () => {
    const id = await newCart();
    const invalid: unknown[] = [
      {},
      { sku: 'BERTH-MUG' },
      { sku: 'BERTH-MUG', quantity: 0 },
      { sku: 'BERTH-MUG', quantity: 100 },
      { sku: 'BERTH-MUG', quantity: 1.5 },
      { sku: 'BERTH-MUG', quantity: '1' },
      { sku: 'BERTH-MUG', quantity: 1, priceCents: 1 },
      { sku: 'lower-case', quantity: 1 },
      { sku: 'X'.repeat(41), quantity: 1 },
    ];
    for (const payload of invalid) {
      assertError(await add(id, payload), 400, 'invalid_request');
    }
    const notJson = await call({
      method: 'POST',
      url: `/api/carts/${id}/items`,
      headers: { 'content-type': 'application/json' },
      payload: '{"sku":',
    });
    assertError(notJson, 400, 'invalid_json');
    assert.deepEqual((await call({ method: 'GET', url: `/api/carts/${id}` })).body.lines, []);
  });

  test('POST items: 404 unknown cart, 422 unknown SKU, 409 past 99 per line', async () => {
    assertError(await add(MISSING_CART, { sku: 'BERTH-MUG', quantity: 1 }), 404, 'cart_not_found');
    const id = await newCart();
    assertError(await add(id, { sku: 'BERTH-NOPE', quantity: 1 }), 422, 'unknown_sku');
    await add(id, { sku: 'BERTH-TEE', quantity: 99 });
    assertError(await add(id, { sku: 'BERTH-TEE', quantity: 1 }), 409, 'quantity_limit');
  });

  test('a body over 16 KiB is refused with 413', async () => {
    const id = await newCart();
    const result = await add(id, { sku: 'BERTH-MUG', quantity: 1, padding: 'x'.repeat(17 * 1024) });
    assertError(result, 413, 'payload_too_large');
  });

  test('PUT items/:sku sets the quantity, 0 removes the line', async () => {
    const id = await newCart();
    const put = (sku: string, payload: unknown, cartId = id) =>
      call({ method: 'PUT', url: `/api/carts/${cartId}/items/${sku}`, payload: payload as object });
    let result = await put('BERTH-CAP', { quantity: 5 });
    assert.equal(result.status, 200);
    assert.equal(result.body.lines[0].quantity, 5);
    result = await put('BERTH-CAP', { quantity: 2 });
    assert.equal(result.body.lines[0].quantity, 2);
    result = await put('BERTH-CAP', { quantity: 0 });
    assert.deepEqual(result.body.lines, []);
    assertError(await put('BERTH-CAP', { quantity: -1 }), 400, 'invalid_request');
    assertError(await put('BERTH-CAP', { quantity: 100 }), 400, 'invalid_request');
    assertError(await put('BERTH-CAP', { quantity: 1, sku: 'BERTH-MUG' }), 400, 'invalid_request');
    assertError(await put('BERTH-CAP', { quantity: 1 }, MISSING_CART), 404, 'cart_not_found');
    assertError(await put('BERTH-NOPE', { quantity: 1 }), 422, 'unknown_sku');
  });

  test('DELETE items/:sku removes the line; 404 for an unknown cart', async () => {
    const id = await newCart();
    await add(id, { sku: 'BERTH-MUG', quantity: 1 });
    await add(id, { sku: 'BERTH-CAP', quantity: 1 });
    const { status, body } = await call({ method: 'DELETE', url: `/api/carts/${id}/items/BERTH-MUG` });
    assert.equal(status, 200);
    assert.deepEqual(
      body.lines.map((l: { sku: string }) => l.sku),
      ['BERTH-CAP'],
    );
    const missing = await call({ method: 'DELETE', url: `/api/carts/${MISSING_CART}/items/BERTH-MUG` });
    assertError(missing, 404, 'cart_not_found');
    assertError(
      await call({ method: 'DELETE', url: `/api/carts/${id}/items/bad sku` }),
      400,
      'invalid_request',
    );
  });

  test('DELETE /api/carts/:id answers 204, then the cart is gone', async () => {
    const id = await newCart();
    const deleted = await call({ method: 'DELETE', url: `/api/carts/${id}` });
    assert.equal(deleted.status, 204);
    assert.equal(deleted.response.body, '');
    assertError(await call({ method: 'GET', url: `/api/carts/${id}` }), 404, 'cart_not_found');
    assertError(await call({ method: 'DELETE', url: `/api/carts/${id}` }), 404, 'cart_not_found');
  });

  test('checkout: 409 when empty, 201 with the order, then 409 and the cart refuses changes', async () => {
    const id = await newCart();
    const checkout = () => call({ method: 'POST', url: `/api/carts/${id}/checkout` });
    assertError(await checkout(), 409, 'cart_empty');
    await add(id, { sku: 'BERTH-STICKERS', quantity: 3 });
    const order = await checkout();
    assert.equal(order.status, 201);
    assert.match(order.body.orderId, /^[0-9a-f-]{36}$/);
    assert.equal(order.body.totalCents, 1500);
    assert.equal(order.body.lines[0].lineTotalCents, 1500);
    assertError(await checkout(), 409, 'cart_checked_out');
    assertError(await add(id, { sku: 'BERTH-MUG', quantity: 1 }), 409, 'cart_checked_out');
    assertError(await call({ method: 'DELETE', url: `/api/carts/${id}` }), 409, 'cart_checked_out');
    assert.equal((await call({ method: 'GET', url: `/api/carts/${id}` })).body.status, 'checked_out');
    const missing = await call({ method: 'POST', url: `/api/carts/${MISSING_CART}/checkout` });
    assertError(missing, 404, 'cart_not_found');
  });

  test('200 parallel HTTP adds of 1 to one line: 99 succeed, 101 get 409, the line holds exactly 99', async () => {
    const id = await newCart();
    const results = await Promise.all(
      Array.from({ length: 200 }, () => add(id, { sku: 'BERTH-MUG', quantity: 1 })),
    );
    assert.equal(results.filter((r) => r.status === 200).length, 99);
    const refused = results.filter((r) => r.status === 409);
    assert.equal(refused.length, 101);
    assert.ok(refused.every((r) => r.body.error === 'quantity_limit'));
    const { body } = await call({ method: 'GET', url: `/api/carts/${id}` });
    assert.equal(body.lines[0].quantity, 99);
  });
});
