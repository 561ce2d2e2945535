/**
 * OpenTelemetry traces (docs/OPERATIONS.md "Traces"). Off unless `OTEL_EXPORTER_OTLP_ENDPOINT`
 * (or `OTEL_TRACES_EXPORTER`) is set: then no SDK is loaded, the API's tracer is the no-op one, and
 * `inSpan` runs its work directly. On, the Node SDK exports spans in batches over OTLP/HTTP
 * (endpoint, headers and batch settings from the standard `OTEL_*` variables).
 *
 * A record version carries the W3C trace context of the span that wrote it (src/db/record-traces.ts):
 * deliveries are children of it, so one trace goes from the upstream fetch to the consumer's ack.
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type Context, type Link, type Span, type SpanContext } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-node';

export { SpanKind, SpanStatusCode, type Attributes, type Context, type Span };

let enabled = false;

/** Whether spans are recorded (the SDK started): callers skip work that only feeds spans. */
export function tracingEnabled(): boolean {
  return enabled;
}

export interface Tracing {
  /** Exports what is buffered and stops the SDK; the API is no-op again afterwards. */
  shutdown(): Promise<void>;
}

/** OTEL_TRACES_EXPORTER values Syncline knows (the first of a comma list is taken). */
const EXPORTERS = ['otlp', 'console', 'none'] as const;

/** `otlp`/`console` when the environment asks for traces, else null (off). */
export function tracesExporterWanted(env: NodeJS.ProcessEnv): 'otlp' | 'console' | null {
  const named = env.OTEL_TRACES_EXPORTER?.split(',')[0]?.trim().toLowerCase();
  if (named) {
    if (!(EXPORTERS as readonly string[]).includes(named)) throw new Error(`OTEL_TRACES_EXPORTER: ${named} is not one of ${EXPORTERS.join(', ')}`);
    return named === 'none' ? null : (named as 'otlp' | 'console');
  }
  return env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? 'otlp' : null;
}

/**
 * Starts the SDK when the environment asks for traces (or `exporter` is given: tests' in-memory
 * one, exported span by span). Null when off: nothing of the SDK is even loaded.
 */
export async function startTracing(env: NodeJS.ProcessEnv = process.env, exporter?: SpanExporter): Promise<Tracing | null> {
  const wanted = exporter ? null : tracesExporterWanted(env);
  if (!exporter && !wanted) return null;
  const [{ NodeTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, ConsoleSpanExporter }, { resourceFromAttributes }, { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION }] =
    await Promise.all([import('@opentelemetry/sdk-trace-node'), import('@opentelemetry/resources'), import('@opentelemetry/semantic-conventions')]);
  const processor = exporter
    ? new SimpleSpanProcessor(exporter)
    : new BatchSpanProcessor(wanted === 'console' ? new ConsoleSpanExporter() : new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter());
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME ?? 'syncline', [ATTR_SERVICE_VERSION]: env.npm_package_version ?? '0.1.0' }),
    spanProcessors: [processor],
  });
  provider.register();
  enabled = true;
  return {
    async shutdown() {
      enabled = false;
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}

const tracer = () => trace.getTracer('syncline');

/** A span that records nothing: what `inSpan` hands its work while tracing is off. */
const OFF = trace.wrapSpanContext({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: TraceFlags.NONE });

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  links?: Link[];
  /** The parent, instead of the active span: a record's stored trace context, or ROOT to begin a trace. */
  parent?: Context;
}

/**
 * Runs `work` inside a new active span, ended when it settles (an error marks it failed). Off, it
 * is `work(OFF)` and nothing more: `options` as a function is not even called.
 */
