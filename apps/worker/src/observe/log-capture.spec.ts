import { Writable } from 'stream';
import { createLogger } from '@vecron/config';
import { SecretMaskingLogger } from '../executions/secret-masking.logger';
import { startCapture, stopCapture } from './log-capture';

function makeLoggers(): { loggers: SecretMaskingLogger; written: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const root = createLogger({ LOG_LEVEL: 'info' }, { name: 'vecron-worker', hooks: SecretMaskingLogger.hooks, destination });
  return { loggers: new SecretMaskingLogger(root), written: () => chunks.join('') };
}

describe('execution log capture', () => {
  it("keeps an execution's lines and its children's, with step_id and fields, secrets masked", () => {
    const { loggers, written } = makeLoggers();
    const log = loggers.forExecution({ job_id: 'j', execution_id: 'e' }, ['s3cr3t-token']);
    const capture = startCapture(log, 100);
    log.info({ status: 'running' }, 'execution started');
    log.child({ step_id: 'fetch' }).warn({ url: 'https://x/?t=s3cr3t-token', err: new Error('bad s3cr3t-token') }, 'request failed for %s', 'fetch');
    log.debug('below the level: not kept');
    loggers.forExecution({ job_id: 'j', execution_id: 'other' }, []).info('another execution');
    expect(stopCapture(log)).toBe(capture);
    log.info('after the end: not kept');
    expect(capture.lines).toEqual([
      { time: expect.any(String), level: 'info', msg: 'execution started', status: 'running' },
      { time: expect.any(String), level: 'warn', msg: 'request failed for fetch', step_id: 'fetch', url: 'https://x/?t=******', err: expect.objectContaining({ message: 'bad ******' }) },
    ]);
    expect(written()).not.toContain('s3cr3t-token');
  });

  it('keeps at most maxLines and counts the rest', () => {
    const { loggers } = makeLoggers();
    const log = loggers.forExecution({ job_id: 'j', execution_id: 'e' }, []);
    const capture = startCapture(log, 3);
    for (let i = 0; i < 10; i++) log.info({ i }, 'line');
    expect(capture.lines.map((l) => l.i)).toEqual([0, 1, 2]);
    expect(capture.dropped).toBe(7);
  });

  it('a huge line keeps its message only', () => {
    const { loggers } = makeLoggers();
    const log = loggers.forExecution({ job_id: 'j', execution_id: 'e' }, []);
    const capture = startCapture(log, 10);
    log.info({ body: 'x'.repeat(20_000) }, 'big');
    expect(capture.lines[0]).toEqual({ time: expect.any(String), level: 'info', msg: 'big', fields_truncated: true });
  });
});
