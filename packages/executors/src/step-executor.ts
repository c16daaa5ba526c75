import type { ClassConstructor } from 'class-transformer';
import type { Logger } from 'pino';
import type { FileEntry } from '@vecron/context';
import type { ObjectStorage } from '@vecron/storage';

/** What an executor gets besides its config for one run of one step. */
export interface StepRunContext {
  jobId: string;
  executionId: string;
  stepId: string;
  /**
   * Job-level timeout / cancellation. Every executor must honour it: stop its work
   * promptly and reject with StepAbortedError once it is aborted.
   */
  signal: AbortSignal;
  /** pino child logger bound to job_id / execution_id / step_id. */
  logger: Logger;
  storage: ObjectStorage;
  /** 1 for the first attempt of the execution, 2 for the first retry, … */
  attempt: number;
  /**
   * Registers a file the step produced (written to object storage or downloaded). The worker
   * appends the entries to the context's `files` only when the step succeeds, so a failed step
   * leaves no partial file registered.
   */
  addFile(file: FileEntry): void;
  /**
   * Resolves one template (`{{path}}` or `${NAME}`, the whole string) against this step's scope,
   * keeping the value's JSON type; throws @vecron/context TemplateError when it does not resolve.
   * Given by the worker for the fields an executor keeps raw in `resolveConfig` (the database
   * step's `query`, whose templates become bind parameters, never SQL text).
   */
  resolveTemplate?(template: string): unknown;
}

/** Resolves every template inside a JSON value (the worker's resolver, bound to the step's scope). */
export type ResolveTemplates = (value: unknown) => unknown;

/**
 * The extension point for step types. `configClass` is a class-validator class
 * that validates the config AFTER template resolution; `execute` receives the
 * validated instance and returns the output stored at `steps.{id}.output`.
 * Failures are StepError subclasses (their `retryable` flag drives retries).
 */
export interface StepExecutor<TConfig extends object = object, TOutput = unknown> {
  readonly type: string;
  readonly configClass: ClassConstructor<TConfig>;
  execute(config: TConfig, run: StepRunContext): Promise<TOutput>;
  /**
   * Optional: resolves the templates of the raw config (before validation). Without it the
   * worker resolves every string (`resolve(rawConfig)`). An executor that must not have some
   * field spliced (SQL text) resolves the rest with `resolve` and keeps that field raw, then
   * resolves its templates itself at run time through `run.resolveTemplate`.
   */
  resolveConfig?(rawConfig: unknown, resolve: ResolveTemplates): unknown;
  /**
   * Optional: the remote target a step with this (validated) config talks to, for the worker's
   * circuit breakers (`host:port`, a database `host:port/db`). Undefined: no breaker (local work).
   */
  circuitTarget?(config: TConfig): string | undefined;
  /** Optional: releases what the executor holds across steps (connection pools) at shutdown. */
  close?(): Promise<void>;
}