export function inSpan<T>(name: string, options: SpanOptions | (() => SpanOptions), work: (span: Span) => Promise<T>): Promise<T> {
  if (!enabled) return work(OFF);
  const { parent, ...spanOptions } = typeof options === 'function' ? options() : options;
  return tracer().startActiveSpan(name, spanOptions, parent ?? context.active(), async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * A span for work already done, from `startTime` (ms since the epoch) to now: for work whose
 * parent is known only once it is done (a /next answer, an ack: the records they name).
 */
export function spanDone(name: string, startTime: number, options: SpanOptions): void {
  if (!enabled) return;
  const { parent, ...spanOptions } = options;
  tracer().startSpan(name, { ...spanOptions, startTime }, parent ?? context.active()).end();
}

/** The active span as a link (from a delivery span in the record's trace to the API request that asked). */
export function activeSpanLink(): Link[] {
  const span = enabled ? trace.getActiveSpan() : undefined;
  return span ? [{ context: span.spanContext() }] : [];
}

/**
 * A server span for a request answered later (the caller ends it): it continues the caller's
 * `traceparent` header, and `run` runs the handler with it active. Null while tracing is off.
 */
export function startServerSpan(name: string, headers: Record<string, string | string[] | undefined>, attributes: Attributes): { span: Span; run: (handle: () => void) => void } | null {
  if (!enabled) return null;
  const parent = propagation.extract(ROOT_CONTEXT, headers);
  const span = tracer().startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
  const active = trace.setSpan(parent, span);
  return { span, run: (handle) => context.with(active, handle) };
}

/** Names the active request's span once its route is known (`GET /v1/syncs/:id`), and sets extra attributes. */
export function describeRequest(name: string | null, attributes: Attributes = {}): void {
  const span = enabled ? trace.getActiveSpan() : undefined;
  if (!span) return;
  if (name) span.updateName(name);
  span.setAttributes(attributes);
}

/** The context that begins a new trace (a sync page, whatever called it). */
export const NEW_TRACE = ROOT_CONTEXT;

/** The active context, to hand to work that runs later (`inSpan`'s `parent`). */
export function activeContext(): Context {
  return context.active();
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The W3C `traceparent` of the active span; null when there is none (tracing off). */
export function currentTraceparent(): string | null {
  const span = enabled ? trace.getActiveSpan() : undefined;
  return span ? traceparentOf(span.spanContext()) : null;
}

export function traceparentOf({ traceId, spanId, traceFlags }: SpanContext): string | null {
  if (!trace.isSpanContextValid({ traceId, spanId, traceFlags })) return null;
  return `00-${traceId}-${spanId}-0${(traceFlags & TraceFlags.SAMPLED).toString(16)}`;
}

/** A stored `traceparent` as a span context, null when it is not one. */
export function spanContextOf(traceparent: string): SpanContext | null {
  const match = TRACEPARENT.exec(traceparent);
  if (!match) return null;
  const spanContext = { traceId: match[1]!, spanId: match[2]!, traceFlags: parseInt(match[3]!, 16), isRemote: true };
  return trace.isSpanContextValid(spanContext) ? spanContext : null;
}

/**
 * How a delivery span hangs from the records it delivers: a child of the first record's writer, and
 * linked to the writers of the others (a batch can hold records of many ingest traces).
 */
export function deliveredFrom(traceparents: readonly string[]): Pick<SpanOptions, 'parent' | 'links'> {
  const contexts = traceparents.map(spanContextOf).filter((c): c is SpanContext => c !== null);
  const [first, ...others] = contexts;
  if (!first) return {};
  return { parent: trace.setSpanContext(ROOT_CONTEXT, first), links: others.map((c) => ({ context: c })) };
}

const kept = new WeakMap<object, Context>();

/** Keeps the active context with `value` (a page read ahead), for work on it later to continue its trace (withContextOf). */
export function keepContext<T extends object>(value: T): T {
  if (enabled) kept.set(value, context.active());
  return value;
}

/** Runs `work` in the context kept with `value`, else in the active one. */
export function withContextOf<T>(value: object, work: () => Promise<T>): Promise<T> {
  const found = enabled ? kept.get(value) : undefined;
  return found ? context.with(found, work) : work();
}
