/**
 * Errors the API reports to clients on purpose. The error handler turns them into
 * `{ error: code, message }` with their status; anything else is a 500 with a generic message.
 */
export class ServiceError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

export const cartNotFound = (cartId: string) =>
  new ServiceError(404, 'cart_not_found', `Cart ${cartId} does not exist.`);

export const unknownSku = (sku: string) =>
  new ServiceError(422, 'unknown_sku', `No product has SKU ${sku}; GET /api/products lists them.`);

export const cartCheckedOut = (cartId: string) =>
  new ServiceError(409, 'cart_checked_out', `Cart ${cartId} is checked out and can no longer change.`);

export const cartEmpty = (cartId: string) =>
  new ServiceError(409, 'cart_empty', `Cart ${cartId} is empty; add an item before checking out.`);

export const quantityLimit = (sku: string, max: number) =>
  new ServiceError(409, 'quantity_limit', `A cart holds at most ${max} of ${sku}; this would exceed it.`);

export const cartFull = (max: number) =>
  new ServiceError(409, 'cart_full', `A cart holds at most ${max} different products; remove one first.`);
