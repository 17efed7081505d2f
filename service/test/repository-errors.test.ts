// The refusals as a log line or a stack trace shows them: `ServiceError: <message>`, so an operator can tell a
// refusal the API meant from a crash. Status and code are what clients branch on.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cartNotFound, quantityLimit } from '../src/repositories/errors.js';

describe('repository refusals', () => {
  test('print as "ServiceError: <message>"', () => {
    assert.equal(String(cartNotFound('c-17')), 'ServiceError: Cart c-17 does not exist.');
    assert.equal(
      String(quantityLimit('BERTH-CAP', 99)),
      'ServiceError: A cart holds at most 99 of BERTH-CAP; this would exceed it.',
    );
  });

  test('carry the status and code of the API contract', () => {
    assert.deepEqual([cartNotFound('c-17').statusCode, cartNotFound('c-17').code], [404, 'cart_not_found']);
    assert.deepEqual(
      [quantityLimit('BERTH-CAP', 99).statusCode, quantityLimit('BERTH-CAP', 99).code],
      [409, 'quantity_limit'],
    );
  });
});
