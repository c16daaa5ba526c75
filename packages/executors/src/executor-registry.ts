import type { ClassConstructor } from 'class-transformer';
import { StepAbortedError, StepConfigError, UnknownStepTypeError, wrapStepError, type StepConfigIssue } from './errors';
import type { ResolveTemplates, StepExecutor, StepRunContext } from './step-executor';
import { validateStepConfig } from './validate-step-config';

/**
 * Any executor, whatever its config/output types. `execute` is declared with method
 * syntax in StepExecutor, so a StepExecutor<HttpStepConfig, HttpStepOutput> fits here.
 */
export type AnyStepExecutor = StepExecutor<object, unknown>;

/**
 * The step types this process can run. Built once at start-up from a list of
 * executors; the worker calls `run(type, resolvedConfig, ctx)` for each step.
 *
 * It is also the step-type catalog of the job-definition validator (`StepTypeCatalog` of
 * @vecron/definitions, matched structurally so neither package imports the other): `types()`,
 * `validateConfig(type, config)` (save mode) and `configClass(type)` (for the JSON Schema).
 */
export class ExecutorRegistry {
  /** Configs validated, by the resolved config object (see `validated`). */
  private readonly validations = new WeakMap<object, { executor: AnyStepExecutor; config: object }>();

  private readonly executors = new Map<string, AnyStepExecutor>();

  constructor(executors: readonly AnyStepExecutor[]) {
    for (const executor of executors) {
      if (this.executors.has(executor.type)) {
        throw new Error(`duplicate executor for step type "${executor.type}"`);
      }
      this.executors.set(executor.type, executor);
    }
  }

  /** Registered step types, sorted. */
  types(): string[] {
    return [...this.executors.keys()].sort();
  }

  /**
   * Problems of a config as written in a job definition: validateStepConfig in `save` mode
   * (template-tolerant), paths relative to the config (`url`, `auth.token`, `` for the config
   * itself). [] when valid. Throws UnknownStepTypeError for an unregistered type.
   */
  validateConfig(type: string, config: unknown): StepConfigIssue[] {
    try {
      validateStepConfig(this.get(type), config, { mode: 'save' });
      return [];
    } catch (err) {
      if (!(err instanceof StepConfigError)) throw err;
      return err.issues.map((issue) => ({ path: relativeToConfig(issue.path), message: issue.message }));
    }
  }

  /** The config class of `type` (its one schema); throws UnknownStepTypeError for an unregistered type. */
  configClass(type: string): ClassConstructor<object> {
    return this.get(type).configClass;
  }

  has(type: string): boolean {
    return this.executors.has(type);
  }

  /** The executor for `type`; throws UnknownStepTypeError when there is none. */
  get(type: string): AnyStepExecutor {
    const executor = this.executors.get(type);
    if (!executor) throw new UnknownStepTypeError(type, this.types());
    return executor;
  }

  /**
   * Start-up check: throws (naming every missing type) unless all `types` are
   * registered, so a worker missing a step type fails at boot, not mid-execution.
   */
  assertSupports(types: Iterable<string>): void {
    const missing = [...new Set(types)].filter((t) => !this.executors.has(t)).sort();
    if (missing.length > 0) {
      throw new Error(
        `unsupported step type${missing.length > 1 ? 's' : ''}: ${missing.map((t) => `"${t}"`).join(', ')} ` +
          `(registered: ${this.types().join(', ') || 'none'})`,
      );
    }
  }

  /**
   * Resolves the templates of a step's raw config: the executor's own `resolveConfig` when it
   * has one (fields it keeps raw, e.g. SQL text), otherwise `resolve(rawConfig)`. An unknown
   * type is resolved plainly (run() reports it).
   */
  resolveConfig(type: string, rawConfig: unknown, resolve: ResolveTemplates): unknown {
    const executor = this.executors.get(type);
    return executor?.resolveConfig ? executor.resolveConfig(rawConfig, resolve) : resolve(rawConfig);
  }

  /**
   * The circuit-breaker target of a step (`StepExecutor.circuitTarget` on its validated config);
   * undefined when the type names none or the config is invalid (run() reports that).
   */
  circuitTarget(type: string, rawConfig: unknown): string | undefined {
    const executor = this.executors.get(type);
    if (!executor?.circuitTarget) return undefined;
    try {
      return executor.circuitTarget(this.validated(executor, rawConfig));
    } catch {
      return undefined;
    }
  }

  /**
   * The validated config of a step attempt. The worker asks for the circuit target and then
   * runs the step with the same resolved config object: it is validated once (by object, not
   * by content; a config object is never changed once resolved).
   */
  private validated(executor: AnyStepExecutor, rawConfig: unknown): object {
    const cacheable = typeof rawConfig === 'object' && rawConfig !== null;
    const known = cacheable ? this.validations.get(rawConfig) : undefined;
    if (known && known.executor === executor) return known.config;
    const config = validateStepConfig(executor, rawConfig);
    if (cacheable) this.validations.set(rawConfig, { executor, config });
    return config;
  }

  /** Releases every executor's long-lived resources (connection pools); errors are ignored. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.executors.values()].map((e) => e.close?.()));
  }

  /**
   * Validates the (template-resolved) config, then executes the step. Always rejects
   * with a StepError: executor StepErrors pass through; anything else is wrapped —
   * StepAbortedError when the job signal is aborted, UnrecoverableStepError
   * (`INTERNAL_ERROR`) for programming errors (TypeError, RangeError…), otherwise
   * RetryableStepError (`UNEXPECTED_ERROR`).
   */
  async run(type: string, rawConfig: unknown, run: StepRunContext): Promise<unknown> {
    const executor = this.get(type);
    const config = this.validated(executor, rawConfig);
    if (run.signal.aborted) throw new StepAbortedError(run.signal.reason);
    try {
      return await executor.execute(config, run);
    } catch (err) {
      throw wrapStepError(err, run.signal);
    }
  }
}

/** `config.auth.token` → `auth.token`, `config` → ``, `config[0]` → `[0]`. */
function relativeToConfig(path: string): string {
  if (path === 'config') return '';
  if (path.startsWith('config.')) return path.slice('config.'.length);
  if (path.startsWith('config[')) return path.slice('config'.length);
  return path;
}
