import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { startTracing } from '../src/tracing.js';

// Tracing starts before Fastify and pg are loaded (as in server.ts), so both are imported dynamically below.
const exporter = new InMemorySpanExporter();
const tracing = startTracing(
  { mode: 'console', sampleRatio: 1, otlpEndpoint: 'http://collector.invalid:4318' },
  { exporter },
);
after(() => tracing.shutdown());
const { readyUrl, spawnServer } = await import('./helpers/spawn-server.js');

/** The SpanKind values of the OpenTelemetry API (SERVER = 1, CLIENT = 2). */
const SERVER = 1;
const CLIENT = 2;

/** The app's log lines, parsed. */
const logLines: Record<string, unknown>[] = [];
const { freshPostgresDatabase } = await import('./helpers/postgres.js');
const { buildApp } = await import('../src/app.js');
const app = await buildApp(
  { logLevel: 'info', keepAliveTimeoutSeconds: 65, database: await freshPostgresDatabase({ after }) },
  {
    logMixin: tracing.logMixin,
    logStream: { write: (line) => logLines.push(JSON.parse(line)) },
  },
);
after(() => app.close());
await app.database.migrated;
tracing.traceServer(app.server);
// inject() never opens a socket, so the HTTP instrumentation would see nothing: listen for real.
const base = await app.listen({ host: '127.0.0.1', port: 0 });

// A second app that calls another server, as a service behind the cart would: the cart itself calls nothing over
// HTTP. Its route reads a JSON body first, so its outgoing call runs where Fastify's body parsing resumes it.
const http = (await import('node:http')).default; // after startTracing: the instrumented module object
const downstreamHeaders: { traceparent?: string; tracestate?: string }[] = [];
const downstream = http.createServer((request, response) => {
  const { traceparent, tracestate } = request.headers as Record<string, string | undefined>;
  downstreamHeaders.push({ traceparent, tracestate });
  response.end('ok');
});
downstream.listen(0, '127.0.0.1');
after(() => downstream.close());
await new Promise((resolve) => downstream.once('listening', resolve));
const downstreamUrl = `http://127.0.0.1:${(downstream.address() as { port: number }).port}/`;
const Fastify = (await import('fastify')).default;
const relay = Fastify();
relay.post('/relay', async function relayRoute() {
  await new Promise((resolve, reject) =>
    http.get(downstreamUrl, (res) => res.resume().on('end', resolve)).on('error', reject),
  );
  return { called: true };
});
after(() => relay.close());
await relay.ready();
tracing.traceServer(relay.server);
const relayBase = await relay.listen({ host: '127.0.0.1', port: 0 });

/**
 * POSTs to the relay with these trace headers; answers the ones the downstream server received. The body
 * follows the headers 50 ms later, so the relay reads it from a later socket event, outside the code that
 * received the request, as a large body or a slow client's does. (fetch: undici is not instrumented, so the
 * test's own call adds no traceparent.)
 */
async function relayed(headers: {
  traceparent: string;
  tracestate?: string;
}): Promise<{ traceparent?: string; tracestate?: string }> {
  downstreamHeaders.length = 0;
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      controller.enqueue(new TextEncoder().encode(JSON.stringify({ note: 'a body to parse' })));
      controller.close();
    },
  });
  const response = await fetch(`${relayBase}/relay`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body,
    duplex: 'half',
  } as RequestInit);
  assert.equal(response.status, 200);
  assert.equal(downstreamHeaders.length, 1);
  return downstreamHeaders[0] ?? {};
}

function spansOf(traceId: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
}

