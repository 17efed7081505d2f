#!/usr/bin/env node
// Runs the compiled CLI (cli/dist, built by `npm install` through the root `prepare` script, or by
// `npm run build`): no TypeScript is compiled while the CLI starts.
import { existsSync } from 'node:fs';

// The SDK's multi-line notice about future Node requirements would bury the CLI's one-line errors.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const compiled = new URL('../dist/main.js', import.meta.url);
if (!existsSync(compiled)) {
  process.stderr.write(
    'berth: the CLI is not built (cli/dist is missing): run `npm run build` at the repository root\n',
  );
  process.exit(1);
}
const { main } = await import(compiled.href);
// Exit as soon as the command is done: after a --timeout the abandoned toolkit deploy still holds
// timers and sockets that would keep Node alive until CloudFormation finishes.
process.exit(await main(process.argv));
