import 'reflect-metadata';
import { closingTracing, startTracing } from '@vecron/telemetry';
import { closeOnSignals, createLogger, loadConfig, runMain } from '@vecron/config';
import { Database, migrate } from '@vecron/db';
import { createApiApp } from './app.factory';
import { ApiEnv } from './config/api.env';

runMain('vecron-api', async () => {
  // Traces (OpenTelemetry) when OTEL_* variables configure an exporter; off otherwise.
  const tracing = startTracing({ serviceName: 'vecron-api', env: process.env });
  const config = loadConfig(ApiEnv, process.env);
  const logger = createLogger(config, { name: 'vecron-api' });
  if (config.MIGRATE_ON_START) {
    const db = new Database({ connectionString: config.DATABASE_URL, poolSize: 1, applicationName: 'vecron-migrate' });
    try {
      await migrate(db.pool, { logger });
    } finally {
      await db.close();
    }
  }
  const starting = createApiApp(config, logger);
  // A signal while the app starts closes it once started (shutdown hooks run, pools close).
  closeOnSignals(closingTracing(starting, tracing), logger);
  const app = await starting;
  await app.listen(config.PORT, config.HOST);
  logger.info({ url: `http://${config.HOST}:${config.PORT}` }, 'api listening');
});
