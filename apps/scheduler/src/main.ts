import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { closingTracing, startTracing } from '@vecron/telemetry';
import { closeOnSignals, createLogger, loadConfig, runMain } from '@vecron/config';
import { SchedulerEnv } from './config/scheduler.env';
import { SchedulerModule } from './scheduler.module';

runMain('vecron-scheduler', async () => {
  // Traces (OpenTelemetry) when OTEL_* variables configure an exporter; off otherwise.
  const tracing = startTracing({ serviceName: 'vecron-scheduler', env: process.env });
  const config = loadConfig(SchedulerEnv, process.env);
  const logger = createLogger(config, { name: 'vecron-scheduler' });
  const starting = NestFactory.createApplicationContext(SchedulerModule.forRoot(config, logger), { bufferLogs: true });
  closeOnSignals(closingTracing(starting, tracing), logger);
  const app = await starting;
  app.useLogger(app.get(Logger));
});
