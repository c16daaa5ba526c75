import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import pino from 'pino';
import { closeOnSignals, loadConfig, runMain } from '@vecron/config';
import { WorkerEnv } from './config/worker.env';
import { WorkerModule } from './worker.module';

runMain('vecron-worker', async () => {
  const config = loadConfig(WorkerEnv, process.env);
  const logger = pino({ name: 'vecron-worker', level: config.LOG_LEVEL });
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger: ['error', 'warn'] });
  closeOnSignals(app, logger);
});
