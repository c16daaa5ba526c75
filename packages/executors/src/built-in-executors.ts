import type { AnyStepExecutor } from './executor-registry';
import { HttpExecutor, type HttpExecutorOptions } from './http/http.executor';
import { SftpExecutor, type SftpExecutorOptions } from './sftp/sftp.executor';

export interface BuiltInExecutorsOptions {
  http?: HttpExecutorOptions;
  sftp?: SftpExecutorOptions;
}

/**
 * Every step type shipped with vecron. Adding a step type = a folder `src/<type>/`
 * (`<type>.config.ts`, `<type>.executor.ts`, spec) and one line here.
 */
export function createBuiltInExecutors(options: BuiltInExecutorsOptions = {}): AnyStepExecutor[] {
  return [
    new HttpExecutor(options.http),
    new SftpExecutor(options.sftp),
  ];
}
