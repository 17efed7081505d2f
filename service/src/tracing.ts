// OpenTelemetry request tracing. Only ever loaded by a dynamic import when TRACING is not `off`, and before
// the modules it instruments: server.ts imports it ahead of app.js (Fastify) and the pg driver.
import type { IncomingMessage } from 'node:http';
import { register } from 'node:module';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import {
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { isTracingSuppressed, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  RandomIdGenerator,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { TracingConfig } from './config.js';

/** The ids a log line carries, as the log fields are named. */
export interface TraceIds {
  trace_id: string;
  span_id: string;
}

export interface Tracing {
  /** Pino mixin: the active span's ids, merged into every log line written inside a sampled request. */
  logMixin(): Partial<TraceIds>;
  /**
   * For the request's logger: the ids of an unsampled request (it has no span to read them from), so its
   * log lines carry a trace id too; undefined for a sampled or untraced request.
   */
  requestLogBindings(request: IncomingMessage): TraceIds | undefined;
  /** Sends the spans still buffered and stops tracing. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** Replaces the exporter chosen by `mode` (tests pass an InMemorySpanExporter); spans go out one by one. */
  exporter?: SpanExporter;
}

const SERVICE_NAME = 'berth-service';

/** Liveness, readiness and metrics probes arrive every few seconds: tracing them would only add noise and cost. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export function startTracing(config: TracingConfig, options: TracingOptions = {}): Tracing {
  // ESM imports of `pg` are only visible to the instrumentation through this loader hook (import-in-the-middle);
  // CommonJS requires are patched without it. Only `pg`: by default the hook wraps every ES module the app
  // loads, the app's own included, and every call between them then went through a getter.
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, { data: { include: ['pg'] } });

  const ids = new RandomIdGenerator();
  const unsampled = new WeakMap<IncomingMessage, TraceIds>();

  /**
   * The sampling decision, taken when a request arrives and before any instrumentation runs. Parent-based: a
   * request whose caller sampled it (traceparent flag 01) is recorded whatever the ratio, so a trace is never
   * cut in half, and one whose caller did not (flag 00) is not; a new trace is recorded with probability
   * sampleRatio. An unsampled request then runs with tracing suppressed: no span object, no attributes, no
   * wrapper around its Fastify handler or its SQL (measured: recording nothing through non-recording spans
   * cost a third of the service's throughput, bench/README.md). Its log lines still carry a trace id: the
   * caller's, or a new one, as a sampled request's would.
   */
  function untraced(request: IncomingMessage): boolean {
    if (UNTRACED_PATHS.has((request.url ?? '').split('?')[0] ?? '')) return true;
    const caller =
      request.headers.traceparent === undefined
        ? undefined
        : trace.getSpanContext(propagation.extract(ROOT_CONTEXT, request.headers));
    const fromCaller = caller !== undefined && isSpanContextValid(caller);
    const sampled = fromCaller
      ? (caller.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED
      : Math.random() < config.sampleRatio;
    if (sampled) return false;
    unsampled.set(request, {
      trace_id: fromCaller ? caller.traceId : ids.generateTraceId(),
      span_id: ids.generateSpanId(),
    });
    return true;
  }

  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': SERVICE_NAME }),
    // `untraced` has decided already: a request that gets this far is recorded (a caller that did not sample
    // it never gets here). Parent-based, so a span under a sampled one is recorded too.
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [processorFor(config, options)],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);

  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: untraced }),
      // The request and route handler spans only: a span per lifecycle hook (request id, the database's
      // start-up check, metrics) made a cart read 7 spans instead of 4 and told an on-call engineer nothing;
      // what a request waited for shows in the handler and SQL spans.
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        instrumentHooks: false,
        // An unsampled request runs with tracing suppressed (see `untraced`): no request or handler span,
        // so no span in its context either, and the pg instrumentation below then skips its queries too.
        ignorePaths: (route) => UNTRACED_PATHS.has(route.url) || isTracingSuppressed(context.active()),
      }),
      // Statement text only, never the bound values: those carry cart contents.
      // Only queries inside a traced request: the periodic database check and migrations would each start a trace.
      new PgInstrumentation({ enhancedDatabaseReporting: false, requireParentSpan: true }),
    ],
  });

  return {
    logMixin() {
      const span = trace.getSpan(context.active());
      if (span === undefined) return {};
      const { traceId, spanId } = span.spanContext();
      return { trace_id: traceId, span_id: spanId };
    },
    requestLogBindings: (request) => unsampled.get(request),
    async shutdown() {
      unregister();
      await provider.shutdown();
    },
  };
}

function processorFor(config: TracingConfig, options: TracingOptions): SpanProcessor {
  if (options.exporter !== undefined) return new SimpleSpanProcessor({ exporter: options.exporter });
  if (config.mode === 'console') return new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() });
  // Batched: a request never waits for the collector, and a collector outage only drops spans.
  return new BatchSpanProcessor({
    exporter: new OTLPTraceExporter({ url: `${config.otlpEndpoint}/v1/traces` }),
  });
}
