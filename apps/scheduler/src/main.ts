import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { closeOnSignals, createLogger, loadConfig, runMain } from '@vecron/config';
import { SchedulerEnv } from './config/scheduler.env';
import { SchedulerModule } from './scheduler.module';

runMain('vecron-scheduler', async () => {
  const config = loadConfig(SchedulerEnv, process.env);
  const logger = createLogger(config, { name: 'vecron-scheduler' });
  const starting = NestFactory.createApplicationContext(SchedulerModule.forRoot(config, logger), { bufferLogs: true });
  closeOnSignals(starting, logger);
  const app = await starting;
  app.useLogger(app.get(Logger));
});
