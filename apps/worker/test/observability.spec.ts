import { createServer, type IncomingHttpHeaders, type Server } from 'http';
import type { AddressInfo } from 'net';
import { context, propagation, trace } from '@opentelemetry/api';
import { IsOptional, IsString } from 'class-validator';
import { HttpExecutor, UnrecoverableStepError, type StepExecutor, type StepRunContext } from '@vecron/executors';
import { InMemorySpanExporter, SimpleSpanProcessor, startTracing, vecronTracer, withTraceCarrier, type TracingHandle } from '@vecron/telemetry';
import { createObservedSystem, type ObservedSystem, type ObservedWorker } from './observed-runner.fixture';

class ScriptConfig {
  @IsString()
  mode!: string;

  @IsOptional() @IsString()
  say?: string;
}

/** A step type for tests: `echo` succeeds (logging `say`), `broken` fails with BROKEN. */
class ScriptExecutor implements StepExecutor<ScriptConfig, unknown> {
  readonly type = 'script';
  readonly configClass = ScriptConfig;
  async execute(config: ScriptConfig, run: StepRunContext): Promise<unknown> {
    if (config.say) run.logger.info({ said: config.say }, 'script speaking');
    if (config.mode === 'broken') throw new UnrecoverableStepError('permanent failure', 'BROKEN');
    return { ok: true };
  }
}

