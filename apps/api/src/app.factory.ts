import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import type { ApiEnv } from './config/api.env';
import { createValidationPipe } from './errors/validation-pipe';
import { WEBHOOK_ROUTE_PREFIX, webhookBodyParser } from './webhooks/webhook-body.middleware';

/** Applies body parsing, validation and OpenAPI to an api application. */
export function configureApiApp(app: NestExpressApplication, config: ApiEnv, options: { logs?: boolean } = {}): INestApplication {
  if (options.logs !== false) app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  // Webhooks get their raw bytes (the signature covers them) before the JSON parser runs.
  app.use(WEBHOOK_ROUTE_PREFIX, webhookBodyParser(config.WEBHOOK_BODY_LIMIT));
  app.useBodyParser('json', { limit: config.BODY_LIMIT });
  app.useGlobalPipes(createValidationPipe());
  const doc = SwaggerModule.createDocument(
    app,
    new DocumentBuilder().setTitle('vecron API').setDescription('Jobs, executions, variables and webhooks').setVersion('0.1.0').build(),
  );
  SwaggerModule.setup('api/docs', app, doc, { jsonDocumentUrl: 'api/docs/openapi.json' });
  return app;
}

/** Builds the api application from a validated config (main.ts). */
export async function createApiApp(config: ApiEnv): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), { bufferLogs: true, bodyParser: false });
  return configureApiApp(app, config);
}
