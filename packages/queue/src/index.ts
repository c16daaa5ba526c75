export { EXECUTIONS_QUEUE, executionQueueOptions, executionJobOptions, resumeJobId } from './execution-queue';
export type { ExecutionJobData } from './execution-queue';
export { ExecutionDispatcher } from './execution-dispatcher';
export type { DispatchRequest, DispatchResult, ExclusiveDispatchResult, ExecutionDispatcherOptions, ResumeOptions } from './execution-dispatcher';
export { ExecutionQueueModule } from './execution-queue.module';
export type { ExecutionQueueModuleOptions, ExecutionQueueModuleAsyncOptions } from './execution-queue.module';
export { executionStopChannel, encodeExecutionStop, decodeExecutionStop } from './execution-stop.channel';
export type { ExecutionStopMessage } from './execution-stop.channel';
