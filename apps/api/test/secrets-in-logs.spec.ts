import { randomBytes } from 'crypto';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { createLogger } from '@vecron/config';
import { AppModule } from '../src/app.module';
import { configureApiApp } from '../src/app.factory';
import { freshTestDatabase, migrateTestDatabase, testApiConfig } from './api-test-app';

/**
 * Issue 13: passwords, tokens and sensitive variable values never reach the application log.
 * The api runs with its real logger setup (request logging on, level trace) writing into memory;
 * the requests that carry secrets are made; then the whole log is searched for each secret.
 */
describe('application logs never carry secrets', () => {
  let app: NestExpressApplication;
  const lines: string[] = [];

  beforeAll(async () => {
    const url = await freshTestDatabase('vecron_test_log_secrets');
    const config = testApiConfig({
      DATABASE_URL: url,
      LOG_LEVEL: 'trace',
      QUEUE_PREFIX: `vecron-test-log-secrets-${process.pid}`,
      VARIABLES_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    });
    await migrateTestDatabase(config);
    const logger = createLogger(config, { name: 'vecron-api', destination: { write: (chunk: string) => void lines.push(chunk) } });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config, logger)] }).compile();
    app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false });
    configureApiApp(app, config);
    await app.init();
  }, 60_000);

  afterAll(async () => {
    await app?.close();
  });

  it('logins (right and wrong password), a new user, a sensitive variable and the bearer token stay out of the log', async () => {
    const http = () => request(app.getHttpServer());
    const wrongPassword = `Wrong-${randomBytes(6).toString('hex')}`;
    await http().post('/api/auth/login').send({ username: 'admin', password: wrongPassword }).expect(401);
    const login = await http().post('/api/auth/login').send({ username: 'admin', password: 'admin123' }).expect(200);
    const token = (login.body as { access_token: string }).access_token;
    const auth = { Authorization: `Bearer ${token}` };

    const userPassword = `User-${randomBytes(6).toString('hex')}`;
    await http().post('/api/users').set(auth).send({ username: 'log-check', password: userPassword, roles: ['Regular User'] }).expect(201);
    const secretValue = `Secret-${randomBytes(6).toString('hex')}`;
    await http().post('/api/variables').set(auth).send({ name: 'LOG_CHECK_SECRET', value: secretValue, is_sensitive: true }).expect(201);
    await http().get('/api/variables').set(auth).expect(200);
    await http().post('/api/variables').set(auth).send({ name: 'bad name', value: secretValue, is_sensitive: true }).expect(400);

    const log = lines.join('');
    // The log is really written: one line per request, with the routes called.
    expect(log).toContain('/api/auth/login');
    expect(log).toContain('/api/users');
    expect(log).toContain('/api/variables');
    for (const secret of [wrongPassword, 'admin123', userPassword, secretValue, token]) {
      expect(log).not.toContain(secret);
    }
  }, 30_000);
});
