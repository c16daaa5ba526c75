import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { Writable } from 'stream';
import { createLogger, loggerModule } from './logger.module';

/** Collects the JSON lines a logger writes. */
function sink(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

@Injectable()
class Greeter {
  constructor(@InjectPinoLogger(Greeter.name) private readonly logger: PinoLogger) {}
  greet(jobId: string): void {
    this.logger.info({ job_id: jobId }, 'hello');
  }
}

describe('createLogger / loggerModule', () => {
  it('writes JSON lines named after the process at LOG_LEVEL, credentials in request headers redacted', () => {
    const out = sink();
    const logger = createLogger({ LOG_LEVEL: 'info' }, { name: 'vecron-test', destination: out.stream });
    logger.debug('not at info');
    logger.child({ execution_id: 'e1' }).info({ req: { headers: { authorization: 'Bearer s3cret', accept: 'x' } } }, 'request');
    const lines = out.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ name: 'vecron-test', execution_id: 'e1', msg: 'request', req: { headers: { authorization: '[Redacted]', accept: 'x' } } });
  });

  it('installs the given hooks on the root logger', () => {
    const out = sink();
    const logger = createLogger(
      { LOG_LEVEL: 'info' },
      {
        name: 'vecron-test',
        destination: out.stream,
        hooks: {
          logMethod(args, method) {
            method.apply(this, args.map((a: unknown) => (typeof a === 'string' ? a.toUpperCase() : a)) as Parameters<typeof method>);
          },
        },
      },
    );
    logger.child({ a: 1 }).info('quiet');
    expect(out.lines()[0]).toMatchObject({ msg: 'QUIET', a: 1 });
  });

  it('gives Nest services the same root logger through nestjs-pino', async () => {
    const out = sink();
    const logger = createLogger({ LOG_LEVEL: 'info' }, { name: 'vecron-test', destination: out.stream });
    @Module({ imports: [loggerModule(logger)], providers: [Greeter] })
    class TestModule {}
    const app = await NestFactory.createApplicationContext(TestModule, { logger: false });
    try {
      app.get(Greeter).greet('j1');
    } finally {
      await app.close();
    }
    expect(out.lines()).toContainEqual(expect.objectContaining({ name: 'vecron-test', context: 'Greeter', job_id: 'j1', msg: 'hello' }));
  });
});
