import { hostname } from 'os';
import { Inject, Injectable } from '@nestjs/common';
import pino, { type Logger } from 'pino';
import {
  SECRET_MASK,
  appendFiles,
  ContextStore,
  createJobContext,
  createTemplateScope,
  evaluateCondition,
  maskDeep,
  maskSecrets,
  recordStepFailure,
  recordStepSkipped,
  recordStepSuccess,
  toStepError,
  resolveTemplates,
  resolveTemplateString,
  type FileEntry,
  type JobContext,
  type WebhookData,
} from '@vecron/context';
import { ConcurrentRunError, Database, ExecutionsRepository, JobsRepository, VariablesRepository, type ExecutionError, type ResolvedVariables, type ExecutionRecord, type ExecutionStatus } from '@vecron/db';
import { nextFireTime, type JobDefinition, type StepDefinition } from '@vecron/definitions';
import { ExecutorRegistry, StepError } from '@vecron/executors';
import { OBJECT_STORAGE, jobDefinitionVersionKey, type ObjectStorage } from '@vecron/storage';
import { WORKER_CONFIG, type WorkerEnv } from '../config/worker.env';

/** Why an execution's signal was aborted. */
export type AbortCause = 'timeout' | 'shutdown';

export class ExecutionAbort extends Error {
  constructor(public readonly abortCause: AbortCause, message: string) {
    super(message);
    this.name = 'ExecutionAbort';
  }

  /** The terminal status an execution aborted this way ends in. */
  get status(): ExecutionStatus {
    return this.abortCause === 'timeout' ? 'timeout' : 'failed';
  }
}

/** Most definition versions kept in memory (oldest inserted is dropped first). */
const DEFINITION_CACHE_SIZE = 1000;

interface RunState {
  controller: AbortController;
  done: Promise<void>;
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
 * Runs one execution: claim (pending → running), load the definition version it names,
 * run the steps in order through the executor registry, save the whole context after every
 * step, finish in success / failed / timeout / cancelled.
 */
@Injectable()
export class ExecutionRunner {
  private readonly logger: Logger;
  private readonly destination: ReturnType<typeof pino.destination>;
  private readonly running = new Map<string, RunState>();
  private readonly contexts: ContextStore;
  /** Definition versions never change once written, so each is read from storage once per process. */
  private readonly definitions = new Map<string, JobDefinition>();
  readonly workerId: string;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerEnv,
    private readonly db: Database,
    private readonly executions: ExecutionsRepository,
    private readonly jobs: JobsRepository,
    private readonly variables: VariablesRepository,
    private readonly registry: ExecutorRegistry,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
  ) {
    this.destination = pino.destination({ dest: 1, sync: false });
    this.logger = pino({ name: 'vecron-worker', level: config.LOG_LEVEL }, this.destination);
    this.contexts = new ContextStore({ storage });
    this.workerId = config.WORKER_ID ?? `${hostname()}:${process.pid}`;
  }

