import type { Logger } from 'pino';
import {
  appendFiles,
  createJobContext,
  createTemplateScope,
  evaluateCondition,
  maskDeep,
  recordStepFailure,
  recordStepSkipped,
  recordStepSuccess,
  resolveTemplates,
  resolveTemplateString,
  toStepError,
  type ContextStore,
  type FileEntry,
  type JobContext,
  type WebhookData,
} from '@vecron/context';
import type { ExecutionError, ExecutionRecord, ExecutionsRepository, ExecutionStatus, NewAttempt, StopRequest } from '@vecron/db';
import type { JobDefinition, StepDefinition } from '@vecron/definitions';
import { StepError, type ExecutorRegistry } from '@vecron/executors';
import { ObjectNotFoundError, type ObjectStorage } from '@vecron/storage';
import { ExecutionAbort } from './execution-abort.error';
import { decideRetry, type RandomSource } from './retry.policy';
import { NO_STORE_RETRY, StoreOutageError, StoreOutageGuard } from './store-outage.guard';
import type { StepCircuitGuard } from './step-circuit.guard';

/** One execution's run through its steps. */
export interface StepLoopInput {
  execution: ExecutionRecord;
  definition: JobDefinition;
  /** Clear variable values, for templates. */
  values: Record<string, string>;
  /** The variables as stored in the context (sensitive ones masked). */
  storedVariables: Record<string, string>;
  /** Sensitive values to mask in the stored context and error messages. */
  secrets: string[];
  /** Aborted by the execution's timeout, the worker's shutdown or a stop (reason: ExecutionAbort). */
  signal: AbortSignal;
  /** Aborts the signal for a stop found on the row between steps. */
  stop: (request: StopRequest) => void;
  /** The execution's logger (job_id, execution_id; masking its secrets). */
  log: Logger;
  /** Start at a step instead of the first one (a resume, or a replay from the failed step). */
  start?: StepLoopStart;
}

/** Where a resumed run starts and which saved context it continues from. */
export interface StepLoopStart {
  stepId: string;
  /** The attempt number that step runs as (later steps start at 1). */
  attempt: number;
  /**
   * The execution whose saved context holds the steps before `stepId`: this execution itself (a
   * resume), or the replayed original (only its steps before `stepId`, its files and webhook data
   * are taken).
   */
  contextOf: { jobId: string; executionId: string };
}

export type StepLoopResult =
  /** The run ended (terminal status). */
  | { status: ExecutionStatus; error: ExecutionError | null; attempts: NewAttempt[] }
  /** A step failed with a retryable error and has retries left: resume it at `attempt` after `delayMs`. */
  | { status: 'running'; wait: { stepId: string; attempt: number; delayMs: number }; error: ExecutionError; attempts: NewAttempt[] };

/**
 * Runs an execution's steps in order through the executor registry: a step whose condition is
 * false is skipped, templates are resolved against the context, the first failure ends the run
 * naming the step. A retryable failure with retries left (`decideRetry`) ends the run with a
 * `wait`: the runner schedules a delayed resume at that step (no sleeping in the worker). A run
 * may start at a given step from a saved context (`start`). The whole context is saved to
 * object storage after every step (and before the first one of a resumed run); every attempt is returned for
 * the execution's attempt records.
 */
export class StepLoop {
  constructor(
    private readonly registry: ExecutorRegistry,
    private readonly storage: ObjectStorage,
    private readonly contexts: ContextStore,
    private readonly executions: ExecutionsRepository,
    /** Jitter's random source (tests inject their own). */
    private readonly random: RandomSource = Math.random,
    /** Rides out S3/PostgreSQL outages around the context saves and step records. */
    private readonly outage: StoreOutageGuard = new StoreOutageGuard(NO_STORE_RETRY),
    /** Circuit breakers per target (none: steps always run). */
    private readonly circuits?: StepCircuitGuard,
  ) {}

