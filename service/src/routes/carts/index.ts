import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { cartNotFound } from '../../repositories/errors.js';
import { AddItemBody, Cart, CartItemParams, CartParams, Order, SetQuantityBody } from '../../schemas/cart.js';
import { ErrorBody } from '../../schemas/common.js';

const tags = ['carts'];
const errors = { 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody, 503: ErrorBody };

/**
 * Cart lifecycle. Adding past the per-line bound answers 409 quantity_limit (the body is valid; the cart's
 * state refuses it), as do changes to a checked-out cart (cart_checked_out).
 */
const cartRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/carts',
    {
      schema: {
        tags,
        operationId: 'createCart',
        summary: 'Create an empty cart',
        response: { 201: Cart, '4xx': ErrorBody, 503: ErrorBody },
      },
    },
    async (_request, reply) => {
      const cart = await app.carts.create();
      return reply.code(201).header('location', `/api/carts/${cart.id}`).send(cart);
    },
  );

  app.get(
    '/api/carts/:cartId',
    {
      schema: {
        tags,
        operationId: 'getCart',
        summary: 'Read a cart',
        params: CartParams,
        response: { 200: Cart, ...errors },
      },
    },
    async (request) => {
      const cart = await app.carts.find(request.params.cartId);
      if (cart === undefined) throw cartNotFound(request.params.cartId);
      return cart;
    },
  );

  app.delete(
    '/api/carts/:cartId',
    {
      schema: {
        tags,
        operationId: 'deleteCart',
        summary: 'Delete an open cart',
        params: CartParams,
        response: { 204: Type.Null({ description: 'Deleted.' }), ...errors },
      },
    },
    async (request, reply) => {
      await app.carts.delete(request.params.cartId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/carts/:cartId/items',
    {
      schema: {
        tags,
        operationId: 'addCartItem',
        summary: 'Add a quantity of a product to the cart',
        params: CartParams,
        body: AddItemBody,
        response: { 200: Cart, ...errors },
      },
    },
    (request) => app.carts.addItem(request.params.cartId, request.body.sku, request.body.quantity),
  );

  app.put(
    '/api/carts/:cartId/items/:sku',
    {
      schema: {
        tags,
        operationId: 'setCartItemQuantity',
        summary: 'Set the quantity of a line (0 removes it)',
        params: CartItemParams,
        body: SetQuantityBody,
        response: { 200: Cart, ...errors },
      },
    },
    (request) => app.carts.setQuantity(request.params.cartId, request.params.sku, request.body.quantity),
  );

  app.delete(
    '/api/carts/:cartId/items/:sku',
    {
      schema: {
        tags,
        operationId: 'removeCartItem',
        summary: 'Remove a line (no-op when absent)',
        params: CartItemParams,
        response: { 200: Cart, ...errors },
      },
    },
    (request) => app.carts.removeItem(request.params.cartId, request.params.sku),
  );

  app.post(
    '/api/carts/:cartId/checkout',
    {
      schema: {
        tags,
        operationId: 'checkoutCart',
        summary: 'Check the cart out into an order',
        params: CartParams,
        response: { 201: Order, ...errors },
      },
    },
    async (request, reply) => reply.code(201).send(await app.carts.checkout(request.params.cartId)),
  );
};

export default cartRoutes;
