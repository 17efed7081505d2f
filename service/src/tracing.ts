// OpenTelemetry request tracing. Only ever loaded by a dynamic import when TRACING is not `off`, and before
// the modules it instruments: server.ts imports it ahead of app.js (Fastify) and the pg driver.
import { register } from 'node:module';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { TracingConfig } from './config.js';

export interface Tracing {
  /** Pino mixin: the active span's ids, merged into every log line written inside a request. */
  logMixin(): { trace_id?: string; span_id?: string };
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
  // CommonJS requires are patched without it.
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': SERVICE_NAME }),
    // Parent-based: a request whose caller sampled it (traceparent flag 01) is recorded whatever the ratio,
    // so a trace is never cut in half; a new trace is recorded with probability sampleRatio.
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
    spanProcessors: [processorFor(config, options)],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);

  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has((request.url ?? '').split('?')[0] ?? ''),
      }),
      // The request and route handler spans only: a span per lifecycle hook (request id, the database's
      // start-up check, metrics) made a cart read 7 spans instead of 4 and told an on-call engineer nothing;
      // what a request waited for shows in the handler and SQL spans.
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        instrumentHooks: false,
        ignorePaths: (route) => UNTRACED_PATHS.has(route.url),
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
