import { createServer, type IncomingHttpHeaders, type Server } from 'http';
import type { AddressInfo } from 'net';
import { freePort } from './support/processes';
import { waitFor } from './support/services';
import { TestSystem } from './support/system';

/** A span as the OTLP/HTTP JSON exporter sends it (ids in hex). */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: { key: string; value: { stringValue?: string; intValue?: number | string } }[];
  service: string;
}

const attr = (s: OtlpSpan, key: string): string | number | undefined => {
  const v = s.attributes?.find((a) => a.key === key)?.value;
  return v?.stringValue ?? (v?.intValue === undefined ? undefined : Number(v.intValue));
};

/** An in-process OTLP/HTTP receiver (JSON protocol): collects every span posted to /v1/traces. */
async function startOtlpReceiver(): Promise<{ url: string; spans: OtlpSpan[]; server: Server }> {
  const spans: OtlpSpan[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as {
          resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: Omit<OtlpSpan, 'service'>[] }[] }[];
        };
        for (const rs of body.resourceSpans) {
          const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
          for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, service });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, server };
}

describe('observability across the processes: one trigger, one trace; metrics listeners; execution logs', () => {
  let system: TestSystem;
  let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let target: Server;
  let targetUrl: string;
  const calls: IncomingHttpHeaders[] = [];
  let workerMetrics: number;
  let schedulerMetrics: number;

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    target = createServer((req, res) => {
      calls.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
    workerMetrics = await freePort();
    schedulerMetrics = await freePort();
    system = await new TestSystem({
      name: 'observe',
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '100',
        WORKER_METRICS_PORT: String(workerMetrics),
        SCHEDULER_METRICS_PORT: String(schedulerMetrics),
        OBSERVE_FLUSH_MS: '100',
      },
    }).start();
  });
  afterAll(async () => {
    await system?.stop();
    await new Promise((r) => otlp?.server.close(r));
    await new Promise((r) => target?.close(r));
  });

  it('a manual trigger gives one trace: the api span, the execution span under it, one span per step under that; traceparent goes out of the http step', async () => {
    const job = await system.client.createJob({
      name: 'traced pipeline',
      schedule: null,
      triggers: { scheduled: false, manual: true },
      steps: [
        { id: 'first', name: 'First', type: 'http', config: { method: 'GET', url: `${targetUrl}/a` } },
        { id: 'second', name: 'Second', type: 'http', config: { method: 'GET', url: `${targetUrl}/b` } },
      ],
    });
    const { execution_id: id } = await system.client.ok<{ execution_id: string }>('POST', `/api/jobs/${job.id}/trigger`, {});
    await waitFor(async () => (await system.client.ok<{ status: string }>('GET', `/api/executions/${id}`)).status === 'success', 20_000, `execution success (${system.logs()})`);

    const execution = await waitFor(async () => otlp.spans.find((s) => s.name === 'execution' && attr(s, 'execution_id') === id), 15_000, 'the execution span');
    const steps = await waitFor(async () => {
      const found = otlp.spans.filter((s) => s.name.startsWith('step ') && attr(s, 'execution_id') === id);
      return found.length === 2 ? found : null;
    }, 15_000, 'two step spans');
    const api = await waitFor(async () => otlp.spans.find((s) => s.spanId === execution.parentSpanId), 15_000, "the execution span's parent");

    expect(api.service).toBe('vecron-api');
    expect(api.name).toBe('POST /api/jobs/:id/trigger');
    expect(api.parentSpanId ?? '').toBe('');
    expect(execution.service).toBe('vecron-worker');
    expect(execution.traceId).toBe(api.traceId);
    expect(attr(execution, 'job_id')).toBe(job.id);
    expect(attr(execution, 'status')).toBe('success');
    expect(attr(execution, 'attempt')).toBe(1);
    for (const s of steps) {
      expect(s.traceId).toBe(api.traceId);
      expect(s.parentSpanId).toBe(execution.spanId);
      expect(attr(s, 'step_type')).toBe('http');
      expect(attr(s, 'status')).toBe('success');
    }
    expect(steps.map((s) => attr(s, 'step_id')).sort()).toEqual(['first', 'second']);
    // Every span of this trace is one of these four.
    expect(otlp.spans.filter((s) => s.traceId === api.traceId)).toHaveLength(4);
    const sent = calls.map((h) => String(h.traceparent));
    for (const s of steps) expect(sent).toContain(`00-${api.traceId}-${s.spanId}-01`);

    // The execution's log lines, kept in PostgreSQL, and the worker's own lines carrying the trace id.
    const logs = await waitFor(async () => {
      const r = await system.client.ok<{ complete: boolean; items: Record<string, unknown>[] }>('GET', `/api/executions/${id}/logs`);
      return r.complete ? r : null;
    }, 10_000, 'the execution log');
    expect(logs.items[0]).toMatchObject({ msg: 'execution started', status: 'running' });
    expect(logs.items.at(-1)).toMatchObject({ msg: 'execution finished', status: 'success' });
    expect(typeof logs.items.at(-1)!.duration_ms).toBe('number');
    const workerLines = system.workers[0]!.log.split('\n').filter((l) => l.includes(id)).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(workerLines.length).toBeGreaterThan(0);
    expect(workerLines.every((l) => l.trace_id === api.traceId)).toBe(true);

    // The worker's own listener counts it.
    const text = await (await fetch(`http://127.0.0.1:${workerMetrics}/metrics`)).text();
    expect(text).toMatch(new RegExp(`^job_success_total\\{job_id="${job.id}",job_name="traced pipeline"\\} 1$`, 'm'));
    expect(text).toMatch(/^vecron_step_duration_seconds_count\{step_type="http",status="success"\} 2$/m);
  });

  it('the scheduler and the worker serve /metrics and /health on their own ports; the api serves /metrics', async () => {
    const health = await fetch(`http://127.0.0.1:${workerMetrics}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    expect((await fetch(`http://127.0.0.1:${schedulerMetrics}/health`)).status).toBe(200);
    const scheduler = await waitFor(async () => {
      const t = await (await fetch(`http://127.0.0.1:${schedulerMetrics}/metrics`)).text();
      return /^vecron_scheduler_leader 1$/m.test(t) ? t : null;
    }, 10_000, 'the scheduler leading');
    expect(scheduler).toMatch(/^vecron_scheduler_tick_duration_seconds_count [1-9]\d*$/m);
    const api = await (await fetch(`${system.client.baseUrl}/metrics`)).text();
    expect(api).toMatch(/^job_queue_size\{state="waiting"\} \d+$/m);
    expect(api).toMatch(/^vecron_api_triggers_total\{trigger_source="manual"\} 1$/m);
  });
});
