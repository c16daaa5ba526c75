import type { INestApplication } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { randomBytes, randomUUID } from 'crypto';
import Redis from 'ioredis';
import request from 'supertest';
import { Database } from '@vecron/db';
import { PERMISSIONS, REGULAR_USER_ROLE } from '../src/auth/permissions';
import { hashPassword } from '../src/auth/password-hasher';
import { RolesRepository, UsersRepository } from '../src/users/users.repository';
import { api, freshTestDatabase, startTestApi, testApiConfig, tokenFor } from './api-test-app';
import { cronJob, uniqueName } from './fixtures';
import { expressRoutes, routeTable, type RouteEntry } from './route-table';

const SECRET = randomBytes(32).toString('hex');
const PREFIX = `vecron-test-auth-${randomUUID().slice(0, 8)}`;

/** The api with AUTH_MODE=database on its own database and Redis prefix (login counters). */
describe('auth (database mode): logins, tokens, permissions on every route, audit', () => {
  let app: INestApplication;
  let db: Database;
  let regularToken: string;
  let regularId: string;
  let config: ReturnType<typeof testApiConfig>;
  const http = () => request(app.getHttpServer());

  async function createUser(username: string, roles: string[], password = 'password-123'): Promise<string> {
    const users = app.get(UsersRepository);
    const id = (await users.insert({ username, passwordHash: await hashPassword(password), mustChangePassword: false }))!;
    const found = await app.get(RolesRepository).findByNames(roles);
    await users.setRoles(id, found.map((r) => r.id));
    return id;
  }

  beforeAll(async () => {
    const url = await freshTestDatabase('vecron_test_auth');
    config = testApiConfig({ DATABASE_URL: url, JWT_SECRET: SECRET, QUEUE_PREFIX: PREFIX, VARIABLES_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}` });
    app = await startTestApi(config);
    db = new Database({ connectionString: url, poolSize: 2 });
    regularId = await createUser('regular', [REGULAR_USER_ROLE]);
    regularToken = await tokenFor(app, 'regular');
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  describe('login', () => {
    it('the first start created admin/admin123 flagged must_change_password; the login answers a Bearer token with roles and permissions', async () => {
      const res = await http().post('/api/auth/login').send({ username: 'admin', password: 'admin123' }).expect(200);
      expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, user: { username: 'admin', roles: ['Admin'], must_change_password: true } });
      expect([...res.body.user.permissions].sort()).toEqual([...PERMISSIONS].sort());
      const payload = JSON.parse(Buffer.from(res.body.access_token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
      expect(payload).toMatchObject({ username: 'admin', roles: ['Admin'] });
      expect(payload.permissions).toEqual(res.body.user.permissions);
      const me = await http().get('/api/auth/me').set('Authorization', `Bearer ${res.body.access_token}`).expect(200);
      expect(me.body).toMatchObject({ username: 'admin', roles: ['Admin'] });
      const { rows } = await db.query<{ password_hash: string }>("select password_hash from users where username = 'admin'");
      expect(rows[0]!.password_hash).toMatch(/^\$2[aby]\$(1[0-9]|[2-3][0-9])\$/); // bcrypt, cost ≥ 10
    });

    it('a wrong password and an unknown user get the same 401 answer, and both are audited with address and user agent (no password)', async () => {
      const a = await http().post('/api/auth/login').set('User-Agent', 'audit-test/1').send({ username: 'admin', password: 'wrong-password-x' }).expect(401);
      const b = await http().post('/api/auth/login').set('User-Agent', 'audit-test/1').send({ username: 'nobody-here', password: 'wrong-password-x' }).expect(401);
      expect(a.body.message).toBe(b.body.message);
      const { rows } = await db.query<{ username: string; result: string; address: string; user_agent: string; details: unknown }>(
        "select username, result, address, user_agent, details from audit_log where action = 'auth.login' and user_agent = 'audit-test/1' order by id",
      );
      expect(rows.map((r) => [r.username, r.result])).toEqual([['admin', 'failure'], ['nobody-here', 'failure']]);
      expect(rows[0]!.address).toMatch(/127\.0\.0\.1/);
      const all = await db.query<{ t: string }>('select audit_log::text as t from audit_log');
      expect(all.rows.map((r) => r.t).join('\n')).not.toContain('wrong-password-x');
    });

    it('change-password needs the current password, clears must_change_password and revokes the old token', async () => {
      await createUser('changer', [REGULAR_USER_ROLE], 'old-password-1');
      const login = await http().post('/api/auth/login').send({ username: 'changer', password: 'old-password-1' }).expect(200);
      const token = login.body.access_token as string;
      await http().post('/api/auth/change-password').set('Authorization', `Bearer ${token}`).send({ current_password: 'nope-nope', new_password: 'new-password-2' }).expect(401);
      await http().post('/api/auth/change-password').set('Authorization', `Bearer ${token}`).send({ current_password: 'old-password-1', new_password: 'new-password-2' }).expect(204);
      await http().get('/api/auth/me').set('Authorization', `Bearer ${token}`).expect(401);
      const again = await http().post('/api/auth/login').send({ username: 'changer', password: 'new-password-2' }).expect(200);
      expect(again.body.user.must_change_password).toBe(false);
    });
  });

  describe('tokens', () => {
    it('missing, malformed, foreign-signed and expired tokens are 401; the vecron_session cookie works like the header', async () => {
      const jwt = new JwtService({ secret: SECRET });
      const claims = { sub: regularId, username: 'regular', roles: [REGULAR_USER_ROLE], permissions: ['job:read'], tv: 1 };
      const expired = await jwt.signAsync({ ...claims, exp: Math.floor(Date.now() / 1000) - 10 }, { issuer: 'vecron-api' });
      const foreign = await new JwtService({ secret: randomBytes(32).toString('hex') }).signAsync(claims, { issuer: 'vecron-api', expiresIn: 60 });
      expect((await http().get('/api/jobs')).status).toBe(401);
      expect((await http().get('/api/jobs').set('Authorization', 'Bearer not.a.jwt')).status).toBe(401);
      expect((await http().get('/api/jobs').set('Authorization', `Basic ${regularToken}`)).status).toBe(401);
      expect((await http().get('/api/jobs').set('Authorization', `Bearer ${foreign}`)).status).toBe(401);
      const exp = await http().get('/api/jobs').set('Authorization', `Bearer ${expired}`);
      expect(exp.status).toBe(401);
      expect(exp.body.message).toBe('invalid, expired or revoked token');
      await http().get('/api/jobs').set('Cookie', `other=1; vecron_session=${regularToken}`).expect(200);
    });

    it('changing a user’s roles revokes their tokens at once; disabling does too', async () => {
      const id = await createUser('revoked', [REGULAR_USER_ROLE]);
      const token = await tokenFor(app, 'revoked');
      await http().get('/api/jobs').set('Authorization', `Bearer ${token}`).expect(200);
      await api(app).put(`/api/users/${id}/roles`).send({ roles: ['Admin'] }).expect(200);
      await http().get('/api/jobs').set('Authorization', `Bearer ${token}`).expect(401);
      const fresh = await tokenFor(app, 'revoked');
      await http().get('/api/users').set('Authorization', `Bearer ${fresh}`).expect(200);
      await api(app).put(`/api/users/${id}`).send({ enabled: false }).expect(200);
      await http().get('/api/jobs').set('Authorization', `Bearer ${fresh}`).expect(401);
      await http().post('/api/auth/login').send({ username: 'revoked', password: 'password-123' }).expect(401);
    });

    it('nobody may change their own roles (403), even with role:assign', async () => {
      const admin = await app.get(UsersRepository).findByUsername('admin');
      const res = await api(app).put(`/api/users/${admin!.id}/roles`).send({ roles: [REGULAR_USER_ROLE] }).expect(403);
      expect(res.body.message).toBe('you cannot change your own roles');
      expect((await app.get(UsersRepository).findByUsername('admin'))!.roles).toEqual(['Admin']);
    });
  });

  describe('users API', () => {
    it('creates (201 with id), lists, resets a password, deletes; a duplicate username is 409', async () => {
      const created = await api(app).post('/api/users').send({ username: 'carol', password: 'carol-pass-1', roles: [REGULAR_USER_ROLE] }).expect(201);
      expect(created.body).toMatchObject({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), username: 'carol', roles: [REGULAR_USER_ROLE], enabled: true });
      expect(created.body).not.toHaveProperty('password_hash');
      await api(app).post('/api/users').send({ username: 'CAROL', password: 'carol-pass-1', roles: [] }).expect(409);
      const list = await api(app).get('/api/users').expect(200);
      expect(list.body.items.map((u: { username: string }) => u.username)).toContain('carol');
      await api(app).put(`/api/users/${created.body.id}`).send({ password: 'carol-pass-2' }).expect(200);
      await http().post('/api/auth/login').send({ username: 'carol', password: 'carol-pass-2' }).expect(200);
      await api(app).delete(`/api/users/${created.body.id}`).expect(204);
      await api(app).get(`/api/users/${created.body.id}`).expect(404);
    });
  });

  describe('Regular User visibility', () => {
    it('sees only the executions they triggered (another’s is 404), records triggered_by and created_by', async () => {
      const job = await api(app).post('/api/jobs').send(cronJob(uniqueName('vis'))).expect(201);
      const admin = await app.get(UsersRepository).findByUsername('admin');
      expect(job.body).toMatchObject({ created_by: admin!.id, updated_by: admin!.id });
      const mine = await http().post(`/api/jobs/${job.body.id}/trigger`).set('Authorization', `Bearer ${regularToken}`).send({}).expect(202);
      const { rows } = await db.query<{ triggered_by: string }>('select triggered_by from job_executions where id = $1', [mine.body.execution_id]);
      expect(rows[0]!.triggered_by).toBe(regularId);
      // The admin's own run of the same job (the job forbids overlap: mark the first finished).
      await db.query("update job_executions set status = 'success', completed_at = now() where id = $1", [mine.body.execution_id]);
      const theirs = await api(app).post(`/api/jobs/${job.body.id}/trigger`).send({}).expect(202);
      const list = await http().get(`/api/executions?job_id=${job.body.id}`).set('Authorization', `Bearer ${regularToken}`).expect(200);
      expect(list.body.items.map((e: { id: string }) => e.id)).toEqual([mine.body.execution_id]);
      expect(list.body.items[0].triggered_by).toBe(regularId);
      await http().get(`/api/executions/${theirs.body.execution_id}`).set('Authorization', `Bearer ${regularToken}`).expect(404);
      await http().get(`/api/executions/${mine.body.execution_id}`).set('Authorization', `Bearer ${regularToken}`).expect(200);
      const all = await api(app).get(`/api/executions?job_id=${job.body.id}`).expect(200);
      expect(all.body.total).toBe(2);
    });

    it('sees only non-sensitive variables (a sensitive one is 404); creating a sensitive one needs variable:encrypt', async () => {
      const plain = await api(app).post('/api/variables').send({ name: 'VIS_PLAIN', value: 'p' }).expect(201);
      const secret = await api(app).post('/api/variables').send({ name: 'VIS_SECRET', value: 's3cr3t-value', is_sensitive: true }).expect(201);
      const asRegular = await http().get('/api/variables').set('Authorization', `Bearer ${regularToken}`).expect(200);
      const names = asRegular.body.items.map((v: { name: string }) => v.name);
      expect(names).toContain('VIS_PLAIN');
      expect(names).not.toContain('VIS_SECRET');
      expect(plain.body.id).toBeTruthy();
      const writer = await createUser('writer', []);
      await db.query("insert into roles (id, name, permissions) values ($1, 'Writer', '{variable:read,variable:write}')", [randomUUID()]);
      await app.get(UsersRepository).setRoles(writer, (await app.get(RolesRepository).findByNames(['Writer'])).map((r) => r.id));
      const writerToken = await tokenFor(app, 'writer');
      const denied = await http().post('/api/variables').set('Authorization', `Bearer ${writerToken}`).send({ name: 'W_SECRET', value: 'x', is_sensitive: true }).expect(403);
      expect(denied.body.message).toBe('missing permission variable:encrypt');
      await http().put(`/api/variables/${secret.body.id}`).set('Authorization', `Bearer ${writerToken}`).send({ value: 'y' }).expect(404);
      await http().post('/api/variables').set('Authorization', `Bearer ${writerToken}`).send({ name: 'W_PLAIN', value: 'x' }).expect(201);
    });
  });

  describe('audit log', () => {
    it('records state-changing requests and permission denials; GET /api/system/audit-logs filters and pages; needs system:audit', async () => {
      const name = uniqueName('audited');
      const job = await api(app).post('/api/jobs').send(cronJob(name)).expect(201);
      const denied = await http().delete(`/api/jobs/${job.body.id}`).set('Authorization', `Bearer ${regularToken}`).expect(403);
      expect(denied.body.message).toBe('missing permission job:delete');
      const created = await api(app).get('/api/system/audit-logs').query({ action: 'POST /api/jobs', resource: '/api/jobs', page_size: 1 }).expect(200);
      expect(created.body.page_size).toBe(1);
      expect(created.body.total).toBeGreaterThanOrEqual(1);
      expect(created.body.items[0]).toMatchObject({ username: 'admin', roles: ['Admin'], action: 'POST /api/jobs', resource: '/api/jobs', result: 'success', status_code: 201 });
      const denials = await api(app).get('/api/system/audit-logs').query({ action: 'permission.denied', username: 'regular' }).expect(200);
      expect(denials.body.items[0]).toMatchObject({ user_id: regularId, resource: `/api/jobs/${job.body.id}`, result: 'denied', details: { missing: 'job:delete', method: 'DELETE' } });
      await http().get('/api/system/audit-logs').set('Authorization', `Bearer ${regularToken}`).expect(403);
      await http().post('/api/jobs').send(cronJob(uniqueName('anon'))).expect(401);
      const anon = await api(app).get('/api/system/audit-logs').query({ action: 'authentication.failed', page_size: 1 }).expect(200);
      expect(anon.body.items[0]).toMatchObject({ user_id: null, resource: '/api/jobs', result: 'denied', status_code: 401, details: { method: 'POST', token: 'missing' } });
    });
  });

  describe('security basics', () => {
    it('helmet headers on every answer, no CORS by default, a job definition over 1 MB is 413', async () => {
      const res = await http().get('/health').set('Origin', 'https://evil.example');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toBeDefined();
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      const big = cronJob(uniqueName('big'), { description: 'x'.repeat(1_100_000) });
      const tooBig = await api(app).post('/api/jobs').send(big).expect(413);
      expect(tooBig.body.statusCode).toBe(413);
    });

    it('GET /api/system/config shows the effective configuration with secrets masked', async () => {
      const res = await api(app).get('/api/system/config').expect(200);
      expect(res.body).toMatchObject({ AUTH_MODE: 'database', JWT_SECRET: '***', S3_SECRET_KEY: '***', VARIABLES_ENCRYPTION_KEYS: '***', JOB_DEFINITION_BODY_LIMIT: '1mb' });
      expect(JSON.stringify(res.body)).not.toContain(SECRET);
    });
  });

  describe('the route × role matrix (every route of the route table)', () => {
    let routes: RouteEntry[];
    beforeAll(() => {
      routes = routeTable(app);
    });

    it('the route table covers every route express serves, and every route declares @Public or @RequirePermissions', () => {
      const table = new Set(routes.map((r) => `${r.method} ${r.path}`));
      const served = expressRoutes(app).filter((r) => !r.includes('/api/docs'));
      expect(served.length).toBeGreaterThan(20);
      expect(served.filter((r) => !table.has(r))).toEqual([]);
      expect(routes.filter((r) => !r.isPublic && r.permissions === undefined).map((r) => `${r.method} ${r.path} (${r.controller}.${r.handler})`)).toEqual([]);
      // The dashboard's HTML pages have their own matrix (test/dashboard.spec.ts): sign-in page, language switch and assets are public.
      const api = routes.filter((r) => !r.controller.startsWith('Dashboard'));
      expect(api.filter((r) => r.isPublic).map((r) => `${r.method} ${r.path}`).sort()).toEqual(['GET /health', 'GET /metrics', 'POST /api/auth/login', 'POST /webhooks/:key']);
    });

    it('each route as anonymous, Regular User and Admin: 401 / 403 "missing permission X" / allowed', async () => {
      const regularPermissions = new Set((await app.get(UsersRepository).findById(regularId))!.permissions);
      const problems: string[] = [];
      for (const r of routes) {
        // HTML pages answer a redirect to the sign-in page and a 403 page instead: test/dashboard.spec.ts.
        if (r.controller.startsWith('Dashboard')) continue;
        const path = r.path.replace(/:id\b/g, randomUUID()).replace(/:key\b/g, 'no-such-key');
        const call = (token?: string) => {
          const req = http()[r.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete'](path);
          if (token) req.set('Authorization', `Bearer ${token}`);
          return r.method === 'GET' || r.method === 'DELETE' ? req : req.send({});
        };
        const anon = await call();
        if (r.isPublic ? [401, 403].includes(anon.status) : anon.status !== 401) problems.push(`${r.method} ${r.path} anonymous → ${anon.status}`);
        const missing = r.isPublic ? undefined : r.permissions!.find((p) => !regularPermissions.has(p));
        const reg = await call(regularToken);
        if (missing) {
          if (reg.status !== 403 || reg.body.message !== `missing permission ${missing}`) problems.push(`${r.method} ${r.path} regular → ${reg.status} ${reg.body.message}`);
        } else if ([401, 403].includes(reg.status) || reg.status >= 500) {
          problems.push(`${r.method} ${r.path} regular → ${reg.status} ${reg.body.message}`);
        }
        const adm = await call(await tokenFor(app, 'admin'));
        if ([401, 403].includes(adm.status) || adm.status >= 500) problems.push(`${r.method} ${r.path} admin → ${adm.status} ${adm.body.message}`);
      }
      expect(problems).toEqual([]);
    });
  });

  // Last: it blocks this address for the rest of the window (this suite's own Redis prefix).
  describe('login rate limit', () => {
    let replica: INestApplication;
    afterAll(async () => {
      await replica?.close();
    });

    it('5 failures from one address in the window → 429 with Retry-After on every replica, even with the right password', async () => {
      await createUser('limited', [REGULAR_USER_ROLE], 'right-password-1');
      // Earlier tests of this suite failed logins too: start this test's count from zero.
      const redis = new Redis(config.REDIS_URL);
      await redis.del(`${PREFIX}:auth:login-failures:::ffff:127.0.0.1`, `${PREFIX}:auth:login-failures:127.0.0.1`);
      await redis.quit();
      replica = await startTestApi(config);
      for (let i = 0; i < 5; i++) {
        const target = i % 2 === 0 ? app : replica;
        const r = await request(target.getHttpServer()).post('/api/auth/login').send({ username: 'limited', password: `wrong-${i}-password` });
        expect(r.status).toBe(401);
      }
      for (const target of [replica, app]) {
        const blocked = await request(target.getHttpServer()).post('/api/auth/login').send({ username: 'limited', password: 'right-password-1' });
        expect(blocked.status).toBe(429);
        const retryAfter = Number(blocked.headers['retry-after']);
        expect(retryAfter).toBeGreaterThan(800);
        expect(retryAfter).toBeLessThanOrEqual(900);
        expect(blocked.body.message).toBe('too many failed logins; try again later');
      }
      const { rows } = await db.query<{ n: string }>("select count(*) as n from audit_log where action = 'auth.login' and username = 'limited' and result = 'denied'");
      expect(Number(rows[0]!.n)).toBe(2);
    });
  });
});
