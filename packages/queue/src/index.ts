export { EXECUTIONS_QUEUE, executionQueueOptions, executionJobOptions } from './execution-queue';
export type { ExecutionJobData } from './execution-queue';
export { ExecutionDispatcher } from './execution-dispatcher';
export type { DispatchRequest, DispatchResult, ExecutionDispatcherOptions } from './execution-dispatcher';
export { ExecutionQueueModule } from './execution-queue.module';
export type { ExecutionQueueModuleOptions, ExecutionQueueModuleAsyncOptions } from './execution-queue.module';
