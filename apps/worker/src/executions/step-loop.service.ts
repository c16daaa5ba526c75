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
import type { ExecutionError, ExecutionRecord, ExecutionsRepository, ExecutionStatus, StopRequest } from '@vecron/db';
import type { JobDefinition, StepDefinition } from '@vecron/definitions';
import { StepError, type ExecutorRegistry } from '@vecron/executors';
import type { ObjectStorage } from '@vecron/storage';
import { ExecutionAbort } from './execution-abort.error';
import { decideRetry, type RetrySettings } from './retry.policy';
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
}

export interface StepLoopResult {
  status: ExecutionStatus;
  error: ExecutionError | null;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * Runs an execution's steps in order through the executor registry: a step whose condition is
 * false is skipped, templates are resolved against the context, a retryable failure is retried
 * as `decideRetry` says, the first failure ends the run naming the step. The whole context is
 * saved to object storage before the first step and after every step.
 */
export class StepLoop {
  constructor(
    private readonly registry: ExecutorRegistry,
    private readonly storage: ObjectStorage,
    private readonly contexts: ContextStore,
    private readonly executions: ExecutionsRepository,
    private readonly retry: RetrySettings,
    /** Circuit breakers per target (none: steps always run). */
    private readonly circuits?: StepCircuitGuard,
  ) {}

  async run(input: StepLoopInput): Promise<StepLoopResult> {
    const { execution, definition, secrets, signal, log } = input;
    const mask = <T>(v: T): T => (secrets.length ? maskDeep(v, secrets) : v);
    const save = (ctx: JobContext) => this.contexts.save(mask(ctx));
    const startedAt = execution.started_at ?? new Date();
    const timezone = definition.schedule && 'timezone' in definition.schedule ? definition.schedule.timezone : undefined;
    const webhook = execution.trigger_metadata.webhook as WebhookData | undefined;
    let context: JobContext = createJobContext({ executionId: execution.id, jobId: execution.job_id, variables: input.storedVariables, ...(webhook ? { webhook } : {}) });
    let status: ExecutionStatus = 'success';
    let error: ExecutionError | null = null;
    try {
      await save(context);
      for (const step of definition.steps) {
        if (signal.aborted) break;
        const scope = createTemplateScope({ context, variables: input.values, startedAt, timezone, attempt: execution.attempt, triggerSource: execution.trigger_source });
        const stepStart = new Date();
        try {
          if (step.condition && !evaluateCondition(step.condition, scope)) {
            context = recordStepSkipped(context, step.id);
            log.info({ step_id: step.id }, 'step skipped: condition is false');
            await save(context);
            continue;
          }
          // A stop whose announcement this worker missed is on the row: checked before each step.
          const stop = await this.executions.setCurrentStep(execution.id, step.id);
          if (stop) input.stop(stop);
          if (signal.aborted) break;
          // The executor may keep fields raw (SQL text) and resolve their templates itself (as bind values).
          const config = this.registry.resolveConfig(step.type, step.config, (value) => resolveTemplates(value, scope));
          const resolveTemplate = (template: string): unknown => resolveTemplateString(template, scope);
          const files: FileEntry[] = [];
          const output = await this.runStep(step, config, input, files, resolveTemplate);
          context = recordStepSuccess(context, step.id, output, { startedAt: stepStart });
          if (files.length > 0) context = appendFiles(context, files);
          await save(context);
        } catch (err) {
          const abort = signal.reason instanceof ExecutionAbort ? signal.reason : null;
          const message = mask(abort ? (abort.code ? abort.message : `${abort.message} (during step "${step.id}")`) : (err as Error).message);
          context = recordStepFailure(context, step.id, { ...toStepError(abort ?? err), message }, { startedAt: stepStart });
          await save(context);
          status = abort ? abort.status : 'failed';
          error = {
            message,
            step_id: step.id,
            ...(abort?.code ? { code: abort.code } : err instanceof StepError ? { code: err.code, retryable: err.retryable } : { code: (err as Error).name }),
          };
          log.warn({ step_id: step.id, err: message, status }, 'step failed');
          break;
        }
      }
      if (status === 'success' && signal.aborted) {
        const abort = signal.reason as ExecutionAbort;
        status = abort.status;
        error = { message: abort.message, ...(abort.code ? { code: abort.code } : {}) };
      }
    } catch (err) {
      // Infrastructure failure (context could not be saved…): the execution fails, never stays running.
      status = 'failed';
      error = { message: mask(`execution could not continue: ${(err as Error).message}`) };
      log.error({ err }, 'execution aborted by an infrastructure error');
    }
    return { status, error };
  }

  /** Runs one step; a failed attempt is tried again when decideRetry says so (step retry over job retry). */
  private async runStep(
    step: StepDefinition,
    config: unknown,
    input: StepLoopInput,
    files: FileEntry[],
    resolveTemplate: (template: string) => unknown,
  ): Promise<unknown> {
    const { execution, definition, signal } = input;
    const stepLog = input.log.child({ step_id: step.id });
    for (let attempt = 1; ; attempt++) {
      try {
        const call = (): Promise<unknown> => this.registry.run(step.type, config, {
          jobId: execution.job_id,
          executionId: execution.id,
          stepId: step.id,
          signal,
          logger: stepLog,
          storage: this.storage,
          attempt,
          // Only the successful attempt's files count.
          addFile: (file) => void files.push(file),
          resolveTemplate,
        });
        return await (this.circuits ? this.circuits.run(step.type, config, stepLog, call) : call());
      } catch (err) {
        if (signal.aborted) throw err;
        const decision = decideRetry(step, definition, err, attempt, this.retry);
        if (!decision.retry) throw err;
        files.length = 0;
        stepLog.warn({ attempt, backoff_ms: decision.delayMs, err: (err as Error).message }, 'step failed with a retryable error; retrying');
        await sleep(decision.delayMs, signal);
        if (signal.aborted) throw err;
      }
    }
  }
}
