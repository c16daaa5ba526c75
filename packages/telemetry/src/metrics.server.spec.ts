import { Registry } from 'prom-client';
import { ApiMetrics } from './api.metrics';
import { startMetricsServer } from './metrics.server';
import { SchedulerMetrics } from './scheduler.metrics';
import { tracingEnabled } from './tracing.setup';

describe('metrics listener', () => {
  it('serves /metrics and /health, 503 when unhealthy, 404 elsewhere', async () => {
    const registry = new Registry();
    const metrics = new SchedulerMetrics(registry);
    metrics.tick(0.02, { leader: true, fired: 3, skipped: 1 });
    let healthy = true;
    const server = await startMetricsServer({ registry, port: 0, host: '127.0.0.1', health: async () => ({ ok: healthy, body: { status: healthy ? 'ok' : 'degraded' } }) });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toMatch(/^vecron_scheduler_leader 1$/m);
      expect(text).toMatch(/^vecron_scheduler_fires_total 3$/m);
      expect(text).toMatch(/^vecron_scheduler_tick_duration_seconds_bucket\{le="0.025"\} 1$/m);
      expect((await fetch(`${base}/health`)).status).toBe(200);
      healthy = false;
      const down = await fetch(`${base}/health`);
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({ status: 'degraded' });
      expect((await fetch(`${base}/other`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('a queue that cannot be read keeps the last queue sizes instead of failing the scrape', async () => {
    const registry = new Registry();
    let fail = false;
    new ApiMetrics(registry, { queueCounts: async () => (fail ? Promise.reject(new Error('redis down')) : { waiting: 4, delayed: 2 }) });
    expect(await registry.metrics()).toMatch(/^job_queue_size\{state="waiting"\} 4$/m);
    fail = true;
    expect(await registry.metrics()).toMatch(/^job_queue_size\{state="delayed"\} 2$/m);
  });
});

describe('tracingEnabled', () => {
  it('is on only when an exporter is configured and not disabled', () => {
    expect(tracingEnabled({})).toBe(false);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBe(true);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toBe(true);
    expect(tracingEnabled({ OTEL_TRACES_EXPORTER: 'console' })).toBe(true);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' })).toBe(false);
  });
});