async function waitForSpans(predicate: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!predicate() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('tracing on (in-memory exporter)', () => {
  test('a cart request produces HTTP, route and SQL spans under one trace id', async () => {
    exporter.reset();
    const response = await fetch(`${base}/api/carts`, { method: 'POST' });
    assert.equal(response.status, 201);
    await waitForSpans(() => exporter.getFinishedSpans().some((span) => span.kind === SERVER));

    const server = exporter.getFinishedSpans().find((span) => span.kind === SERVER);
    assert.ok(server, 'an HTTP server span');
    assert.equal(server.attributes['http.request.method'] ?? server.attributes['http.method'], 'POST');
    const traceId = server.spanContext().traceId;
    assert.match(traceId, /^[0-9a-f]{32}$/);

    const spans = spansOf(traceId);
    // @fastify/otel names the handler span after the plugin and tags it with the route template.
    const route = spans.find(
      (span) => span.name.startsWith('handler - ') && span.attributes['http.route'] === '/api/carts',
    );
    assert.ok(route, `a Fastify route span, got: ${spans.map((span) => span.name).join(', ')}`);
    const sql = spans.filter((span) => span.kind === CLIENT && span.name.startsWith('pg.query'));
    assert.ok(sql.length > 0, `a PostgreSQL span, got: ${spans.map((span) => span.name).join(', ')}`);
    assert.match(
      JSON.stringify(sql[0]?.attributes),
      /insert into carts/i,
      JSON.stringify(sql[0]?.attributes),
    );
    // Every span of the request belongs to the one trace: none started a trace of its own.
    assert.equal(
      exporter.getFinishedSpans().filter((span) => span.parentSpanContext === undefined).length,
      1,
    );

    const completed = logLines.find((line) => line.msg === 'request completed' && line.trace_id === traceId);
    assert.ok(completed, `a log line with trace_id ${traceId}, got: ${JSON.stringify(logLines)}`);
    assert.match(String(completed.span_id), /^[0-9a-f]{16}$/);
  });

  test('a cart read records one span per layer: HTTP server, Fastify request and handler, SQL; no hook spans', async () => {
    const created = await fetch(`${base}/api/carts`, { method: 'POST' });
    const { id } = (await created.json()) as { id: string };
    exporter.reset();
    assert.equal((await fetch(`${base}/api/carts/${id}`)).status, 200);
    await waitForSpans(() => exporter.getFinishedSpans().some((span) => span.kind === SERVER));
    // The SQL span ends with the test's own database name.
    const names = exporter
      .getFinishedSpans()
      .map((span) => span.name.replace(/ berth_test_\w+$/, ''))
      .sort();
    // Lifecycle hooks (request id, metrics, the start-up check) would each add a 'hook - …' span.
    assert.deepEqual(
      names,
      ['GET /api/carts/:cartId', 'handler - cartRoutes', 'pg.query:read-cart', 'request'],
      names.join(', '),
    );
  });

  test('an incoming W3C traceparent is continued: same trace id, parent is the caller span', async () => {
    exporter.reset();
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const response = await fetch(`${base}/api/products`, {
      headers: { traceparent: `00-${callerTrace}-${callerSpan}-01` },
    });
    assert.equal(response.status, 200);
    await waitForSpans(() => spansOf(callerTrace).some((span) => span.kind === SERVER));
    const server = spansOf(callerTrace).find((span) => span.kind === SERVER);
    assert.ok(server, 'the server span joins the caller trace');
    assert.equal(server.parentSpanContext?.spanId, callerSpan);
    assert.equal(
      exporter.getFinishedSpans().filter((span) => span.spanContext().traceId !== callerTrace).length,
      0,
      'no span outside the caller trace',
    );
  });

  test('a caller that did not sample (traceparent flag 00): no span at all, the log lines carry its trace id', async () => {
    exporter.reset();
    const callerTrace = '5c1e0d9a2b3f4e6a8b7c6d5e4f3a2b1c';
    const callerSpan = '1a2b3c4d5e6f7a8b';
    const created = await fetch(`${base}/api/carts`, {
      method: 'POST',
      headers: { traceparent: `00-${callerTrace}-${callerSpan}-00` },
    });
    assert.equal(created.status, 201);
    // A sampled request after it: its spans arriving show the exporter has had time to see the first's.
    assert.equal((await fetch(`${base}/api/products`)).status, 200);
    await waitForSpans(() => exporter.getFinishedSpans().some((span) => span.kind === SERVER));
    assert.deepEqual(
      exporter
        .getFinishedSpans()
        .filter((span) => span.spanContext().traceId === callerTrace)
        .map((span) => span.name),
      [],
    );
    assert.ok(
      exporter.getFinishedSpans().every((span) => !span.name.includes('insert')),
      'no SQL span of the unsampled request under another trace',
    );
    const lines = logLines.filter((line) => line.trace_id === callerTrace);
    assert.deepEqual(
      lines.map((line) => line.msg),
      ['incoming request', 'request completed'],
    );
    // The span id of this service's part of the trace: its own, not the caller's, on both lines.
    assert.match(String(lines[0]?.span_id), /^[0-9a-f]{16}$/);
    assert.notEqual(lines[0]?.span_id, callerSpan);
    assert.equal(lines[1]?.span_id, lines[0]?.span_id);
  });

  test('a caller that did not sample: what the request calls gets its trace with flag 00, and nothing is recorded', async () => {
    exporter.reset();
    const callerTrace = '6d2f1e0b3c4a5f7b9c8d7e6f5a4b3c2d';
    const callerSpan = '2b3c4d5e6f7a8b9c';
    const sent = await relayed({
      traceparent: `00-${callerTrace}-${callerSpan}-00`,
      tracestate: 'berthtest=unsampled-7',
    });
    const [version, traceId, parentId, flags] = (sent.traceparent ?? '').split('-');
    assert.deepEqual([version, traceId, flags], ['00', callerTrace, '00'], `sent: ${JSON.stringify(sent)}`);
    assert.match(String(parentId), /^[0-9a-f]{16}$/);
    assert.notEqual(parentId, callerSpan, 'the call comes from this service, not from its caller');
    assert.equal(sent.tracestate, 'berthtest=unsampled-7', "the caller's tracestate travels with the trace");
    // A sampled request after it: its spans arriving show the exporter has had time to see the first's.
    assert.equal((await fetch(`${base}/api/products`)).status, 200);
    await waitForSpans(() => exporter.getFinishedSpans().some((span) => span.kind === SERVER));
    const products = exporter.getFinishedSpans().find((span) => span.kind === SERVER);
    assert.deepEqual(
      exporter
        .getFinishedSpans()
        .filter((span) => span.spanContext().traceId !== products?.spanContext().traceId)
        .map((span) => span.name),
      [],
      'only the sampled request has spans: none of the unsampled one or its call, under any trace',
    );
  });

  test('a sampled caller: the outgoing call carries the trace, flag 01, and the recorded client span as parent', async () => {
    exporter.reset();
    const callerTrace = '7e3a2f1c4d5b6a8c0d9e8f7a6b5c4d3e';
    const sent = await relayed({ traceparent: `00-${callerTrace}-3c4d5e6f7a8b9c0d-01` });
    const client = () =>
      spansOf(callerTrace).find(
        (span) => span.kind === CLIENT && span.attributes['http.request.method'] === 'GET',
      );
    await waitForSpans(() => client() !== undefined);
    assert.ok(
      client(),
      `a client span, got: ${spansOf(callerTrace)
        .map((span) => span.name)
        .join(', ')}`,
    );
    assert.equal(sent.traceparent, `00-${callerTrace}-${client()?.spanContext().spanId}-01`);
  });

  test('probes are never recorded, even when the caller sampled them; their log lines carry ids', async () => {
    exporter.reset();
    const callerTrace = '8f4b3a2d5e6c7b9d1e0f9a8b7c6d5e4f';
    const response = await fetch(`${base}/healthz`, {
      headers: { traceparent: `00-${callerTrace}-4d5e6f7a8b9c0d1e-01` },
    });
    assert.equal(response.status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(
      exporter.getFinishedSpans().map((span) => span.name),
      [],
    );
    const completed = (path: string) =>
      logLines.find(
        (line) =>
          line.msg === 'request completed' &&
          logLines.some(
            (incoming) => incoming.reqId === line.reqId && (incoming.req as { url?: string })?.url === path,
          ),
      );
    assert.equal(completed('/healthz')?.trace_id, callerTrace);
    assert.match(String(completed('/readyz')?.trace_id), /^[0-9a-f]{32}$/);
  });
});

describe('background work (traceTask, as the worker runs its passes)', () => {
  test('a task is a trace of its own: a root span named after it, its SQL statements its children', async () => {
    exporter.reset();
    let idsInside: Record<string, string> = {};
    const answer = await tracing.traceTask('expiry pass', async () => {
      idsInside = tracing.logMixin() as Record<string, string>;
      await app.database.pool.query('select 1 as one');
      return 'done';
    });
    assert.equal(answer, 'done');
    const task = exporter.getFinishedSpans().find((span) => span.name === 'expiry pass');
    assert.ok(task, `a span named expiry pass, got: ${exporter.getFinishedSpans().map((span) => span.name)}`);
    assert.equal(task.parentSpanContext, undefined, 'a root span');
    const { traceId, spanId } = task.spanContext();
    const sql = spansOf(traceId).filter((span) => span.kind === CLIENT && span.name.startsWith('pg.query'));
    assert.equal(
      sql.length,
      1,
      `one SQL span in its trace, got: ${spansOf(traceId).map((span) => span.name)}`,
    );
    assert.equal(sql[0]?.parentSpanContext?.spanId, spanId);
    assert.deepEqual(idsInside, { trace_id: traceId, span_id: spanId }, 'its log lines carry its ids');
  });

  test('a task that throws: its span ends as an error with the exception, and the error reaches the caller', async () => {
    exporter.reset();
    await assert.rejects(
      tracing.traceTask('failing pass', async () => {
        throw new Error('the database went away');
      }),
      /the database went away/,
    );
    const task = exporter.getFinishedSpans().find((span) => span.name === 'failing pass');
    assert.ok(task, 'the span ended');
    // SpanStatusCode.ERROR = 2 (OpenTelemetry API).
    assert.deepEqual(task.status, { code: 2, message: 'the database went away' });
    assert.equal(task.events[0]?.name, 'exception');
    assert.equal(task.events[0]?.attributes?.['exception.message'], 'the database went away');
  });
});

describe('the real server', () => {
  test('TRACING=console: the request log line carries the trace id of the incoming traceparent', async (t) => {
    const server = spawnServer({
      PORT: '0',
      HOST: '127.0.0.1',
      TRACING: 'console',
      SHUTDOWN_DRAIN_SECONDS: '0',
      DATA_DIR: await dataDir(t),
    });
    t.after(async () => {
      server.child.kill('SIGTERM'); // the server then stops its embedded PostgreSQL before the directory goes
      await server.exited;
    });
    const url = await readyUrl(server, 60_000);
    const callerTrace = '0af7651916cd43dd8448eb211c80319c';
    const response = await fetch(`${url}/api/products`, {
      headers: { traceparent: `00-${callerTrace}-b7ad6b7169203331-01` },
    });
    assert.equal(response.status, 200);
    const jsonLines = () =>
      server
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{"'))
        .flatMap((line) => {
          // A log line the console exporter's output interleaved with is skipped, not a failure.
          try {
            return [JSON.parse(line)];
          } catch {
            return [];
          }
        });
    const completedProducts = () => {
      const incoming = jsonLines().find((line) => line.req?.url === '/api/products');
      return jsonLines().find((line) => line.reqId === incoming?.reqId && line.msg === 'request completed');
    };
    await waitFor(
      () => completedProducts() !== undefined && server.output().includes(`traceId: '${callerTrace}'`),
    );
    const incoming = jsonLines().find((line) => line.req?.url === '/api/products');
    assert.equal(incoming?.trace_id, callerTrace, server.output());
    assert.equal(completedProducts()?.trace_id, callerTrace, server.output());
    assert.ok(server.output().includes(`traceId: '${callerTrace}'`), 'the console exporter printed the span');
  });

  test('TRACING_SAMPLE_RATIO=0: a new trace is not recorded, yet its log lines carry a trace id', async (t) => {
    const server = spawnServer({
      PORT: '0',
      HOST: '127.0.0.1',
      TRACING: 'console',
      TRACING_SAMPLE_RATIO: '0',
      SHUTDOWN_DRAIN_SECONDS: '0',
      DATA_DIR: await dataDir(t),
    });
    t.after(async () => {
      server.child.kill('SIGTERM');
      await server.exited;
    });
    const url = await readyUrl(server, 60_000);
    assert.equal((await fetch(`${url}/api/products`)).status, 200);
    const completed = () => {
      const lines = server
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{"'))
        .map((line) => JSON.parse(line) as { reqId?: string; msg?: string; req?: { url?: string } });
      const incoming = lines.find((line) => line.req?.url === '/api/products');
      return lines.find((line) => line.reqId === incoming?.reqId && line.msg === 'request completed') as
        | Record<string, unknown>
        | undefined;
    };
    await waitFor(() => completed() !== undefined);
    assert.match(String(completed()?.trace_id), /^[0-9a-f]{32}$/, server.output());
    assert.match(String(completed()?.span_id), /^[0-9a-f]{16}$/, server.output());
    // The console exporter prints every recorded span; a second is ample for one to show.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.doesNotMatch(server.output(), /traceId: '/, 'no span was recorded');
  });

  test('TRACING unset: no OpenTelemetry module is loaded and log lines carry no trace id', async (t) => {
    const server = spawnServer({
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: await dataDir(t),
      SHUTDOWN_DRAIN_SECONDS: '0',
      NODE_OPTIONS: `--import ${new URL('./support/list-loaded-modules.mjs', import.meta.url).href}`,
    });
    t.after(async () => {
      server.child.kill('SIGTERM'); // the server then stops its embedded PostgreSQL before the directory goes
      await server.exited;
    });
    const url = await readyUrl(server, 60_000);
    assert.equal((await fetch(`${url}/api/products`)).status, 200);
    server.child.kill('SIGTERM');
    await server.exited;
    const loaded = server
      .output()
      .split('\n')
      .filter((line) => line.startsWith('loaded: '));
    assert.ok(
      loaded.some((line) => line.includes('/fastify/')),
      'the module list is complete',
    );
    assert.deepEqual(
      loaded.filter((line) => /@opentelemetry|@fastify\/otel|\/tracing\.(ts|js)/.test(line)),
      [],
    );
    assert.doesNotMatch(server.output(), /trace_id/);
  });
});

async function dataDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const { clusterDirectory } = await import('./helpers/postgres.js');
  return clusterDirectory(t);
}

async function waitFor(predicate: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!predicate() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}