  /** Heartbeat: tells the system database which executions this worker is still running. */
  async heartbeat(): Promise<void> {
    await this.executions.touchRunning([...this.running.keys()]);
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

  async run(executionId: string): Promise<ExecutionStatus | null> {
    let claimed: { execution: ExecutionRecord | null; variables: ResolvedVariables | Error } | null;
    try {
      claimed = await this.claim(executionId);
    } catch (err) {
      if (!(err instanceof ConcurrentRunError)) throw err;
      return this.skipOverlap(err);
    }
    const execution = claimed?.execution ?? null;
    if (!execution) {
      this.logger.info({ execution_id: executionId }, 'execution already claimed or finished; delivery ignored');
      return null;
    }
    const controller = new AbortController();
    let release!: () => void;
    const done = new Promise<void>((r) => (release = r));
    this.running.set(executionId, { controller, done });
    try {
      return await this.execute(execution, claimed!.variables, controller);
    } finally {
      this.running.delete(executionId);
      release();
    }
  }

  /**
   * A logger for one execution. When the execution uses sensitive variables, every log line
   * goes through maskSecrets first, whatever the executor logs.
   */
  private executionLogger(execution: ExecutionRecord, secrets: string[]): Logger {
    const bindings = { job_id: execution.job_id, execution_id: execution.id };
    if (secrets.length === 0) return this.logger.child(bindings);
    return pino(
      {
        name: 'vecron-worker',
        level: this.config.LOG_LEVEL,
        hooks: {
          logMethod(args, method) {
            const masked = args.map((a: unknown) =>
              typeof a === 'string' ? maskSecrets(a, secrets) : a instanceof Error ? { err: { type: a.name, message: maskSecrets(a.message, secrets) } } : maskDeep(a, secrets),
            );
            method.apply(this, masked as Parameters<typeof method>);
          },
        },
      },
      this.destination,
    ).child(bindings);
  }

  private async loadDefinition(jobId: string, version: number): Promise<JobDefinition> {
    const key = jobDefinitionVersionKey(jobId, version);
    const cached = this.definitions.get(key);
    if (cached) return cached;
    const definition = JSON.parse((await this.storage.get(key)).toString('utf8')) as JobDefinition;
    if (this.definitions.size >= DEFINITION_CACHE_SIZE) this.definitions.delete(this.definitions.keys().next().value!);
    this.definitions.set(key, definition);
    return definition;
  }

  /**
   * pending → running, and the variables as they are at that instant (one repeatable-read
   * snapshot): a variable changed once the execution shows `running` applies to the next one.
   */
  private claim(executionId: string): Promise<{ execution: ExecutionRecord | null; variables: ResolvedVariables | Error }> {
    return this.db.transaction(
      async (tx) => {
        const execution = await this.executions.claim(executionId, this.workerId, tx);
        if (!execution) return { execution, variables: new Error('not claimed') };
        // A value that cannot be decrypted fails this execution, not the claim.
        const variables = await this.variables.resolveForJob(execution.job_id, tx).catch((err: unknown) => err as Error);
        return { execution, variables };
      },
      { repeatableRead: true },
    );
  }

  /** allow_concurrent=false and another run of the job is in flight: this one does not run. */
  private async skipOverlap(err: ConcurrentRunError): Promise<ExecutionStatus | null> {
    const row = await this.executions.finish(err.executionId, 'cancelled', { message: `skipped: ${err.message}`, code: 'CONCURRENT_RUN' });
    if (row?.trigger_source === 'scheduled' && row.scheduled_for) {
      await this.jobs.recordSkips([{ job_id: row.job_id, fire_time: row.scheduled_for, reason: 'previous_execution_still_running' }]);
    }
    this.logger.info({ job_id: row?.job_id, execution_id: err.executionId }, 'execution skipped: previous execution still running');
    return row ? 'cancelled' : null;
  }

  private async execute(execution: ExecutionRecord, resolved: ResolvedVariables | Error, controller: AbortController): Promise<ExecutionStatus> {
    let log = this.logger.child({ job_id: execution.job_id, execution_id: execution.id });
    let definition: JobDefinition;
    try {
      definition = await this.loadDefinition(execution.job_id, execution.definition_version);
    } catch (err) {
      return this.finish(execution, 'failed', { message: `definition version ${execution.definition_version} could not be loaded: ${(err as Error).message}` }, log);
    }

    if (resolved instanceof Error) {
      return this.finish(execution, 'failed', { message: `variables could not be read: ${resolved.message}` }, log);
    }
    const secrets = [...resolved.sensitive].map((n) => resolved.values[n]!).filter((v) => v.length > 0);
    const storedVariables = Object.fromEntries(Object.entries(resolved.values).map(([k, v]) => [k, resolved.sensitive.has(k) ? SECRET_MASK : v]));
    const mask = <T>(v: T): T => (secrets.length ? maskDeep(v, secrets) : v);
    const save = (ctx: JobContext) => this.contexts.save(mask(ctx));
    log = this.executionLogger(execution, secrets);

    const timeoutMs = definition.timeout_seconds * 1000;
    const timer = setTimeout(
      () => controller.abort(new ExecutionAbort('timeout', `execution exceeded timeout_seconds=${definition.timeout_seconds}`)),
      timeoutMs,
    );
    const startedAt = execution.started_at ?? new Date();
    const webhook = execution.trigger_metadata.webhook as WebhookData | undefined;
    let context: JobContext = createJobContext({ executionId: execution.id, jobId: execution.job_id, variables: storedVariables, ...(webhook ? { webhook } : {}) });
    let status: ExecutionStatus = 'success';
    let error: ExecutionError | null = null;
    try {
      await save(context);
      for (const step of definition.steps) {
        if (controller.signal.aborted) break;
        const scope = createTemplateScope({
          context,
          variables: resolved.values,
          startedAt,
          timezone: definition.schedule && 'timezone' in definition.schedule ? definition.schedule.timezone : undefined,
          attempt: execution.attempt,
          triggerSource: execution.trigger_source,
        });
        const stepStart = new Date();
        try {
          if (step.condition && !evaluateCondition(step.condition, scope)) {
            context = recordStepSkipped(context, step.id);
            log.info({ step_id: step.id }, 'step skipped: condition is false');
            await save(context);
            continue;
          }
          await this.executions.setCurrentStep(execution.id, step.id);
          // The executor may keep fields raw (SQL text) and resolve their templates itself (as bind values).
          const config = this.registry.resolveConfig(step.type, step.config, (value) => resolveTemplates(value, scope));
          const resolveTemplate = (template: string): unknown => resolveTemplateString(template, scope);
          const files: FileEntry[] = [];
          const output = await this.runStep(step, config, execution, definition, controller.signal, log, files, resolveTemplate);
          context = recordStepSuccess(context, step.id, output, { startedAt: stepStart });
          if (files.length > 0) context = appendFiles(context, files);
          await save(context);
        } catch (err) {
          const abort = controller.signal.reason instanceof ExecutionAbort ? controller.signal.reason : null;
          const message = mask(abort ? `${abort.message} (during step "${step.id}")` : (err as Error).message);
          context = recordStepFailure(context, step.id, { ...toStepError(abort ?? err), message }, { startedAt: stepStart });
          await save(context);
          status = abort ? abort.status : 'failed';
          error = {
            message,
            step_id: step.id,
            ...(err instanceof StepError ? { code: err.code, retryable: err.retryable } : { code: (err as Error).name }),
          };
          log.warn({ step_id: step.id, err: message, status }, 'step failed');
          break;
        }
      }
      if (status === 'success' && controller.signal.aborted) {
        const abort = controller.signal.reason as ExecutionAbort;
        status = abort.status;
        error = { message: abort.message };
      }
    } catch (err) {
      // Infrastructure failure (context could not be saved…): the execution fails, never stays running.
      status = 'failed';
      error = { message: mask(`execution could not continue: ${(err as Error).message}`) };
      log.error({ err }, 'execution aborted by an infrastructure error');
    } finally {
      clearTimeout(timer);
    }
    const final = await this.finish(execution, status, error, log);
    if (definition.schedule?.type === 'fixed_delay' && definition.triggers.scheduled && execution.trigger_source === 'scheduled') {
      await this.jobs.setNextRunAfterRun(execution.job_id, nextFireTime(definition.schedule, { after: new Date(), lastFinishedAt: new Date() }));
    }
    return final;
  }

  /** Runs one step, retrying retryable failures with exponential back-off up to max_retries. */
  private async runStep(
    step: StepDefinition,
    config: unknown,
    execution: ExecutionRecord,
    definition: JobDefinition,
    signal: AbortSignal,
    log: Logger,
    files: FileEntry[],
    resolveTemplate?: (template: string) => unknown,
  ): Promise<unknown> {
    const stepLog = log.child({ step_id: step.id });
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.registry.run(step.type, config, {
          jobId: execution.job_id,
          executionId: execution.id,
          stepId: step.id,
          signal,
          logger: stepLog,
          storage: this.storage,
          attempt,
          // Only the successful attempt's files count.
          addFile: (file) => void files.push(file),
          ...(resolveTemplate ? { resolveTemplate } : {}),
        });
      } catch (err) {
        const retryable = err instanceof StepError && err.retryable && !signal.aborted;
        if (!retryable || attempt > definition.max_retries) throw err;
        const backoff = Math.min(this.config.WORKER_RETRY_BASE_BACKOFF_MS * 2 ** (attempt - 1), this.config.WORKER_RETRY_MAX_BACKOFF_MS);
        files.length = 0;
        stepLog.warn({ attempt, backoff_ms: backoff, err: (err as Error).message }, 'step failed with a retryable error; retrying');
        await sleep(backoff, signal);
        if (signal.aborted) throw err;
      }
    }
  }

  private async finish(execution: ExecutionRecord, status: ExecutionStatus, error: ExecutionError | null, log: Logger): Promise<ExecutionStatus> {
    const row = await this.executions.finish(execution.id, status, error);
    log.info({ status, duration_ms: row?.completed_at && row.started_at ? row.completed_at.getTime() - row.started_at.getTime() : null }, 'execution finished');
    return row?.status ?? status;
  }
}
