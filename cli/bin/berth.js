#!/usr/bin/env node
// Runs the TypeScript sources through tsx so `npx berth` works without a build step.
import { register } from 'tsx/esm/api';

// The SDK's multi-line notice about future Node 22 requirements would bury the CLI's one-line
// errors; the Node upgrade is tracked by the project, not by every command run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
