/**
 * `berth logs` (cli/src/aws/log-events.ts): FilterLogEvents paging, the follow loop's interval, stop conditions
 * and de-duplication, and the printed line. FilterLogEvents pages with nextToken and returns events from
 * startTime on, inclusive (CloudWatch Logs API Reference, "FilterLogEvents").
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { fetchLogEvents, followLogEvents, formatLogLine, type LogLine } from '../src/aws/log-events.js';
import { FakeClock, LOG_GROUP, mockAws } from './fixtures/aws.js';

const STREAM = 'web/web/7f3c2a9e4b1d4c8e9a0b1c2d3e4f5a6b';

describe('fetchLogEvents', () => {
  it('follows nextToken across pages for this group and start time, trimming trailing whitespace', async () => {
    const { clients, stubs } = mockAws();
    stubs.logs
      .on(FilterLogEventsCommand, { logGroupName: LOG_GROUP, startTime: 1_700, nextToken: undefined }, true)
      .resolves({
        events: [{ eventId: 'e1', timestamp: 1_700, logStreamName: STREAM, message: 'first\n' }],
        nextToken: 'page-2',
      });
    stubs.logs
      .on(FilterLogEventsCommand, { logGroupName: LOG_GROUP, startTime: 1_700, nextToken: 'page-2' }, true)
      .resolves({
        events: [{ eventId: 'e2', timestamp: 1_900, logStreamName: STREAM, message: 'second  ' }],
      });

    assert.deepEqual(await fetchLogEvents(clients.logs, LOG_GROUP, 1_700), {
      lines: [
        { timestamp: 1_700, stream: STREAM, message: 'first' },
        { timestamp: 1_900, stream: STREAM, message: 'second' },
      ],
      ids: ['e1', 'e2'],
    });
  });

  it('fills in missing fields, and gives an event without id one made of its time, stream and message', async () => {
    const { clients, stubs } = mockAws();
    stubs.logs
      .on(FilterLogEventsCommand, { logGroupName: LOG_GROUP, startTime: 0 })
      .resolves({ events: [{ timestamp: 42, logStreamName: STREAM, message: 'no id' }, {}] });

    assert.deepEqual(await fetchLogEvents(clients.logs, LOG_GROUP, 0), {
      lines: [
        { timestamp: 42, stream: STREAM, message: 'no id' },
        { timestamp: 0, stream: '', message: '' },
      ],
      ids: [`42:${STREAM}:no id`, 'undefined:undefined:undefined'],
    });
  });

  it('an empty answer is no lines', async () => {
    const { clients, stubs } = mockAws();
    stubs.logs.on(FilterLogEventsCommand, { logGroupName: LOG_GROUP }).resolves({});

    assert.deepEqual(await fetchLogEvents(clients.logs, LOG_GROUP, 5), { lines: [], ids: [] });
  });
});

describe('followLogEvents', () => {
  const event = (eventId: string, timestamp: number) => ({
    eventId,
    timestamp,
    logStreamName: STREAM,
    message: eventId,
  });

  async function follow(intervalMs: number | undefined, maxPolls: number) {
    const { clients, stubs } = mockAws();
    stubs.logs.on(FilterLogEventsCommand, { logGroupName: LOG_GROUP }).resolves({ events: [] });
    const clock = new FakeClock();
    await followLogEvents(
      clients.logs,
      {
        logGroupName: LOG_GROUP,
        startTime: 0,
        maxPolls,
        ...(intervalMs === undefined ? {} : { intervalMs }),
      },
      () => undefined,
      clock,
    );
    return { sleeps: clock.sleeps, polls: stubs.logs.commandCalls(FilterLogEventsCommand).length };
  }

  it('polls every 2 s by default, clamped to 1-10 s, and sleeps only between polls', async () => {
    assert.deepEqual(await follow(undefined, 3), { sleeps: [2_000, 2_000], polls: 3 });
    assert.deepEqual(await follow(3_000, 2), { sleeps: [3_000], polls: 2 });
    assert.deepEqual(await follow(60_000, 2), { sleeps: [10_000], polls: 2 });
    assert.deepEqual(await follow(10, 2), { sleeps: [1_000], polls: 2 });
    assert.deepEqual(await follow(undefined, 1), { sleeps: [], polls: 1 });
  });

  it('makes no call at all for maxPolls 0', async () => {
    assert.deepEqual(await follow(undefined, 0), { sleeps: [], polls: 0 });
  });

  it('without maxPolls, runs until the signal aborts, and not at all when it already has', async () => {
    const { clients, stubs } = mockAws();
    stubs.logs
      .on(FilterLogEventsCommand, { logGroupName: LOG_GROUP })
      .resolvesOnce({ events: [event('a', 100)] })
      .resolvesOnce({ events: [event('b', 200)] })
      .resolves({ events: [event('c', 300)] });
    const stop = new AbortController();
    const printed: string[] = [];
    await followLogEvents(
      clients.logs,
      { logGroupName: LOG_GROUP, startTime: 0, signal: stop.signal },
      (line) => {
        printed.push(line.message);
        if (line.message === 'b') stop.abort();
      },
      new FakeClock(),
    );
    assert.deepEqual(printed, ['a', 'b']);
    assert.equal(stubs.logs.commandCalls(FilterLogEventsCommand).length, 2);

    await followLogEvents(
      clients.logs,
      { logGroupName: LOG_GROUP, startTime: 0, signal: stop.signal },
      () => assert.fail('nothing is printed after the abort'),
      new FakeClock(),
    );
    assert.equal(stubs.logs.commandCalls(FilterLogEventsCommand).length, 2);
  });

  it('re-reads from the newest timestamp, skipping only the ids already printed at that millisecond', async () => {
    const { clients, stubs } = mockAws();
    // The log group as CloudWatch holds it: events arrive late (by poll), and every poll returns all arrived
    // events with timestamp >= startTime, inclusive.
    const arrivals: [poll: number, eventId: string, timestamp: number][] = [
      [0, 'x1', 5_000],
      [0, 'x2', 7_000],
      [0, 'x3', 6_000],
      [1, 'x4', 7_000],
      [3, 'x5', 7_001],
      [3, 'x6', 7_001],
    ];
    let poll = 0;
    stubs.logs
      .on(FilterLogEventsCommand, { logGroupName: LOG_GROUP })
      .callsFake((input: { startTime: number }) => {
        const events = arrivals
          .filter(([arrived, , timestamp]) => arrived <= poll && timestamp >= input.startTime)
          .map(([, id, timestamp]) => event(id, timestamp));
        poll++;
        return { events };
      });
    const printed: LogLine[] = [];

    await followLogEvents(
      clients.logs,
      { logGroupName: LOG_GROUP, startTime: 4_000, maxPolls: 5 },
      (line) => printed.push(line),
      new FakeClock(),
    );

    assert.deepEqual(
      printed.map((l) => l.message),
      ['x1', 'x2', 'x3', 'x4', 'x5', 'x6'],
    );
    assert.deepEqual(
      stubs.logs.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input.startTime),
      [4_000, 7_000, 7_000, 7_000, 7_001],
    );
  });
});

describe('formatLogLine', () => {
  it('prints the UTC time, the first 8 characters of the task id and the message', () => {
    assert.equal(
      formatLogLine({
        timestamp: Date.UTC(2026, 10, 30, 21, 5, 7, 250),
        stream: STREAM,
        message: 'GET /readyz 200',
      }),
      '2026-11-30T21:05:07.250Z 7f3c2a9e GET /readyz 200',
    );
    assert.equal(
      formatLogLine({ timestamp: 0, stream: 'abc', message: 'm' }),
      '1970-01-01T00:00:00.000Z abc m',
    );
  });
});
