export { currentTraceCarrier, contextFromCarrier, vecronTracer, withSpan, withTraceCarrier } from './trace-context';
export type { TraceCarrier } from './trace-context';
export { closingTracing, startTracing, tracingEnabled } from './tracing.setup';
export type { ClosableApp, StartTracingOptions, TracingHandle } from './tracing.setup';
export { createMetricsRegistry, DURATION_BUCKETS, LAG_BUCKETS } from './metrics.registry';
export type { Registry } from 'prom-client';
export { WorkerMetrics, CIRCUIT_STATE_VALUES } from './worker.metrics';
export type { CircuitStateName } from './worker.metrics';
export { SchedulerMetrics } from './scheduler.metrics';
export type { TickOutcome } from './scheduler.metrics';
export { ApiMetrics } from './api.metrics';
export type { QueueCounts } from './api.metrics';
export { startMetricsServer } from './metrics.server';
export type { HealthAnswer, MetricsServer, MetricsServerOptions } from './metrics.server';
// For tests: an exporter keeping spans in memory, and the processor that hands each span to it.
export { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
