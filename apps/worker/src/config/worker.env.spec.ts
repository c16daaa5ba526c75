import { ConfigValidationError, loadConfig } from '@vecron/config';
import { WorkerEnv } from './worker.env';

describe('WorkerEnv: the file step CSV parse thread settings', () => {
  it('defaults to the thread for CSV files over 1 MiB', () => {
    const env = loadConfig(WorkerEnv, {});
    expect(env.FILE_STEP_CSV_THREAD).toBe(true);
    expect(env.FILE_STEP_CSV_THREAD_MIN_BYTES).toBe(1_048_576);
    expect(env.FILE_STEP_XLSX_THREAD).toBe(true);
  });

  it('turns the thread off and sets the threshold from the environment', () => {
    const env = loadConfig(WorkerEnv, { FILE_STEP_CSV_THREAD: 'false', FILE_STEP_CSV_THREAD_MIN_BYTES: '65536', FILE_STEP_XLSX_THREAD: 'false' });
    expect(env.FILE_STEP_CSV_THREAD).toBe(false);
    expect(env.FILE_STEP_CSV_THREAD_MIN_BYTES).toBe(65_536);
    expect(env.FILE_STEP_XLSX_THREAD).toBe(false);
  });

  it('refuses a value that is not a boolean or a byte count, naming the variable', () => {
    expect(() => loadConfig(WorkerEnv, { FILE_STEP_CSV_THREAD: 'sometimes' })).toThrow(ConfigValidationError);
    expect(() => loadConfig(WorkerEnv, { FILE_STEP_CSV_THREAD_MIN_BYTES: '-1' })).toThrow(/FILE_STEP_CSV_THREAD_MIN_BYTES/);
  });
});
