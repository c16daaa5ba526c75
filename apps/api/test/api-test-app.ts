import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import request from 'supertest';
import { loadConfig } from '@vecron/config';
import { Database, migrate, recreateDatabase } from '@vecron/db';
import { AppModule } from '../src/app.module';
import { configureApiApp } from '../src/app.factory';
import { ApiEnv } from '../src/config/api.env';
import { toAuthUser } from '../src/auth/auth.service';
import { TokenService } from '../src/auth/token.service';
import { UsersRepository } from '../src/users/users.repository';

/** Config of the api under test: the local services, the test database and a test bucket. */
export function testApiConfig(overrides: Record<string, string> = {}): ApiEnv {
  return loadConfig(ApiEnv, {
    DATABASE_URL: process.env.VECRON_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:25432/vecron_test',
    REDIS_URL: process.env.VECRON_TEST_REDIS_URL ?? 'redis://127.0.0.1:26379/1',
    S3_ENDPOINT: '127.0.0.1',
    S3_PORT: process.env.VECRON_TEST_S3_PORT ?? '29000',
    S3_BUCKET: 'vecron-test-api',
    QUEUE_PREFIX: 'vecron-test-api',
    LOG_LEVEL: 'warn',
    ...overrides,
  });
}

/** A fresh database for one test file (suites run in parallel; some need sole use of theirs). */
export function freshTestDatabase(name: string): Promise<string> {
  return recreateDatabase(process.env.VECRON_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:25432/postgres', name);
}

export async function migrateTestDatabase(config: ApiEnv): Promise<void> {
  const db = new Database({ connectionString: config.DATABASE_URL, poolSize: 1 });
  try {
    await migrate(db.pool);
  } finally {
    await db.close();
  }
}

/** Starts the real api (real PostgreSQL, Redis, S3) in-process; `customize` may override providers. */
export async function startTestApi(
  config: ApiEnv = testApiConfig(),
  customize: (b: TestingModuleBuilder) => TestingModuleBuilder = (b) => b,
): Promise<NestExpressApplication> {
  await migrateTestDatabase(config);
  const moduleRef = await customize(Test.createTestingModule({ imports: [AppModule.forRoot(config)] })).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, logger: ['error'] });
  configureApiApp(app, config, { logs: false });
  try {
    await app.init();
    if (config.AUTH_MODE === 'database') adminTokens.set(app, await tokenFor(app, 'admin'));
  } catch (err) {
    // A failed start must not leave pools and queues open.
    await app.close().catch(() => undefined);
    throw err;
  }
  return app;
}

const adminTokens = new WeakMap<INestApplication, string>();

/** An access token of a database user of the app (issued directly, no login round trip). */
export async function tokenFor(app: INestApplication, username: string): Promise<string> {
  const user = await app.get(UsersRepository).findByUsername(username);
  if (!user) throw new Error(`no user ${username}`);
  return app.get(TokenService).issue(toAuthUser(user), user.token_version);
}

/** supertest against the app as the first start's administrator (Authorization: Bearer …). */
export function api(app: INestApplication, token = adminTokens.get(app)) {
  if (!token) throw new Error('no admin token for this app (started by startTestApi in database mode?)');
  return request.agent(app.getHttpServer()).set('Authorization', `Bearer ${token}`);
}
