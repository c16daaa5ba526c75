import { hostname } from 'os';
import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Logger } from 'pino';
import { SECRET_MASK } from '@vecron/context';
import {
  ExecutionsRepository,
  JobsRepository,
  stoppedError,
  stopRequestOf,
  type ExecutionError,
  type ExecutionRecord,
  type ExecutionStatus,
  type NewAttempt,
  type ResolvedVariables,
  type StopRequest,
} from '@vecron/db';
import { nextFireTime, type JobDefinition } from '@vecron/definitions';
import { ExecutionDispatcher } from '@vecron/queue';
import { WORKER_CONFIG, type WorkerEnv } from '../config/worker.env';
import { DefinitionCache } from './definition.cache';
import { ExecutionAbort, type AbortCause } from './execution-abort.error';
import { ExecutionClaimService } from './execution-claim.service';
import { SecretMaskingLogger } from './secret-masking.logger';
import { StepLoop, type StepLoopStart } from './step-loop.service';
import { StoreOutageGuard } from './store-outage.guard';
import { EXECUTION_OBSERVER, NO_EXECUTION_OBSERVER, type ExecutionObserver } from '../observe/execution-observer';

interface RunState {
  controller: AbortController;
  done: Promise<void>;
}

/** What a delivery says about the execution besides its id (from the Bull job's data). */
export interface Delivery {
  jobId?: string;
  definitionVersion?: number;
  /**
   * A scheduled fire delivered ahead of its due instant (epoch ms): the definition is read
   * meanwhile and the claim is made at this instant.
   */
  dueAt?: number;
}

/** Longest wait for a fire delivered ahead (a larger lead, or a clock far off, is cut to it). */
export const PREPARE_MAX_WAIT_MS = 60_000;

/**
 * Runs one execution: claim it (pending → running, once), load the definition version it
 * names, run its steps (StepLoop) under the job's timeout, finish in success / failed /
 * timeout / cancelled / dead_letter, and for a fixed-delay schedule set the next fire from the
 * end of this run. A step to retry is not waited for here: the execution stays `running`,
 * held by no worker, and a delayed Bull job resumes it (`ExecutionDispatcher.scheduleResume`,
 * `resume`). Keeps the executions in flight for the heartbeat and the shutdown.
 */
@Injectable()
export class ExecutionRunner {
  private readonly running = new Map<string, RunState>();
  /** Fires delivered ahead of their instant, prepared and waiting for it (not claimed yet). */
  private readonly preparing = new Set<Promise<unknown>>();
  /** Aborted by `abortAll`: the fires prepared by then give their delivery up instead of claiming. */
  private closing = new AbortController();
  readonly workerId: string;

  constructor(
    @Inject(WORKER_CONFIG) config: WorkerEnv,
    private readonly executions: ExecutionsRepository,
    private readonly jobs: JobsRepository,
    private readonly claims: ExecutionClaimService,
    private readonly definitions: DefinitionCache,
    private readonly steps: StepLoop,
    private readonly loggers: SecretMaskingLogger,
    private readonly dispatcher: ExecutionDispatcher,
    private readonly outage: StoreOutageGuard,
    @Optional() @Inject(EXECUTION_OBSERVER) private readonly observer: ExecutionObserver = NO_EXECUTION_OBSERVER,
  ) {
    this.workerId = config.WORKER_ID ?? `${hostname()}:${process.pid}`;
  }

  /** Heartbeat: tells the system database which executions this worker is still running. */
  async heartbeat(): Promise<void> {
    // A stop whose announcement this worker missed is acted on here.
    for (const request of await this.executions.touchRunning([...this.running.keys()])) this.stop(request);
  }

  /**
   * A stop asked through the api: aborts the execution if this worker runs it (the step in flight
   * through its signal); it ends `cancelled`. Returns false when this worker does not hold it.
   */
  stop(request: StopRequest): boolean {
    const r = this.running.get(request.execution_id);
    if (!r) return false;
    if (!r.controller.signal.aborted) r.controller.abort(new ExecutionAbort('cancelled', stoppedError(request).message));
    return true;
  }

  get activeCount(): number {
    return this.running.size;
  }

  /** Resolves when no execution is in flight (nor prepared and waiting for its instant). */
  async idle(): Promise<void> {
    while (this.running.size > 0 || this.preparing.size > 0) {
      await Promise.allSettled([...[...this.running.values()].map((r): Promise<unknown> => r.done), ...this.preparing.values()]);
    }
    // Their captured logs written, their alerts decided and sent.
    await this.observer.flush();
  }

  /** Aborts every in-flight execution (shutdown after the grace period). */
  abortAll(cause: AbortCause, message: string): void {
    // A prepared fire not claimed yet stays pending: the scheduler's sweep enqueues it again.
    const closing = this.closing;
    this.closing = new AbortController();
    closing.abort();
    for (const r of this.running.values()) r.controller.abort(new ExecutionAbort(cause, message));
  }