  async run(input: StepLoopInput): Promise<StepLoopResult> {
    const { execution, definition, secrets, signal, log, start } = input;
    const mask = <T>(v: T): T => (secrets.length ? maskDeep(v, secrets) : v);
    // The system's own stores restarting: the save waits for them (the step is not run again).
    let saved = false;
    const save = async (ctx: JobContext): Promise<void> => {
      await this.outage.run('save the context', () => this.contexts.save(mask(ctx)), log, signal);
      saved = true;
    };
    const startedAt = execution.started_at ?? new Date();
    const timezone = definition.schedule && 'timezone' in definition.schedule ? definition.schedule.timezone : undefined;
    const webhook = execution.trigger_metadata.webhook as WebhookData | undefined;
    let context: JobContext = createJobContext({ executionId: execution.id, jobId: execution.job_id, variables: input.storedVariables, ...(webhook ? { webhook } : {}) });
    let status: ExecutionStatus = 'success';
    let error: ExecutionError | null = null;
    let currentStep: string | null = null;
    let currentAttempt = start?.attempt ?? 1;
    let wait: { stepId: string; attempt: number; delayMs: number } | null = null;
    const attempts: NewAttempt[] = [];
    let startIndex = 0;
    try {
      if (start) {
        startIndex = definition.steps.findIndex((s) => s.id === start.stepId);
        if (startIndex < 0) {
          const message = `step "${start.stepId}" to resume at is not in definition version ${execution.definition_version}`;
          return { status: 'failed', error: { message, step_id: start.stepId, code: 'RESUME_STEP_UNKNOWN' }, attempts };
        }
        currentStep = start.stepId;
        context = await this.outage.run('load the saved context', () => this.continuedContext(context, start, definition.steps.slice(0, startIndex)), log, signal);
        await save(context);
      }
      // A fresh run's context holds nothing yet that the row and the definition do not say: it is
      // first saved after the first step (a resume before then starts from a fresh context).
      for (const [index, step] of definition.steps.entries()) {
        if (index < startIndex) continue;
        if (signal.aborted) break;
        const attempt = start && index === startIndex ? start.attempt : 1;
        [currentStep, currentAttempt] = [step.id, attempt];
        const scope = createTemplateScope({ context, variables: input.values, startedAt, timezone, attempt, triggerSource: execution.trigger_source });
        const stepStart = new Date();
        try {
          if (step.condition && !evaluateCondition(step.condition, scope)) {
            context = recordStepSkipped(context, step.id);
            log.info({ step_id: step.id }, 'step skipped: condition is false');
            await save(context);
            continue;
          }
          // A stop whose announcement this worker missed is on the row: checked before each step
          // (the first step of a fresh run was recorded by the claim, which returned the stop flags).
          const recordedByClaim = !start && index === 0 && execution.current_step === step.id;
          const stop = recordedByClaim ? null : await this.outage.run('record the current step', () => this.executions.setCurrentStep(execution.id, step.id), log, signal);
          if (stop) input.stop(stop);
          if (signal.aborted) break;
          // The executor may keep fields raw (SQL text) and resolve their templates itself (as bind values).
          const config = this.registry.resolveConfig(step.type, step.config, (value) => resolveTemplates(value, scope));
          const resolveTemplate = (template: string): unknown => resolveTemplateString(template, scope);
          const files: FileEntry[] = [];
          const output = await this.runStep(step, config, input, files, resolveTemplate, attempt);
          context = recordStepSuccess(context, step.id, output, { startedAt: stepStart });
          if (files.length > 0) context = appendFiles(context, files);
          attempts.push({ step_id: step.id, attempt, status: 'success', started_at: stepStart, finished_at: new Date() });
          await save(context);
        } catch (err) {
          // The context could not be saved: nothing more can be recorded; the step is not reported done.
          if (err instanceof StoreOutageError) {
            if (attempts.at(-1)?.step_id === step.id && attempts.at(-1)?.status === 'success') attempts.pop();
            throw err;
          }
          const abort = signal.reason instanceof ExecutionAbort ? signal.reason : null;
          const message = mask(abort ? (abort.code ? abort.message : `${abort.message} (during step "${step.id}")`) : (err as Error).message);
          context = recordStepFailure(context, step.id, { ...toStepError(abort ?? err), message }, { startedAt: stepStart });
          error = {
            message,
            step_id: step.id,
            ...(abort?.code ? { code: abort.code } : err instanceof StepError ? { code: err.code, retryable: err.retryable } : { code: (err as Error).name }),
          };
          // Retried on a delayed Bull job (no worker slot held while waiting), unless the run was aborted.
          const decision = abort ? null : decideRetry(step, definition, err, attempt, this.random);
          status = abort ? abort.status : decision?.retry === false && decision.reason === 'exhausted' ? 'dead_letter' : 'failed';
          const finishedAt = new Date();
          attempts.push({
            step_id: step.id, attempt, status: 'failed', error_code: error.code ?? null, error_message: message, retryable: error.retryable ?? false,
            started_at: stepStart, finished_at: finishedAt,
            next_attempt_at: decision?.retry ? new Date(finishedAt.getTime() + decision.delayMs) : null,
          });
          await save(context);
          if (decision?.retry) {
            wait = { stepId: step.id, attempt: decision.attempt, delayMs: decision.delayMs };
            log.warn({ step_id: step.id, attempt, next_attempt: decision.attempt, delay_ms: decision.delayMs, err: message }, 'step failed with a retryable error; retry scheduled');
          } else {
            log.warn({ step_id: step.id, attempt, err: message, status }, 'step failed');
          }
          break;
        }
      }
      if (wait && error) return { status: 'running', wait, error, attempts };
      // Ended before any step (stopped or timed out before the first one): the context is saved once.
      if (!saved) await save(context);
      if (status === 'success' && signal.aborted) {
        const abort = signal.reason as ExecutionAbort;
        status = abort.status;
        error = { message: abort.message, ...(abort.code ? { code: abort.code } : {}) };
      }
    } catch (err) {
      // A store still unreachable after the in-place wait: like a retryable step error, the
      // execution waits for a delayed resume at the step in progress (run again, as the same
      // attempt: its outcome was not recorded), bounded by the job's timeout.
      const resumeAt = currentStep ?? definition.steps[startIndex]?.id;
      if (err instanceof StoreOutageError && !signal.aborted && resumeAt && this.outage.handsOver) {
        const message = mask(`execution could not continue: ${err.message}`);
        log.warn({ step_id: resumeAt, delay_ms: this.outage.resumeDelayMs, err: message }, 'store still unreachable; resume scheduled');
        return { status: 'running', wait: { stepId: resumeAt, attempt: currentAttempt, delayMs: this.outage.resumeDelayMs }, error: { message, step_id: resumeAt, code: err.code, retryable: true }, attempts };
      }
      // Other infrastructure failures: the execution fails, never stays running, and never
      // claims a step it could not record.
      const abort = signal.reason instanceof ExecutionAbort ? signal.reason : null;
      status = abort ? abort.status : 'failed';
      error = {
        message: mask(`execution could not continue: ${(err as Error).message}`),
        ...(err instanceof StoreOutageError ? { code: err.code, retryable: true } : {}),
        ...(currentStep ? { step_id: currentStep } : {}),
      };
      log.error({ err }, 'execution aborted by an infrastructure error');
    }
    return { status, error, attempts };
  }

