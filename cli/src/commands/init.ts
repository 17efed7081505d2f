import type { Command } from 'commander';
import { type InitFlags, runInit } from '../init/run-init.js';

export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description(
      'set up Berth in this repository: read the Dockerfile, write berth.config.ts and the GitHub workflows',
    )
    .option('--app <name>', 'app name (default: the repository or folder name, lower-cased)')
    .option('--repository <owner/name>', 'GitHub repository (default: from git remote origin)')
    .option('--account <id>', 'AWS account id of the test environment')
    .option('--prod-account <id>', 'AWS account id of the prod environment (default: the test account)')
    .option('--region <region>', 'AWS region (default: AWS_REGION, else eu-west-1)')
    .option('--port <port>', "the port the server listens on (default: the Dockerfile's EXPOSE)")
    .option(
      '--health-path <path>',
      "the path the load balancer probes (default: the Dockerfile's HEALTHCHECK, a /healthz-like route in the code, else /)",
    )
    .option('--alarm-email <address>', "who is told when prod's alarms fire (default: a marked waiver)")
    .option('--dockerfile <path>', 'the Dockerfile of the web service (default: the one at the root)')
    .option(
      '--image <reference>',
      'run this prebuilt image as the web service instead of building a Dockerfile (e.g. nginx:1.27@sha256:…); the workflows then build nothing',
    )
    .option('--yes', 'ask nothing (CI): defaults, and marked placeholders for accounts not given')
    .option('--force', 'overwrite berth.config.ts and the workflows if they exist')
    .addHelpText(
      'after',
      '\nExamples:\n  npx berth init\n  npx berth init --yes --account 111111111111 --region eu-west-1\n',
    )
    .action(async (flags: InitFlags) => {
      await runInit(flags, {
        cwd: process.cwd(),
        input: process.stdin,
        output: process.stdout,
        stdout: process.stdout,
        interactive: process.stdin.isTTY === true,
        env: process.env,
      });
    });
}
