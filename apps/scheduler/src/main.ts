import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import pino from 'pino';
import { ConfigValidationError, loadConfig } from '@vecron/config';
import { SchedulerEnv } from './config/scheduler.env';
import { SchedulerModule } from './scheduler.module';

async function main(): Promise<void> {
  const config = loadConfig(SchedulerEnv, process.env);
  const logger = pino({ name: 'vecron-scheduler', level: config.LOG_LEVEL });
  const app = await NestFactory.createApplicationContext(SchedulerModule.forRoot(config), { logger: ['error', 'warn'] });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'signal received: finishing the current tick');
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`vecron-scheduler failed to start: ${err instanceof ConfigValidationError ? err.message : (err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