  /**
   * The context a resumed run continues from. A resume of this execution: its own saved context
   * (the variables refreshed). A replay: a new context holding the original's states of the
   * steps before the start step, its files and its webhook data.
   */
  private async continuedContext(fresh: JobContext, start: StepLoopStart, before: StepDefinition[]): Promise<JobContext> {
    const own = start.contextOf.executionId === fresh.execution_id;
    let saved: JobContext;
    try {
      saved = await this.contexts.load(start.contextOf.jobId, start.contextOf.executionId);
    } catch (err) {
      // Resumed before its first step ended (its worker died, or the store was down): nothing was saved yet.
      if (own && err instanceof ObjectNotFoundError) return fresh;
      throw err;
    }
    if (own) return { ...saved, variables: fresh.variables };
    const steps: JobContext['steps'] = {};
    for (const s of before) if (saved.steps[s.id]) steps[s.id] = saved.steps[s.id]!;
    return { ...fresh, steps, files: [...saved.files], ...(saved.webhook && !fresh.webhook ? { webhook: saved.webhook } : {}) };
  }

  /** Runs one attempt of a step. */
  private runStep(
    step: StepDefinition,
    config: unknown,
    input: StepLoopInput,
    files: FileEntry[],
    resolveTemplate: (template: string) => unknown,
    attempt: number,
  ): Promise<unknown> {
    const { execution, signal } = input;
    const log = input.log.child({ step_id: step.id });
    const call = (): Promise<unknown> =>
      this.registry.run(step.type, config, {
        jobId: execution.job_id,
        executionId: execution.id,
        stepId: step.id,
        signal,
        logger: log,
        storage: this.storage,
        attempt,
        addFile: (file) => void files.push(file),
        resolveTemplate,
      });
    // Through the target's circuit breaker (shared by every worker), when it has one.
    return this.circuits ? this.circuits.run(step.type, config, log, call) : call();
  }
}
