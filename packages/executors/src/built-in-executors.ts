import type { AnyStepExecutor } from './executor-registry';
import { DatabaseExecutor, type DatabaseExecutorOptions } from './database/database.executor';
import { FileProcessingExecutor, type FileProcessingExecutorOptions } from './file_processing/file-processing.executor';
import { HttpExecutor, type HttpExecutorOptions } from './http/http.executor';
import { SftpExecutor, type SftpExecutorOptions } from './sftp/sftp.executor';

export interface BuiltInExecutorsOptions {
  http?: HttpExecutorOptions;
  database?: DatabaseExecutorOptions;
  file_processing?: FileProcessingExecutorOptions;
  sftp?: SftpExecutorOptions;
}

/**
 * Every step type shipped with vecron. Adding a step type = a folder `src/<type>/`
 * (`<type>.config.ts`, `<type>.executor.ts`, spec) and one line here.
 */
export function createBuiltInExecutors(options: BuiltInExecutorsOptions = {}): AnyStepExecutor[] {
  return [
    new HttpExecutor(options.http),
    new DatabaseExecutor(options.database),
    new FileProcessingExecutor(options.file_processing),
    new SftpExecutor(options.sftp),
  ];
}
