import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ErrorBody } from '../../schemas/common.js';
import { Product } from '../../schemas/product.js';

const productRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/products',
    {
      schema: {
        tags: ['products'],
        operationId: 'listProducts',
        summary: 'List the catalogue',
        response: { 200: Type.Array(Product), '4xx': ErrorBody, 503: ErrorBody },
      },
    },
    () => app.products.list(),
  );
};

export default productRoutes;