describe('worker observability (real PostgreSQL): metrics, traces, execution logs', () => {
  let system: ObservedSystem;
  let worker: ObservedWorker;
  let tracing: TracingHandle;
  const exporter = new InMemorySpanExporter();
  let server: Server;
  let baseUrl: string;
  const received: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    tracing = startTracing({ serviceName: 'vecron-worker-test', env: {}, spanProcessors: [new SimpleSpanProcessor(exporter)] })!;
    server = createServer((req, res) => {
      received.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"pong":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    system = await createObservedSystem('vecron_test_worker_observe', [new ScriptExecutor(), new HttpExecutor()]);
    worker = system.addWorker();
  });
  afterAll(async () => {
    await system?.close();
    await new Promise((r) => server.close(r));
    await tracing?.shutdown();
  });

  const step = (id: string, config: Record<string, unknown>, type = 'script') => ({ id, name: id, type, config });
  const metric = async (line: RegExp): Promise<number | null> => {
    const text = await worker.registry.metrics();
    const found = text.split('\n').find((l) => line.test(l));
    return found ? Number(found.split(' ').at(-1)) : null;
  };

  it('counts successes and failures per job, durations by status, step durations by type, fire lag', async () => {
    const okJob = await system.addJob({ name: 'metrics ok', steps: [step('a', { mode: 'echo' })] });
    const badJob = await system.addJob({ name: 'metrics bad', steps: [step('a', { mode: 'echo' }), step('b', { mode: 'broken' })] });
    expect(await worker.runner.run(await system.addExecution(okJob))).toBe('success');
    expect(await worker.runner.run(await system.addExecution(okJob))).toBe('success');
    expect(await worker.runner.run(await system.addExecution(badJob))).toBe('failed');
    expect(await metric(new RegExp(`^job_success_total\\{job_id="${okJob}",job_name="metrics ok"\\}`))).toBe(2);
    expect(await metric(new RegExp(`^job_failed_total\\{job_id="${badJob}",job_name="metrics bad",error_code="BROKEN"\\}`))).toBe(1);
    expect(await metric(/^job_duration_seconds_count\{job_name="metrics ok",status="success"\}/)).toBe(2);
    expect(await metric(/^vecron_step_duration_seconds_count\{step_type="script",status="failed"\}/)).toBe(1);
    expect(await metric(/^vecron_step_duration_seconds_count\{step_type="script",status="success"\}/)).toBe(3);
    expect(await metric(/^vecron_executions_finished_total\{status="failed",trigger_source="manual"\}/)).toBe(1);
    expect(await metric(/^vecron_fire_lag_seconds_count\{trigger_source="manual"\}/)).toBe(3);
    expect(await metric(/^vecron_worker_busy_slots /)).toBe(0);
    // No execution id in any label.
    expect(await worker.registry.metrics()).not.toMatch(/execution_id=/);
  });

  it('fire lag of a scheduled run is measured from its fire time', async () => {
    const jobId = await system.addJob({ name: 'late', steps: [step('a', { mode: 'echo' })] });
    const id = await system.addExecution(jobId, { triggerSource: 'scheduled', scheduledFor: new Date(Date.now() - 3_000) });
    expect(await worker.runner.run(id)).toBe('success');
    // The one observation is in the 5 s bucket, not in the 2.5 s one.
    expect(await metric(/^vecron_fire_lag_seconds_bucket\{le="2.5",trigger_source="scheduled"\}/)).toBe(0);
    expect(await metric(/^vecron_fire_lag_seconds_bucket\{le="5",trigger_source="scheduled"\}/)).toBe(1);
  });

  it('keeps the execution log: start and end lines with status and duration, step lines with step_id, trace_id on every line', async () => {
    const jobId = await system.addJob({ name: 'logged', steps: [step('first', { mode: 'echo', say: 'hello' }), step('second', { mode: 'broken' })] });
    const id = await system.addExecution(jobId);
    expect(await worker.runner.run(id)).toBe('failed');
    await worker.observer.flush();
    const stored = await system.logs.find(id);
    expect(stored).not.toBeNull();
    const lines = stored!.lines;
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'execution started', status: 'running', trigger_source: 'manual' });
    expect(typeof lines[0]!.wait_ms).toBe('number');
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'script speaking', step_id: 'first', said: 'hello' }));
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'step failed', step_id: 'second' }));
    const end = lines.at(-1)!;
    expect(end).toMatchObject({ level: 'info', msg: 'execution finished', status: 'failed' });
    expect(typeof end.duration_ms).toBe('number');
    // Lines of other executions are not in it.
    expect(lines.every((l) => !String(l.msg).includes('execution could not'))).toBe(true);
    // The process's own JSON lines of this execution carry its trace id.
    const own = worker.lines().filter((l) => l.execution_id === id);
    expect(own.length).toBeGreaterThanOrEqual(4);
    const traceIds = new Set(own.map((l) => l.trace_id));
    expect(traceIds.size).toBe(1);
    expect([...traceIds][0]).toMatch(/^[0-9a-f]{32}$/);
  });

  it("one span per execution, a child span per step, under the trigger's trace; the HTTP step sends its span as traceparent", async () => {
    exporter.reset();
    received.length = 0;
    const jobId = await system.addJob({
      name: 'traced',
      steps: [step('ping', { method: 'GET', url: `${baseUrl}/ping` }, 'http'), step('after', { mode: 'echo' })],
    });
    const id = await system.addExecution(jobId);
    // The api's span, as it arrives through the queue: a W3C carrier.
    const apiSpan = vecronTracer().startSpan('POST /api/jobs/:id/trigger');
    const carrier: Record<string, string> = {};
    propagation.inject(trace.setSpan(context.active(), apiSpan), carrier);
    apiSpan.end();
    expect(await withTraceCarrier(carrier, () => worker.runner.run(id))).toBe('success');

    const spans = exporter.getFinishedSpans();
    const traceId = apiSpan.spanContext().traceId;
    const execution = spans.find((s) => s.name === 'execution' && s.attributes.execution_id === id)!;
    expect(execution).toBeDefined();
    expect(execution.spanContext().traceId).toBe(traceId);
    expect(execution.parentSpanContext?.spanId).toBe(apiSpan.spanContext().spanId);
    expect(execution.attributes).toMatchObject({ job_id: jobId, execution_id: id, attempt: 1, status: 'success', trigger_source: 'manual' });
    const steps = spans.filter((s) => s.name.startsWith('step ') && s.attributes.execution_id === id);
    expect(steps.map((s) => s.attributes.step_id).sort()).toEqual(['after', 'ping']);
    for (const s of steps) {
      expect(s.parentSpanContext?.spanId).toBe(execution.spanContext().spanId);
      expect(s.spanContext().traceId).toBe(traceId);
    }
    const ping = steps.find((s) => s.attributes.step_id === 'ping')!;
    expect(ping.attributes).toMatchObject({ step_type: 'http', attempt: 1, status: 'success', job_id: jobId });
    expect(received).toHaveLength(1);
    expect(received[0]!.traceparent).toBe(`00-${traceId}-${ping.spanContext().spanId}-01`);
  });

  it('a failed execution ends its span with an error status naming the step', async () => {
    exporter.reset();
    const jobId = await system.addJob({ name: 'traced failure', steps: [step('x', { mode: 'broken' })] });
    const id = await system.addExecution(jobId);
    expect(await worker.runner.run(id)).toBe('failed');
    const execution = exporter.getFinishedSpans().find((s) => s.name === 'execution' && s.attributes.execution_id === id)!;
    expect(execution.status.code).toBe(2); // ERROR
    expect(execution.attributes).toMatchObject({ status: 'failed', 'error.step_id': 'x', 'error.code': 'BROKEN' });
  });
});
