import { hostname } from 'os';
import { Inject, Injectable } from '@nestjs/common';
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
  type ResolvedVariables,
  type StopRequest,
} from '@vecron/db';
import { nextFireTime, type JobDefinition } from '@vecron/definitions';
import { WORKER_CONFIG, type WorkerEnv } from '../config/worker.env';
import { DefinitionCache } from './definition.cache';
import { ExecutionAbort, type AbortCause } from './execution-abort.error';
import { ExecutionClaimService } from './execution-claim.service';
import { SecretMaskingLogger } from './secret-masking.logger';
import { StepLoop } from './step-loop.service';

interface RunState {
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Runs one execution: claim it (pending → running, once), load the definition version it
 * names, run its steps (StepLoop) under the job's timeout, finish in success / failed /
 * timeout / cancelled, and for a fixed-delay schedule set the next fire from the end of this run.
 * Keeps the executions in flight for the heartbeat and the shutdown.
 */
@Injectable()
export class ExecutionRunner {
  private readonly running = new Map<string, RunState>();
  readonly workerId: string;

  constructor(
    @Inject(WORKER_CONFIG) config: WorkerEnv,
    private readonly executions: ExecutionsRepository,
    private readonly jobs: JobsRepository,
    private readonly claims: ExecutionClaimService,
    private readonly definitions: DefinitionCache,
    private readonly steps: StepLoop,
    private readonly loggers: SecretMaskingLogger,
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

  /** Resolves when no execution is in flight. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }

  /** Aborts every in-flight execution (shutdown after the grace period). */
  abortAll(cause: AbortCause, message: string): void {
    for (const r of this.running.values()) r.controller.abort(new ExecutionAbort(cause, message));
  }

  /**
   * Runs a delivered execution. Returns its final status, `cancelled` when it was skipped for an
   * overlapping run, or null when there was nothing to do (a duplicate delivery).
   */
  async run(executionId: string): Promise<ExecutionStatus | null> {
    const claim = await this.claims.claim(executionId, this.workerId);
    if (!claim.claimed) return claim.skipped ? 'cancelled' : null;
    const controller = new AbortController();
    let release!: () => void;
    const done = new Promise<void>((r) => (release = r));
    this.running.set(executionId, { controller, done });
    // Stopped after the api's read but before this claim: the claim returned the flag.
    const requested = stopRequestOf(claim.execution);
    if (requested) this.stop(requested);
    try {
      return await this.execute(claim.execution, claim.variables, controller);
    } finally {
      this.running.delete(executionId);
      release();
    }
  }

  private async execute(execution: ExecutionRecord, resolved: ResolvedVariables | Error, controller: AbortController): Promise<ExecutionStatus> {
    const bindings = { job_id: execution.job_id, execution_id: execution.id };
    let definition: JobDefinition;
    try {
      definition = await this.definitions.get(execution.job_id, execution.definition_version);
    } catch (err) {
      const message = `definition version ${execution.definition_version} could not be loaded: ${(err as Error).message}`;
      return this.finish(execution, 'failed', { message }, this.loggers.forExecution(bindings, []));
    }
    if (resolved instanceof Error) {
      return this.finish(execution, 'failed', { message: `variables could not be read: ${resolved.message}` }, this.loggers.forExecution(bindings, []));
    }
    const secrets: string[] = [];
    const storedVariables: Record<string, string> = {};
    for (const [name, value] of Object.entries(resolved.values)) {
      const sensitive = resolved.sensitive.has(name);
      if (sensitive && value.length > 0) secrets.push(value);
      storedVariables[name] = sensitive ? SECRET_MASK : value;
    }
    const log = this.loggers.forExecution(bindings, secrets);

    const timer = setTimeout(
      () => controller.abort(new ExecutionAbort('timeout', `execution exceeded timeout_seconds=${definition.timeout_seconds}`)),
      definition.timeout_seconds * 1000,
    );
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
      });
    } finally {
      clearTimeout(timer);
    }
    const final = await this.finish(execution, result.status, result.error, log);
    await this.claims.afterFinish(execution, definition);
    if (definition.schedule?.type === 'fixed_delay' && definition.triggers.scheduled && execution.trigger_source === 'scheduled') {
      await this.jobs.setNextRunAfterRun(execution.job_id, nextFireTime(definition.schedule, { after: new Date(), lastFinishedAt: new Date() }));
    }
    return final;
  }

  private async finish(execution: ExecutionRecord, status: ExecutionStatus, error: ExecutionError | null, log: Logger): Promise<ExecutionStatus> {
    const row = await this.executions.finish(execution.id, status, error);
    log.info({ status, duration_ms: row?.completed_at && row.started_at ? row.completed_at.getTime() - row.started_at.getTime() : null }, 'execution finished');
    return row?.status ?? status;
  }
}
