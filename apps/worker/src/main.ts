import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { closeOnSignals, loadConfig, runMain } from '@vecron/config';
import { WorkerEnv } from './config/worker.env';
import { createWorkerLogger, WorkerModule } from './worker.module';

runMain('vecron-worker', async () => {
  const config = loadConfig(WorkerEnv, process.env);
  const logger = createWorkerLogger(config);
  const starting = NestFactory.createApplicationContext(WorkerModule.forRoot(config, logger), { bufferLogs: true });
  // app.close() runs every module's destroy and shutdown hooks: the processor drains, then pools close.
  closeOnSignals(starting, logger);
  const app = await starting;
  app.useLogger(app.get(Logger));
});
