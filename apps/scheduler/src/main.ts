import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import pino from 'pino';
import { closeOnSignals, loadConfig, runMain } from '@vecron/config';
import { SchedulerEnv } from './config/scheduler.env';
import { SchedulerModule } from './scheduler.module';

runMain('vecron-scheduler', async () => {
  const config = loadConfig(SchedulerEnv, process.env);
  const logger = pino({ name: 'vecron-scheduler', level: config.LOG_LEVEL });
  const app = await NestFactory.createApplicationContext(SchedulerModule.forRoot(config), { logger: ['error', 'warn'] });
  closeOnSignals(app, logger);
});
