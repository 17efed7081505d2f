import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { Product } from '../../schemas/product.js';

const productRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/products',
    { schema: { tags: ['products'], summary: 'List the catalogue', response: { 200: Type.Array(Product) } } },
    () => app.products.list(),
  );
};

export default productRoutes;
