import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * A Prometheus registry for one process, with the standard process metrics (CPU, memory, event
 * loop lag, GC) under the `vecron_` prefix. Each app adds its own metric set (ApiMetrics,
 * SchedulerMetrics, WorkerMetrics) and serves `registry.metrics()` as `/metrics`.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'vecron_' });
  return registry;
}

/** Seconds buckets for runs: 50 ms to 1 h. */
export const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
/** Seconds buckets for lateness and ticks: 1 ms to 1 min. */
export const LAG_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
