import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { closingTracing, startTracing } from '@vecron/telemetry';
import { closeOnSignals, loadConfig, runMain } from '@vecron/config';
import { WorkerEnv } from './config/worker.env';
import { createWorkerLogger, WorkerModule } from './worker.module';

runMain('vecron-worker', async () => {
  // Traces (OpenTelemetry) when OTEL_* variables configure an exporter; off otherwise.
  const tracing = startTracing({ serviceName: 'vecron-worker', env: process.env });
  const config = loadConfig(WorkerEnv, process.env);
  const logger = createWorkerLogger(config);
  const starting = NestFactory.createApplicationContext(WorkerModule.forRoot(config, logger), { bufferLogs: true });
  // app.close() runs every module's destroy and shutdown hooks: the processor drains, then pools close.
  closeOnSignals(closingTracing(starting, tracing), logger);
  const app = await starting;
  app.useLogger(app.get(Logger));
});