  /**
   * Runs a delivered execution. Returns its final status, `running` when a step waits for a
   * retry (resumed later by a delayed Bull job), `cancelled` when it was skipped for an
   * overlapping run, or null when there was nothing to do (a duplicate delivery).
   */
  async run(executionId: string, delivery: Delivery = {}): Promise<ExecutionStatus | null> {
    const { jobId, definitionVersion, dueAt } = delivery;
    const known = jobId !== undefined && definitionVersion !== undefined;
    // Known before the claim (read already, or read while a fire delivered ahead waits for its
    // instant): the claim records the first step itself.
    let definition = known ? this.definitions.peek(jobId, definitionVersion) : undefined;
    if (dueAt !== undefined && dueAt > Date.now()) {
      const prepared = this.prepare(known ? { jobId, definitionVersion } : null, dueAt);
      this.preparing.add(prepared);
      let givenUp: boolean;
      try {
        const ready = await prepared;
        definition = ready.definition ?? definition;
        givenUp = ready.givenUp;
      } finally {
        this.preparing.delete(prepared);
      }
      if (givenUp) return null;
    }
    // A delivery during a PostgreSQL restart waits for the database rather than being dropped.
    const firstStep = definition?.steps[0]?.id ?? null;
    const claim = await this.outage.run('claim the execution', () => this.claims.claim(executionId, this.workerId, firstStep), this.loggers.root.child({ execution_id: executionId }));
    if (!claim.claimed) return claim.skipped ? 'cancelled' : null;
    const e = claim.execution;
    // A replay from the failed step starts there, with the original's context before it.
    const start: StepLoopStart | undefined =
      e.resume_step && e.replay_of ? { stepId: e.resume_step, attempt: 1, contextOf: { jobId: e.job_id, executionId: e.replay_of } } : undefined;
    return this.runClaimed(claim.execution, claim.variables, start);
  }

