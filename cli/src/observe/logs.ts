/**
 * `berth logs`: the CloudWatch logs of one service, or of every service interleaved by time, each line tagged
 * with the service it came from. Each service logs to its own group (output `<Service>LogGroupName`).
 */
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { fetchLogEvents, followLogEvents, type LogLine } from '../aws/log-events.js';
import type { Clock } from '../aws/wait-for-steady-state.js';

/** A service's log group, under the service's name. */
export interface ServiceLogGroup {
  readonly service: string;
  readonly logGroupName: string;
}

export interface ServiceLogLine extends LogLine {
  readonly service: string;
}

/** Every group's events from `startTime` on, merged oldest first (events of one millisecond keep group order). */
export async function fetchServiceLogs(
  logs: CloudWatchLogsClient,
  groups: readonly ServiceLogGroup[],
  startTime: number,
): Promise<ServiceLogLine[]> {
  const fetched = await Promise.all(
    groups.map(async (g) =>
      (await fetchLogEvents(logs, g.logGroupName, startTime)).lines.map((line) => ({
        ...line,
        service: g.service,
      })),
    ),
  );
  return fetched.flat().sort((a, b) => a.timestamp - b.timestamp);
}

/** Follows every group at once until the signal aborts; lines print as each group's poll returns them. */
export async function followServiceLogs(
  logs: CloudWatchLogsClient,
  groups: readonly ServiceLogGroup[],
  options: { startTime: number; signal?: AbortSignal; intervalMs?: number; maxPolls?: number },
  print: (line: ServiceLogLine) => void,
  clock: Clock,
): Promise<void> {
  await Promise.all(
    groups.map((g) =>
      followLogEvents(
        logs,
        { ...options, logGroupName: g.logGroupName },
        (line) => print({ ...line, service: g.service }),
        clock,
      ),
    ),
  );
}

/**
 * `2026-11-21T10:00:00.000Z web 7f3c2a9e GET /readyz 200`: time, service, task, message. A line another
 * container of the service wrote (the release task, the trace collector) names it: `web/release`.
 */
export function formatServiceLogLine(line: ServiceLogLine): string {
  // awslogs streams are `<prefix>/<container>/<task id>` (AWS, "Using the awslogs log driver").
  const [, container, task] = line.stream.split('/');
  const source = container && container !== line.service ? `${line.service}/${container}` : line.service;
  const id = (task ?? line.stream.split('/').at(-1) ?? '').slice(0, 8);
  return `${new Date(line.timestamp).toISOString()} ${source} ${id} ${line.message}`;
}
