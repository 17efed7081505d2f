// Preloaded with --import: records every module the process loads (ESM and CommonJS, through the synchronous
// module hooks) and prints the list to stderr when it exits, one "loaded: <url>" line each.
import { writeSync } from 'node:fs';
import { registerHooks } from 'node:module';

const loaded = new Set();
registerHooks({
  load(url, context, nextLoad) {
    loaded.add(url);
    return nextLoad(url, context);
  },
});
process.on('exit', () => {
  writeSync(2, [...loaded].map((url) => `loaded: ${url}\n`).join(''));
});
