import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { LOG_TRACE_SPAN } from '@vecron/config';
import type { ExecutionRecord } from '@vecron/db';
import type { JobDefinition } from '@vecron/definitions';
import type { StepRunContext } from '@vecron/executors';
import { vecronTracer, type WorkerMetrics } from '@vecron/telemetry';
import type { AlertService } from '../alerts/alert.service';
import type { ExecutionLogWriter } from './execution-log.writer';
import type { ExecutionEndEvent, ExecutionObserver, ExecutionStartEvent, ExecutionWaitEvent } from './execution-observer';
import { startCapture, stopCapture, type LogCapture } from './log-capture';

interface ActiveExecution {
  execution: ExecutionRecord;
  definition: JobDefinition;
  span: Span;
  capture?: LogCapture;
  /** The due time: fire time of a scheduled run, creation (trigger) time otherwise. */
  due: Date;
  firstStepSeen: boolean;
}

/** Where finished executions go once the worker's stores are up (set at bootstrap). */
export interface ObserverSinks {
  logs?: ExecutionLogWriter;
  alerts?: AlertService;
}

export interface WorkerObserverOptions {
  metrics: WorkerMetrics;
  /** EXECUTION_LOG_MAX_LINES; 0: no capture. */
  maxLogLines: number;
  /** The worker's root logger (its own warnings). */
  logger: Logger;
}

const FAILURES = new Set(['failed', 'timeout', 'dead_letter']);

/**
 * The worker's observability: Prometheus metrics, one OpenTelemetry span per execution with a
 * child span per step attempt, the execution's captured log lines and its alert outcome. Every
 * call on the execution's path is in-memory (metrics, spans, a line buffer); logs and alerts are
 * written by `flush`, which the worker runs every OBSERVE_FLUSH_MS and at shutdown.
 */
export class WorkerObserver implements ExecutionObserver {
  private readonly active = new Map<string, ActiveExecution>();
  private readonly jobNames = new Map<string, string>();
  private sinks: ObserverSinks = {};

  constructor(private readonly options: WorkerObserverOptions) {}

  get metrics(): WorkerMetrics {
    return this.options.metrics;
  }

  connect(sinks: ObserverSinks): void {
    this.sinks = sinks;
  }

  /** Executions between executionStarted and executionFinished. */
  get activeCount(): number {
    return this.active.size;
  }

