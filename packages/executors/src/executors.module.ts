import { Inject, Module, type DynamicModule, type OnApplicationShutdown, type InjectionToken, type ModuleMetadata, type OptionalFactoryDependency } from '@nestjs/common';
import { createBuiltInExecutors } from './built-in-executors';
import { ExecutorRegistry, type AnyStepExecutor } from './executor-registry';

/** DI token of the ExecutorRegistry (the class itself is also a token for it). */
export const EXECUTOR_REGISTRY = Symbol('EXECUTOR_REGISTRY');

export interface ExecutorsModuleOptions {
  /** Executors to register; default: every built-in executor (createBuiltInExecutors()). */
  executors?: AnyStepExecutor[];
}

export interface ExecutorsModuleAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  useFactory: (...args: never[]) => ExecutorsModuleOptions | Promise<ExecutorsModuleOptions>;
}

/** Thin Nest wrapper: provides an ExecutorRegistry under EXECUTOR_REGISTRY (and ExecutorRegistry). */
@Module({})
export class ExecutorsModule implements OnApplicationShutdown {
  constructor(@Inject(EXECUTOR_REGISTRY) private readonly registry: ExecutorRegistry) {}

  /**
   * Closes the executors' pools (database connections). On application shutdown, i.e. after
   * the worker drained its running executions in beforeApplicationShutdown.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.registry.close();
  }

  static forRoot(options: ExecutorsModuleOptions = {}): DynamicModule {
    return {
      module: ExecutorsModule,
      providers: [
        { provide: EXECUTOR_REGISTRY, useFactory: () => createRegistry(options) },
        { provide: ExecutorRegistry, useExisting: EXECUTOR_REGISTRY },
      ],
      exports: [EXECUTOR_REGISTRY, ExecutorRegistry],
    };
  }

  static forRootAsync(options: ExecutorsModuleAsyncOptions): DynamicModule {
    return {
      module: ExecutorsModule,
      imports: options.imports ?? [],
      providers: [
        {
          provide: EXECUTOR_REGISTRY,
          inject: options.inject ?? [],
          // The factory's parameter types are whatever the injected providers are.
          useFactory: async (...deps: never[]) => createRegistry(await options.useFactory(...deps)),
        },
        { provide: ExecutorRegistry, useExisting: EXECUTOR_REGISTRY },
      ],
      exports: [EXECUTOR_REGISTRY, ExecutorRegistry],
    };
  }
}

function createRegistry(options: ExecutorsModuleOptions): ExecutorRegistry {
  return new ExecutorRegistry(options.executors ?? createBuiltInExecutors());
}
