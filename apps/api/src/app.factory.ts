import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ExecutorRegistry } from '@vecron/executors';
import { json } from 'body-parser';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import type { Logger as PinoRootLogger } from 'pino';
import { AppModule } from './app.module';
import type { ApiEnv } from './config/api.env';
import { createValidationPipe } from './errors/validation-pipe';
import { addJobDefinitionSchemas } from './jobs/job-definition.openapi';
import { asStepTypeCatalog } from './jobs/step-types';
import { observeRequests } from './observability/request-observer.middleware';
import { ApiMetrics } from '@vecron/telemetry';
import { WEBHOOK_ROUTE_PREFIX, webhookBodyParser } from './webhooks/webhook-body.middleware';

/** Applies body parsing, validation and OpenAPI to an api application. */
export function configureApiApp(app: NestExpressApplication, config: ApiEnv, options: { logs?: boolean } = {}): INestApplication {
  if (options.logs !== false) app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  if (config.TRUST_PROXY) app.set('trust proxy', /^\d+$/.test(config.TRUST_PROXY) ? Number(config.TRUST_PROXY) : config.TRUST_PROXY.split(',').map((s) => s.trim()));
  app.use(helmet());
  // CORS closed unless origins are listed (the dashboard is served from the api itself).
  const origins = config.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean);
  if (origins.length) app.enableCors({ origin: origins, credentials: true });
  // Webhooks get their raw bytes (the signature covers them) before the JSON parser runs.
  app.use(WEBHOOK_ROUTE_PREFIX, webhookBodyParser(config.WEBHOOK_BODY_LIMIT));
  // Job definitions are capped (JOB_DEFINITION_BODY_LIMIT, 413 beyond) before the general parser.
  app.use('/api/jobs', json({ limit: config.JOB_DEFINITION_BODY_LIMIT }));
  app.useBodyParser('json', { limit: config.BODY_LIMIT });
  // A span per request (parent of the executions it triggers) and the webhook/trigger counters.
  app.use(observeRequests(app.get(ApiMetrics)));
  app.useGlobalPipes(createValidationPipe());
  const doc = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('vecron API')
      .setDescription('Jobs, executions, variables and webhooks')
      .setVersion('0.1.0')
      .addBearerAuth()
      // 3.1: its schemas are JSON Schema 2020-12, like the generated job-definition schema (if/then, const, type null).
      .setOpenAPIVersion('3.1.0')
      .build(),
  );
  addJobDefinitionSchemas(doc, asStepTypeCatalog(app.get(ExecutorRegistry)));
  SwaggerModule.setup('api/docs', app, doc, { jsonDocumentUrl: 'api/docs/openapi.json' });
  return app;
}

/** Builds the api application from a validated config and the process's root logger (main.ts). */
export async function createApiApp(config: ApiEnv, logger: PinoRootLogger): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, logger), { bufferLogs: true, bodyParser: false });
  return configureApiApp(app, config);
}