  executionStarted({ execution, definition, log, resumed }: ExecutionStartEvent): void {
    try {
      const span = vecronTracer().startSpan(
        'execution',
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            job_id: execution.job_id,
            job_name: definition.name,
            execution_id: execution.id,
            trigger_source: execution.trigger_source,
            attempt: execution.attempt,
          },
        },
        context.active(),
      );
      if (span.isRecording()) (log as Logger & { [LOG_TRACE_SPAN]?: Span })[LOG_TRACE_SPAN] = span;
      const capture = this.options.maxLogLines > 0 ? startCapture(log, this.options.maxLogLines) : undefined;
      const due = execution.scheduled_for ?? execution.created_at;
      this.jobNames.set(execution.job_id, definition.name);
      // A resumed run is not fired again: no second fire-lag observation.
      this.active.set(execution.id, { execution, definition, span, capture, due, firstStepSeen: resumed });
      log.info(
        {
          status: 'running',
          trigger_source: execution.trigger_source,
          attempt: execution.attempt,
          definition_version: execution.definition_version,
          wait_ms: (execution.started_at ?? new Date()).getTime() - due.getTime(),
        },
        'execution started',
      );
    } catch (err) {
      this.options.logger.warn({ execution_id: execution.id, err: (err as Error).message }, 'execution could not be observed');
    }
  }

  /**
   * Runs one step attempt (`fn`) inside its span (so the HTTP step's `traceparent` and the
   * executor's log lines refer to it), timing it by step type and outcome.
   */
  step<T>(stepType: string, run: StepRunContext, fn: () => Promise<T>): Promise<T> {
    const { metrics } = this.options;
    const a = this.active.get(run.executionId);
    if (a && !a.firstStepSeen) {
      a.firstStepSeen = true;
      metrics.fireLag.observe({ trigger_source: a.execution.trigger_source }, Math.max(0, Date.now() - a.due.getTime()) / 1000);
    }
    if (run.attempt > 1) metrics.stepRetries.inc({ step_type: stepType });
    const parent = a ? trace.setSpan(context.active(), a.span) : context.active();
    const span = vecronTracer().startSpan(
      `step ${stepType}`,
      { attributes: { job_id: run.jobId, execution_id: run.executionId, step_id: run.stepId, step_type: stepType, attempt: run.attempt } },
      parent,
    );
    const started = performance.now();
    const end = (status: 'success' | 'failed', err?: unknown): void => {
      metrics.stepDuration.observe({ step_type: stepType, status }, (performance.now() - started) / 1000);
      span.setAttribute('status', status);
      if (err) span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      span.end();
    };
    return context.with(trace.setSpan(parent, span), fn).then(
      (out) => {
        end('success');
        return out;
      },
      (err: unknown) => {
        end('failed', err);
        throw err;
      },
    );
  }

  executionFinished({ execution, status, error, durationMs, log }: ExecutionEndEvent): void {
    try {
      const { metrics } = this.options;
      const a = this.active.get(execution.id);
      this.active.delete(execution.id);
      const jobName = a?.definition.name ?? this.jobNames.get(execution.job_id) ?? 'unknown';
      const labels = { job_id: execution.job_id, job_name: jobName };
      if (status === 'success') metrics.jobSuccess.inc(labels);
      else if (FAILURES.has(status)) metrics.jobFailed.inc({ ...labels, error_code: error?.code ?? status.toUpperCase() });
      if (status === 'dead_letter') metrics.deadLetters.inc({ job_name: jobName });
      if (durationMs !== null) metrics.jobDuration.observe({ job_name: jobName, status }, durationMs / 1000);
      metrics.executionsFinished.inc({ status, trigger_source: execution.trigger_source });

      const span = a?.span ?? vecronTracer().startSpan('execution', { kind: SpanKind.CONSUMER, attributes: { job_id: execution.job_id, execution_id: execution.id } });
      span.setAttribute('status', status);
      if (error) {
        if (error.step_id) span.setAttribute('error.step_id', error.step_id);
        if (error.code) span.setAttribute('error.code', error.code);
      }
      if (status !== 'success') span.setStatus({ code: SpanStatusCode.ERROR, message: error?.message ?? status });
      span.end();

      const capture = stopCapture(log);
      if (capture) this.sinks.logs?.add({ execution_id: execution.id, job_id: execution.job_id, lines: capture.lines, dropped: capture.dropped });
      this.sinks.alerts?.record({
        execution: { ...execution, completed_at: execution.completed_at ?? new Date() },
        status,
        error,
        definition: a?.definition ?? null,
        jobName,
      });
    } catch (err) {
      this.options.logger.warn({ execution_id: execution.id, err: (err as Error).message }, 'execution end could not be observed');
    }
  }

  executionWaiting({ execution, log }: ExecutionWaitEvent): void {
    try {
      const a = this.active.get(execution.id);
      this.active.delete(execution.id);
      if (a) {
        a.span.setAttribute('status', 'waiting');
        a.span.end();
      }
      // The lines so far are written now; the resumed run's lines are appended to them.
      const capture = stopCapture(log);
      if (capture) this.sinks.logs?.add({ execution_id: execution.id, job_id: execution.job_id, lines: capture.lines, dropped: capture.dropped });
    } catch (err) {
      this.options.logger.warn({ execution_id: execution.id, err: (err as Error).message }, 'execution wait could not be observed');
    }
  }

  async flush(): Promise<void> {
    await Promise.all([this.sinks.logs?.flush(), this.sinks.alerts?.flush()]);
  }

  /** The periodic flush: logs written, alert outcomes decided (sending goes on in the background). */
  async tick(): Promise<void> {
    await Promise.all([this.sinks.logs?.flush(), this.sinks.alerts?.decide()]);
  }
}
