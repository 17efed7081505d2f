#!/usr/bin/env node
// Runs the TypeScript sources through tsx so `npx berth` works without a build step.
import { register } from 'tsx/esm/api';

// The SDK's multi-line notice about future Node 22 requirements would bury the CLI's one-line
// errors; the Node upgrade is tracked by the project, not by every command run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../src/main.ts');
// Exit as soon as the command is done: after a --timeout the abandoned toolkit deploy still holds
// timers and sockets that would keep Node alive until CloudFormation finishes.
process.exit(await main(process.argv));