  /**
   * A fire delivered ahead: reads its definition (a failure is left to the run after the claim,
   * which reports it), then waits for the due instant, or for the worker's shutdown.
   */
  private async prepare(version: { jobId: string; definitionVersion: number } | null, dueAt: number): Promise<{ definition: JobDefinition | undefined; givenUp: boolean }> {
    const closing = this.closing.signal;
    const definition = version ? await this.definitions.get(version.jobId, version.definitionVersion).catch(() => undefined) : undefined;
    const until = Math.min(dueAt, Date.now() + PREPARE_MAX_WAIT_MS);
    // Never claimed before the instant (a timer may fire a millisecond early).
    while (Date.now() < until && !closing.aborted) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          closing.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, until - Date.now());
        closing.addEventListener('abort', done);
      });
    }
    return { definition, givenUp: closing.aborted };
  }

  /**
   * Resumes a `running` execution that waits (a retry, or recovery after its worker died) at its
   * `resume_step`, from its own saved context, as the row's `attempt`. The claim is conditional:
   * of several deliveries exactly one resumes it; the others (and a delivery after a stop) return
   * null. The job's timeout counts from the first claim.
   */
  async resume(executionId: string, nextAttemptAt?: number): Promise<ExecutionStatus | null> {
    const wait = nextAttemptAt === undefined ? null : new Date(nextAttemptAt);
    const claim = await this.outage.run('claim the resume', () => this.claims.claimResume(executionId, this.workerId, wait), this.loggers.root.child({ execution_id: executionId }));
    if (!claim.claimed) return null;
    const e = claim.execution;
    const start: StepLoopStart | undefined = e.resume_step
      ? { stepId: e.resume_step, attempt: e.attempt, contextOf: { jobId: e.job_id, executionId: e.id } }
      : undefined;
    return this.runClaimed(e, claim.variables, start);
  }

  private async runClaimed(execution: ExecutionRecord, variables: ResolvedVariables | Error, start: StepLoopStart | undefined): Promise<ExecutionStatus | null> {
    const executionId = execution.id;
    const claim = { execution, variables };
    const controller = new AbortController();
    let release!: () => void;
    const done = new Promise<void>((r) => (release = r));
    this.running.set(executionId, { controller, done });
    // Stopped after the api's read but before this claim: the claim returned the flag.
    const requested = stopRequestOf(claim.execution);
    if (requested) this.stop(requested);
    try {
      return await this.execute(claim.execution, claim.variables, controller, start);
    } finally {
      this.running.delete(executionId);
      release();
    }
  }

  private async execute(
    execution: ExecutionRecord,
    resolved: ResolvedVariables | Error,
    controller: AbortController,
    start: StepLoopStart | undefined,
  ): Promise<ExecutionStatus> {
    const bindings = { job_id: execution.job_id, execution_id: execution.id };
    // One logger for the execution, masking its sensitive values (none known when they could not be read).
    const secrets: string[] = [];
    const storedVariables: Record<string, string> = {};
    if (!(resolved instanceof Error)) {
      for (const [name, value] of Object.entries(resolved.values)) {
        const sensitive = resolved.sensitive.has(name);
        if (sensitive && value.length > 0) secrets.push(value);
        storedVariables[name] = sensitive ? SECRET_MASK : value;
      }
    }
    const log = this.loggers.forExecution(bindings, secrets);
    let definition: JobDefinition;
    try {
      definition = await this.outage.run('load the definition', () => this.definitions.get(execution.job_id, execution.definition_version), log, controller.signal);
    } catch (err) {
      const message = `definition version ${execution.definition_version} could not be loaded: ${(err as Error).message}`;
      return this.finish(execution, 'failed', { message }, log);
    }
    if (resolved instanceof Error) {
      return this.finish(execution, 'failed', { message: `variables could not be read: ${resolved.message}` }, log);
    }
    this.observer.executionStarted({ execution, definition, log, resumed: start?.contextOf.executionId === execution.id });

    // The timeout counts from the first claim: a resumed run gets what is left.
    const deadline = (execution.started_at?.getTime() ?? Date.now()) + definition.timeout_seconds * 1000;
    const timeoutMessage = `execution exceeded timeout_seconds=${definition.timeout_seconds}`;
    if (deadline <= Date.now()) return this.finish(execution, 'timeout', { message: timeoutMessage, ...(start ? { step_id: start.stepId } : {}) }, log);
    const timer = setTimeout(() => controller.abort(new ExecutionAbort('timeout', timeoutMessage)), deadline - Date.now());
    let result;
    try {
      result = await this.steps.run({
        execution,
        definition,
        values: resolved.values,
        storedVariables,
        secrets,
        signal: controller.signal,
        stop: (request) => void this.stop(request),
        log,
        ...(start ? { start } : {}),
      });
    } finally {
      clearTimeout(timer);
    }
    const attempts = result.attempts.map((a) => ({ ...a, worker_id: this.workerId }));
    if ('wait' in result) {
      // Resumed at the deadline at the latest, where it ends `timeout`.
      const delayMs = Math.min(result.wait.delayMs, Math.max(0, deadline - Date.now()));
      if (delayMs < result.wait.delayMs) {
        const last = attempts[attempts.length - 1];
        if (last) last.next_attempt_at = new Date(Date.now() + delayMs);
      }
      const waiting = await this.dispatcher.scheduleResume(execution.id, result.wait.stepId, delayMs, {
        attempt: result.wait.attempt,
        expectWorkerId: this.workerId,
        attempts,
      });
      if (waiting) {
        log.info({ step_id: result.wait.stepId, next_attempt: result.wait.attempt, next_attempt_at: waiting.next_attempt_at }, 'execution waiting for a retry');
        this.observer.executionWaiting({ execution, log });
        return 'running';
      }
      // Not left waiting: a stop was asked for meanwhile.
      const row = await this.executions.findById(execution.id);
      const stop = row ? stopRequestOf(row) : null;
      return this.finish(execution, stop ? 'cancelled' : 'failed', stop ? { ...stoppedError(stop), step_id: result.wait.stepId } : result.error, log, attempts);
    }
    const final = await this.finish(execution, result.status, result.error, log, attempts);
    await this.claims.afterFinish(execution, definition);
    if (definition.schedule?.type === 'fixed_delay' && definition.triggers.scheduled && execution.trigger_source === 'scheduled') {
      const next = nextFireTime(definition.schedule, { after: new Date(), lastFinishedAt: new Date() });
      await this.outage.run('set the next fixed-delay fire', () => this.jobs.setNextRunAfterRun(execution.job_id, next), log);
    }
    return final;
  }

  private async finish(
    execution: ExecutionRecord,
    status: ExecutionStatus,
    error: ExecutionError | null,
    log: Logger,
    attempts: NewAttempt[] = [],
  ): Promise<ExecutionStatus> {
    // Waits through a PostgreSQL restart: the outcome is recorded once the database is back.
    const row = await this.outage.run('record the end of the execution', () => this.executions.finish(execution.id, status, error, undefined, undefined, { attempts, expectWorkerId: this.workerId }), log);
    if (!row) {
      // Not this worker's any more (recovery resumed it elsewhere while this one was taken for
      // dead), or already ended (a stop during a retry wait): the row keeps what its holder says.
      log.warn({ status }, 'execution not recorded as ended here: no longer held by this worker, or already ended');
      // Its span and captured lines are closed without an outcome (no metrics, no alert from here).
      this.observer.executionWaiting({ execution, log });
      return (await this.executions.findById(execution.id))?.status ?? status;
    }
    const durationMs = row.completed_at && row.started_at ? row.completed_at.getTime() - row.started_at.getTime() : null;
    log.info({ status, duration_ms: durationMs }, 'execution finished');
    this.observer.executionFinished({ execution: row, status: row.status, error, durationMs, log });
    return row.status;
  }
}
