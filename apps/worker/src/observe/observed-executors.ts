import type { AnyStepExecutor, StepRunContext } from '@vecron/executors';

/** What observes a step attempt (WorkerObserver.step). */
export interface StepObserver {
  step<T>(stepType: string, run: StepRunContext, fn: () => Promise<T>): Promise<T>;
}

/**
 * The executors, each wrapped so that every attempt runs through `observer.step` (span, duration,
 * retries). Everything else (config class, resolveConfig, close, whatever an executor adds) is the
 * executor's own, called on the executor itself; so the step loop needs no hook of its own.
 */
export function observeExecutors(executors: readonly AnyStepExecutor[], observer: StepObserver): AnyStepExecutor[] {
  return executors.map((executor) => {
    const execute: AnyStepExecutor['execute'] = (config, run) => observer.step(executor.type, run, () => executor.execute(config, run));
    return new Proxy(executor, {
      get(target, prop) {
        if (prop === 'execute') return execute;
        const value: unknown = Reflect.get(target, prop, target);
        // Methods are called on the executor itself; classes (configClass) are returned as they are.
        return typeof value === 'function' && !Object.prototype.hasOwnProperty.call(value, 'prototype') ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  });
}
