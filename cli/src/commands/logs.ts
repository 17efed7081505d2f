import { OUTPUTS } from '@berth/infra';
import type { Command } from 'commander';
import { checkCredentials } from '../aws/credentials.js';
import { fetchLogEvents, followLogEvents, formatLogLine } from '../aws/log-events.js';
import { readOutputs, requireOutput } from '../aws/stack-outputs.js';
import { parseDuration } from '../duration.js';
import { resolveTarget } from '../target.js';
import { type ContextProvider, withRegion } from './shared.js';

export function registerLogsCommand(program: Command, context: ContextProvider): void {
  withRegion(
    program
      .command('logs')
      .description("print the service's CloudWatch logs")
      .argument('<env>', 'environment name (test, prod)')
      .option('--since <duration>', 'how far back to start', '10m')
      .option('-f, --follow', 'keep printing new lines until Ctrl-C'),
  ).action(async (env: string, flags: { region?: string; since: string; follow?: boolean }) => {
    const sinceMs = parseDuration(flags.since, '--since');
    const ctx = await context(program.opts());
    const target = resolveTarget(ctx.config, env, flags.region);
    const aws = ctx.clients(target.region);
    await checkCredentials(aws.sts, target.config);
    const outputs = await readOutputs(aws.cfn, Object.values(target.stacks));
    const logGroupName = requireOutput(outputs, OUTPUTS.logGroupName, `the ${env} stacks`);
    const startTime = ctx.clock.now() - sinceMs;
    const print = (line: Parameters<typeof formatLogLine>[0]) => ctx.stdout.write(`${formatLogLine(line)}\n`);
    if (!flags.follow) {
      for (const line of (await fetchLogEvents(aws.logs, logGroupName, startTime)).lines) print(line);
      return;
    }
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort());
    await followLogEvents(aws.logs, { logGroupName, startTime, signal: abort.signal }, print, ctx.clock);
  });
}
