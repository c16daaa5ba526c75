import { context, propagation, ROOT_CONTEXT, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';

/** W3C trace context (`traceparent`, `tracestate`) as carried in a queue message or HTTP headers. */
export type TraceCarrier = Record<string, string>;

/** The tracer of vecron's own spans (a no-op until `startTracing` registered an SDK). */
export function vecronTracer(): Tracer {
  return trace.getTracer('vecron');
}

/** The active trace context as a carrier, or undefined when there is none (tracing off: the propagator is a no-op). */
export function currentTraceCarrier(ctx: Context = context.active()): TraceCarrier | undefined {
  const carrier: TraceCarrier = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent ? carrier : undefined;
}

/** The context a carrier describes (its span as the remote parent); the root context without one. */
export function contextFromCarrier(carrier: unknown): Context {
  if (!carrier || typeof carrier !== 'object') return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, carrier as TraceCarrier);
}

/** Runs `fn` with the carrier's context active (the parent of the spans `fn` starts). */
export function withTraceCarrier<T>(carrier: unknown, fn: () => T): T {
  if (!carrier) return fn();
  return context.with(contextFromCarrier(carrier), fn);
}

/** Runs `fn` with `span` active (its child spans, outgoing `traceparent` headers and log lines refer to it). */
export function withSpan<T>(span: Span, fn: () => T): T {
  return context.with(trace.setSpan(context.active(), span), fn);
}
