import { BullModule, getQueueToken } from '@nestjs/bull';
import { Global, Module, type DynamicModule, type InjectionToken, type ModuleMetadata } from '@nestjs/common';
import type { Queue } from 'bull';
import pino from 'pino';
import { Database, ExecutionsRepository } from '@vecron/db';
import { ExecutionDispatcher } from './execution-dispatcher';
import { EXECUTIONS_QUEUE, executionQueueOptions, type ExecutionJobData } from './execution-queue';

export interface ExecutionQueueModuleOptions {
  redisUrl: string;
  prefix: string;
  /** Level of the dispatcher's own logs. */
  logLevel?: string;
}

export interface ExecutionQueueModuleAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: InjectionToken[];
  // Nest passes whatever `inject` lists; `never[]` lets the caller type its own parameters.
  useFactory: (...args: never[]) => ExecutionQueueModuleOptions;
}

const OPTIONS = Symbol('EXECUTION_QUEUE_OPTIONS');

/** The executions Bull queue and the ExecutionDispatcher, for the apps (global). */
@Global()
@Module({})
export class ExecutionQueueModule {
  static forRootAsync(options: ExecutionQueueModuleAsyncOptions): DynamicModule {
    const optionsProvider = { provide: OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] };
    return {
      module: ExecutionQueueModule,
      imports: [
        ...(options.imports ?? []),
        BullModule.registerQueueAsync({
          name: EXECUTIONS_QUEUE,
          imports: options.imports ?? [],
          inject: options.inject ?? [],
          useFactory: (...args: unknown[]) => {
            const o = options.useFactory(...(args as never[]));
            return executionQueueOptions(o.redisUrl, o.prefix);
          },
        }),
      ],
      providers: [
        optionsProvider,
        {
          provide: ExecutionDispatcher,
          inject: [ExecutionsRepository, Database, getQueueToken(EXECUTIONS_QUEUE), OPTIONS],
          useFactory: (executions: ExecutionsRepository, db: Database, queue: Queue<ExecutionJobData>, o: ExecutionQueueModuleOptions) =>
            new ExecutionDispatcher({ executions, db, queue, logger: pino({ name: 'dispatcher', level: o.logLevel ?? 'info' }) }),
        },
      ],
      exports: [BullModule, ExecutionDispatcher],
    };
  }
}
