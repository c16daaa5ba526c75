import { Inject } from '@nestjs/common';
import type { StepTypeCatalog } from '@vecron/definitions';
import { EXECUTOR_REGISTRY, ExecutorRegistry } from '@vecron/executors';

/**
 * The api's step-type catalog is the executors' registry (ExecutorsModule, built-in executors):
 * job definitions are validated against the same config classes the worker runs them with, and
 * the JSON Schema lists exactly the registered step types.
 */
export const InjectStepTypes = (): ParameterDecorator => Inject(EXECUTOR_REGISTRY);

/** Compile-time proof that the registry is a StepTypeCatalog (the packages only match structurally). */
export function asStepTypeCatalog(registry: ExecutorRegistry): StepTypeCatalog {
  return registry;
}
