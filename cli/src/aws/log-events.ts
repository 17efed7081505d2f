import { type CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { Clock } from './wait-for-steady-state.js';

export interface LogLine {
  readonly timestamp: number;
  readonly stream: string;
  readonly message: string;
}

/** All events in the group from `startTime` on, oldest first, across every page. */
export async function fetchLogEvents(
  logs: CloudWatchLogsClient,
  logGroupName: string,
  startTime: number,
): Promise<{ lines: LogLine[]; ids: string[] }> {
  const lines: LogLine[] = [];
  const ids: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await logs.send(new FilterLogEventsCommand({ logGroupName, startTime, nextToken }));
    for (const e of page.events ?? []) {
      lines.push({
        timestamp: e.timestamp ?? 0,
        stream: e.logStreamName ?? '',
        message: (e.message ?? '').trimEnd(),
      });
      ids.push(e.eventId ?? `${e.timestamp}:${e.logStreamName}:${e.message}`);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return { lines, ids };
}

export interface FollowOptions {
  readonly logGroupName: string;
  readonly startTime: number;
  /** Poll interval; clamped to 1-10 s so following neither hammers the API nor lags badly. */
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
  /** Stop after this many polls (tests); unbounded otherwise until the signal aborts. */
  readonly maxPolls?: number;
}

/**
 * Prints events as they arrive. Each poll re-reads from the newest timestamp seen (events can land
 * late and share a millisecond), and event ids already printed are skipped.
 */
export async function followLogEvents(
  logs: CloudWatchLogsClient,
  options: FollowOptions,
  print: (line: LogLine) => void,
  clock: Clock,
): Promise<void> {
  const interval = Math.min(10_000, Math.max(1_000, options.intervalMs ?? 2_000));
  let since = options.startTime;
  let seen = new Set<string>();
  for (let poll = 0; options.maxPolls === undefined || poll < options.maxPolls; poll++) {
    if (options.signal?.aborted) return;
    const { lines, ids } = await fetchLogEvents(logs, options.logGroupName, since);
    lines.forEach((line, i) => {
      if (!seen.has(ids[i]!)) print(line);
    });
    const newest = lines.reduce((max, l) => Math.max(max, l.timestamp), since);
    // The next query starts at `newest`, so only events at that exact millisecond can come back.
    seen = new Set(ids.filter((_, i) => lines[i]!.timestamp === newest));
    since = newest;
    if (options.maxPolls !== undefined && poll + 1 >= options.maxPolls) return;
    await clock.sleep(interval);
  }
}

export function formatLogLine(line: LogLine): string {
  const task = line.stream.split('/').at(-1) ?? line.stream;
  return `${new Date(line.timestamp).toISOString()} ${task.slice(0, 8)} ${line.message}`;
}
