import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import fp from 'fastify-plugin';

/** service/public, reached the same way from src/plugins/ under tsx and from dist/plugins/ in the image. */
export const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));

/** Serves the storefront (GET / → index.html) and its assets; unknown files fall through to the 404 handler. */
export default fp<{ root?: string }>(
  async (app, options) => {
    const root = options.root ?? PUBLIC_DIR;
    if (!existsSync(root)) {
      app.log.warn({ root }, 'no public directory; the storefront is not served');
      return;
    }
    await app.register(fastifyStatic, { root, index: 'index.html', schemaHide: true });
  },
  { name: 'static' },
);
