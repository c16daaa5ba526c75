import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { DURATION_BUCKETS, LAG_BUCKETS } from './metrics.registry';

/** Circuit-breaker states as the `vecron_circuit_breaker_state` gauge reports them. */
export const CIRCUIT_STATE_VALUES = { closed: 0, half_open: 1, open: 2 } as const;
export type CircuitStateName = keyof typeof CIRCUIT_STATE_VALUES;

/**
 * The worker's metrics. Labels are bounded: job ids/names (one series per job), statuses, step
 * types, error codes — never execution ids. Every update is an in-memory counter/histogram
 * operation (no I/O on the execution path).
 */
export class WorkerMetrics {
  /** Successful executions per job (the replaced system's name). */
  readonly jobSuccess: Counter<'job_id' | 'job_name'>;
  /** Failed executions per job and error code (failed, timeout, dead_letter; not cancelled). */
  readonly jobFailed: Counter<'job_id' | 'job_name' | 'error_code'>;
  /** Execution duration (claim to end) by job name and final status. */
  readonly jobDuration: Histogram<'job_name' | 'status'>;
  /** Finished executions by final status and trigger source. */
  readonly executionsFinished: Counter<'status' | 'trigger_source'>;
  /** Executions that ended in dead_letter (retries exhausted). */
  readonly deadLetters: Counter<'job_name'>;
  /** First step start minus the due time (the fire time of a scheduled run, the trigger time otherwise). */
  readonly fireLag: Histogram<'trigger_source'>;
  /** Step duration by step type and outcome (one observation per attempt). */
  readonly stepDuration: Histogram<'step_type' | 'status'>;
  /** Step attempts after the first (retries) by step type. */
  readonly stepRetries: Counter<'step_type'>;
  /** Executions in flight in this worker, and its slots (WORKER_CONCURRENCY). */
  readonly busySlots: Gauge;
  readonly slots: Gauge;
  /**
   * Circuit-breaker state per target (0 closed, 1 half-open, 2 open). Set through
   * `setCircuitState` by the breakers (hook for the circuit-breaker code; bounded by the number of targets).
   */
  readonly circuitState: Gauge<'target'>;
  /** Alert notifications by kind (alert, reminder, recovered), channel type and outcome (sent, failed). */
  readonly alerts: Counter<'kind' | 'channel' | 'outcome'>;

  constructor(registry: Registry, options: { slots: number; busy: () => number }) {
    const registers = [registry];
    this.jobSuccess = new Counter({ name: 'job_success_total', help: 'Successful executions per job', labelNames: ['job_id', 'job_name'], registers });
    this.jobFailed = new Counter({
      name: 'job_failed_total',
      help: 'Failed executions (failed, timeout, dead_letter) per job and error code',
      labelNames: ['job_id', 'job_name', 'error_code'],
      registers,
    });
    this.jobDuration = new Histogram({
      name: 'job_duration_seconds',
      help: 'Execution duration from claim to end, by job name and final status',
      labelNames: ['job_name', 'status'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.executionsFinished = new Counter({
      name: 'vecron_executions_finished_total',
      help: 'Finished executions by final status and trigger source',
      labelNames: ['status', 'trigger_source'],
      registers,
    });
    this.deadLetters = new Counter({ name: 'vecron_dead_letters_total', help: 'Executions ended in dead_letter', labelNames: ['job_name'], registers });
    this.fireLag = new Histogram({
      name: 'vecron_fire_lag_seconds',
      help: 'First step start minus the due time (fire time of scheduled runs, trigger time otherwise)',
      labelNames: ['trigger_source'],
      buckets: LAG_BUCKETS,
      registers,
    });
    this.stepDuration = new Histogram({
      name: 'vecron_step_duration_seconds',
      help: 'Step attempt duration by step type and outcome',
      labelNames: ['step_type', 'status'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.stepRetries = new Counter({ name: 'vecron_step_retries_total', help: 'Step attempts after the first, by step type', labelNames: ['step_type'], registers });
    this.busySlots = new Gauge({
      name: 'vecron_worker_busy_slots',
      help: 'Executions in flight in this worker',
      registers,
      collect() {
        this.set(options.busy());
      },
    });
    this.slots = new Gauge({ name: 'vecron_worker_slots', help: 'Executions this worker runs at once (WORKER_CONCURRENCY)', registers });
    this.slots.set(options.slots);
    this.circuitState = new Gauge({ name: 'vecron_circuit_breaker_state', help: 'Circuit-breaker state per target: 0 closed, 1 half-open, 2 open', labelNames: ['target'], registers });
    this.alerts = new Counter({ name: 'vecron_alerts_total', help: 'Alert notifications by kind, channel type and outcome', labelNames: ['kind', 'channel', 'outcome'], registers });
  }

  /** Hook for circuit breakers: report a target's state. */
  setCircuitState(target: string, state: CircuitStateName): void {
    this.circuitState.set({ target }, CIRCUIT_STATE_VALUES[state]);
  }
}
