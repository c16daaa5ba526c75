import { Writable } from 'stream';
import { createLogger } from '@vecron/config';
import { SecretMaskingLogger } from './secret-masking.logger';

function sink(): { stream: Writable; text: () => string; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const text = () => chunks.join('');
  return { stream, text, lines: () => text().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('SecretMaskingLogger', () => {
  const secret = 'p@ss w0rd/é';
  let out: ReturnType<typeof sink>;
  let loggers: SecretMaskingLogger;
  beforeEach(() => {
    out = sink();
    loggers = new SecretMaskingLogger(createLogger({ LOG_LEVEL: 'info' }, { name: 'vecron-worker', destination: out.stream, hooks: SecretMaskingLogger.hooks }));
  });

  it('masks secrets in messages, objects, errors, and in children of children (what executors log)', () => {
    const log = loggers.forExecution({ job_id: 'j', execution_id: 'e' }, [secret]);
    log.info(`calling with ${secret}`);
    log.child({ step_id: 's' }).warn({ url: `https://h/${encodeURIComponent(secret)}`, nested: { body: JSON.stringify({ token: secret }) } }, 'request');
    const denied = Object.assign(new Error(`denied for ${secret}`), { code: 'E_DENIED', details: { user: secret } });
    log.child({ step_id: 's' }).child({ sub: 1 }).error(denied);
    expect(out.text()).not.toContain(secret);
    expect(out.text()).not.toContain(encodeURIComponent(secret));
    const [first, second, third] = out.lines();
    expect(first).toMatchObject({ name: 'vecron-worker', job_id: 'j', execution_id: 'e', msg: 'calling with ******' });
    expect(second).toMatchObject({ step_id: 's', url: 'https://h/******', msg: 'request' });
    expect(third).toMatchObject({ step_id: 's', sub: 1, err: { type: 'Error', message: 'denied for ******', code: 'E_DENIED', details: { user: '******' } } });
    expect((third!.err as { stack: string }).stack).toContain('denied for ******');
  });

  it('leaves executions without secrets, and other executions, untouched', () => {
    loggers.forExecution({ execution_id: 'a' }, [secret]);
    loggers.forExecution({ execution_id: 'b' }, []).info({ v: secret }, 'plain');
    expect(out.lines()[0]).toMatchObject({ execution_id: 'b', v: secret });
  });

  it('refuses a root logger created without its hooks', () => {
    expect(() => new SecretMaskingLogger(createLogger({ LOG_LEVEL: 'info' }, { name: 'x', destination: out.stream }))).toThrow(/SecretMaskingLogger.hooks/);
  });
});
