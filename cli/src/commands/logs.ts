import { serviceOutputs } from '@berth/infra';
import type { Command } from 'commander';
import { checkCredentials } from '../aws/credentials.js';
import { readOutputs, requireOutput } from '../aws/stack-outputs.js';
import { parseDuration } from '../duration.js';
import {
  fetchServiceLogs,
  followServiceLogs,
  formatServiceLogLine,
  type ServiceLogLine,
} from '../observe/logs.js';
import { serviceNamed } from '../observe/select-service.js';
import { resolveTarget } from '../target.js';
import { type ContextProvider, withRegion } from './shared.js';

export function registerLogsCommand(program: Command, context: ContextProvider): void {
  withRegion(
    program
      .command('logs')
      .description("print the services' CloudWatch logs, each line tagged with its service")
      .argument('<env>', 'environment name (test, prod)')
      .option('--service <name>', "only this service's logs (default: every service, interleaved)")
      .option('--since <duration>', 'how far back to start', '10m')
      .option('-f, --follow', 'keep printing new lines until Ctrl-C'),
  ).action(
    async (env: string, flags: { region?: string; service?: string; since: string; follow?: boolean }) => {
      const sinceMs = parseDuration(flags.since, '--since');
      const ctx = await context(program.opts());
      const target = resolveTarget(ctx.config, env, flags.region);
      // Before any AWS call: a wrong name is the user's to fix, whatever the credentials.
      const services = flags.service ? [serviceNamed(target.config, flags.service)] : target.config.services;
      const aws = ctx.clients(target.region);
      await checkCredentials(aws.sts, target.config);
      const outputs = await readOutputs(aws.cfn, Object.values(target.stacks));
      const groups = services.map((s) => ({
        service: s.name,
        logGroupName: requireOutput(outputs, serviceOutputs(s.name).logGroupName, `the ${env} stacks`),
      }));
      const startTime = ctx.clock.now() - sinceMs;
      const print = (line: ServiceLogLine) => ctx.stdout.write(`${formatServiceLogLine(line)}\n`);
      if (!flags.follow) {
        for (const line of await fetchServiceLogs(aws.logs, groups, startTime)) print(line);
        return;
      }
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      await followServiceLogs(aws.logs, groups, { startTime, signal: abort.signal }, print, ctx.clock);
    },
  );
}
