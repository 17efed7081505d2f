import { type Logger, pino } from 'pino';

/**
 * The logger of a short-lived process (the worker, the release command). pino writes asynchronously by
 * default and flushes what is buffered synchronously at exit, while an earlier write may still be in flight:
 * the last lines (why it stopped) came out of order or not at all. These processes log a few lines, so
 * writing each one before going on costs nothing and keeps them all, in order.
 */
export function processLogger(name: string, mixin?: () => object): Logger {
  return pino({ name, mixin }, pino.destination({ dest: 1, sync: true }));
}
