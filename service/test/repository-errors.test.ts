// Every refusal of the repositories as clients get it (status, code, and the message the 4xx body carries) and as
// a log line or stack trace shows it (`ServiceError: <message>`, so a refusal the API meant reads differently from
// a crash). Arguments are distinct literals, so a message that drops or swaps one shows.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  cartCheckedOut,
  cartEmpty,
  cartFull,
  cartNotFound,
  quantityLimit,
  type ServiceError,
  unknownSku,
} from '../src/repositories/errors.js';

const CART = 'c-17';

const REFUSALS: [ServiceError, number, string, string][] = [
  [cartNotFound(CART), 404, 'cart_not_found', 'Cart c-17 does not exist.'],
  [
    unknownSku('BERTH-NOPE'),
    422,
    'unknown_sku',
    'No product has SKU BERTH-NOPE; GET /api/products lists them.',
  ],
  [cartCheckedOut(CART), 409, 'cart_checked_out', 'Cart c-17 is checked out and can no longer change.'],
  [cartEmpty(CART), 409, 'cart_empty', 'Cart c-17 is empty; add an item before checking out.'],
  [
    quantityLimit('BERTH-CAP', 99),
    409,
    'quantity_limit',
    'A cart holds at most 99 of BERTH-CAP; this would exceed it.',
  ],
  [cartFull(20), 409, 'cart_full', 'A cart holds at most 20 different products; remove one first.'],
];

describe('repository refusals', () => {
  for (const [error, status, code, message] of REFUSALS) {
    test(`${code}: ${status}, its message, printed as "ServiceError: <message>"`, () => {
      assert.deepEqual([error.statusCode, error.code, error.message], [status, code, message]);
      assert.equal(String(error), `ServiceError: ${message}`);
    });
  }
});
