// OpenTelemetry request tracing. Only ever loaded by a dynamic import when TRACING is not `off`, and before
// the modules it instruments: server.ts imports it ahead of app.js (Fastify) and the pg driver.
import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server } from 'node:http';
import { register } from 'node:module';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import {
  type Context,
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanStatusCode,
  TraceFlags,
  type TraceState,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
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
  /**
   * Pino mixin: the active span's ids, merged into every log line written inside a request, sampled or not
   * (an unsampled request carries a non-recording span: its trace id, its own span id).
   */
  logMixin(): Partial<TraceIds>;
  /**
   * Takes the sampling decision for every request `server` receives, before any instrumentation runs (see
   * `routeRequest`). Call it once on the app's server before it listens: a server it was not called on has
   * every request recorded.
   */
  traceServer(server: Server): void;
  /**
   * Runs one unit of background work (a worker's pass) as a trace of its own, recorded with probability
   * sampleRatio; its SQL statements are its children. Unrecorded, it still runs under a non-recording span, so
   * its log lines carry ids as a request's do.
   */
  traceTask<T>(name: string, work: () => Promise<T>): Promise<T>;
  /** Sends the spans still buffered and stops tracing. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** Replaces the exporter chosen by `mode` (tests pass an InMemorySpanExporter); spans go out one by one. */
  exporter?: SpanExporter;
  /** The `service.name` its spans carry; `berth-service` unless said. */
  serviceName?: string;
}

/**
 * Liveness, readiness and metrics probes arrive every few seconds: recording them would only add noise and
 * cost. They are never sampled (their log lines still carry ids, as every request's do).
 */
const PROBE_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** The 'request' event as Node's HTTP server emits it, without the HTTP instrumentation's wrapper around it. */
const uninstrumentedEmit = EventEmitter.prototype.emit;

export function startTracing(config: TracingConfig, options: TracingOptions = {}): Tracing {
  // ESM imports of `pg` are only visible to the instrumentation through this loader hook (import-in-the-middle);
  // CommonJS requires are patched without it. Only `pg`: by default the hook wraps every ES module the app
  // loads, the app's own included, and every call between them then went through a getter.
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, { data: { include: ['pg'] } });

  const ids = new RandomIdGenerator();

  /**
   * The sampling decision, taken when a request arrives. Probes are never sampled. Otherwise parent-based: a
   * request whose caller sampled it
   * (traceparent flag 01) is recorded whatever the ratio, so a trace is never cut in half, and one whose caller
   * did not (flag 00) is not; a new trace is recorded with probability sampleRatio. A recorded request goes
   * through the instrumentation. An unsampled one gets the context of a non-recording span instead: the
   * caller's trace id (or a new one) and tracestate, a span id of its own, flag 00. Its log lines carry those
   * ids, and an outgoing HTTP call under it sends a traceparent with flag 00, so the services it calls keep
   * the trace and its decision. It skips the HTTP server instrumentation and the Fastify spans, which for a
   * span that records nothing cost a third of the service's throughput (bench/README.md).
   */
  function routeRequest(request: IncomingMessage): 'recorded' | Context {
    const probe = PROBE_PATHS.has(pathOf(request.url ?? ''));
    const caller =
      request.headers.traceparent === undefined
        ? undefined
        : trace.getSpanContext(propagation.extract(ROOT_CONTEXT, request.headers));
    const fromCaller = caller !== undefined && isSpanContextValid(caller);
    const sampled =
      !probe &&
      (fromCaller
        ? (caller.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED
        : Math.random() < config.sampleRatio);
    if (sampled) return 'recorded';
    return fromCaller ? unsampledContext(caller.traceId, caller.traceState) : unsampledContext();
  }

  /** The context of a span that records nothing: a trace id (the caller's or a new one), its own span id, flag 00. */
  function unsampledContext(traceId = ids.generateTraceId(), traceState?: TraceState): Context {
    const unsampled = trace.wrapSpanContext({
      traceId,
      spanId: ids.generateSpanId(),
      traceFlags: TraceFlags.NONE,
      traceState,
    });
    return trace.setSpan(ROOT_CONTEXT, unsampled);
  }

  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName ?? 'berth-service' }),
    // `routeRequest` has decided already: a request the HTTP instrumentation sees is recorded. Parent-based,
    // so a span under a recorded one is recorded too, and one under an unsampled request's span is not.
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [processorFor(config, options)],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);

  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation(),
      // The request and route handler spans only: a span per lifecycle hook (request id, the database's
      // start-up check, metrics) made a cart read 7 spans instead of 4 and told an on-call engineer nothing;
      // what a request waited for shows in the handler and SQL spans.
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        instrumentHooks: false,
        // Skipped too, per request: an unsampled one (its request and handler spans would record nothing).
        ignorePaths: (route) => PROBE_PATHS.has(route.url) || inUnsampledSpan(),
      }),
      // Statement text only, never the bound values: those carry cart contents.
      // Only queries inside a request: the periodic database check and migrations would each start a trace.
      // A query of an unsampled request gets a non-recording span of its trace, as any child of it does.
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
    traceServer(server) {
      // The instance's own emit comes before http.Server.prototype's, which the HTTP instrumentation wraps.
      const instrumentedEmit = server.emit;
      server.emit = function emit(this: Server, event: string | symbol, ...args: unknown[]): boolean {
        if (event !== 'request') return Reflect.apply(instrumentedEmit, this, [event, ...args]);
        const request = args[0] as IncomingMessage;
        const route = routeRequest(request);
        if (route === 'recorded') return Reflect.apply(instrumentedEmit, this, [event, ...args]);
        // What Fastify does after this call keeps the context too: it reads the body in an AsyncResource of the
        // request (fastify/lib/content-type-parser.js), so no listener needs binding, as the instrumentation's
        // request and response emitters are for frameworks that do not.
        return context.with(route, () => Reflect.apply(uninstrumentedEmit, this, [event, ...args]));
      } as Server['emit'];
    },
    traceTask(name, work) {
      if (Math.random() >= config.sampleRatio) return context.with(unsampledContext(), work);
      return provider.getTracer('berth').startActiveSpan(name, { root: true }, async (span) => {
        try {
          return await work();
        } catch (error) {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
          throw error;
        } finally {
          span.end();
        }
      });
    },
    async shutdown() {
      unregister();
      await provider.shutdown();
    },
  };
}

/** The URL's path: what precedes its query string. */
function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/**
 * True inside an unsampled request (probes included). False where there is no span at all: when Fastify
 * registers its routes (the same function decides which routes get wrappers) and for a request that never
 * went through a traced server (`inject`).
 */
function inUnsampledSpan(): boolean {
  const span = trace.getSpan(context.active());
  return span !== undefined && (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== TraceFlags.SAMPLED;
}

function processorFor(config: TracingConfig, options: TracingOptions): SpanProcessor {
  if (options.exporter !== undefined) return new SimpleSpanProcessor({ exporter: options.exporter });
  if (config.mode === 'console') return new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() });
  // Batched: a request never waits for the collector, and a collector outage only drops spans.
  return new BatchSpanProcessor({
    exporter: new OTLPTraceExporter({ url: `${config.otlpEndpoint}/v1/traces` }),
  });
}
