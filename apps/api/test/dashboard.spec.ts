import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { Database } from '@vecron/db';
import { randomUUID } from 'crypto';
import { UsersRepository } from '../src/users/users.repository';
import { freshTestDatabase, startTestApi, testApiConfig } from './api-test-app';
import { routeTable } from './route-table';

const JOBS = 10_000;

/** Signs in through the login form (CSRF cookie + field) and returns the cookies to send. */
async function signIn(app: NestExpressApplication, username = 'admin', password = 'admin123'): Promise<string[]> {
  const first = await request(app.getHttpServer()).get('/').expect(200);
  const csrfCookie = (first.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('vecron_csrf='))!.split(';')[0]!;
  const csrf = csrfCookie.split('=')[1]!;
  const res = await request(app.getHttpServer()).post('/login').set('Cookie', csrfCookie).type('form').send({ _csrf: csrf, username, password }).expect(303);
  const session = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('vecron_session='))!.split(';')[0]!;
  return [csrfCookie, session];
}

/**
 * The dashboard's pages against the real api in-process (PostgreSQL, Redis, S3): 10,000 jobs
 * listed, searched and filtered; CSRF; security headers; the SSE stream of execution changes.
 */
describe('dashboard pages (real PostgreSQL + S3)', () => {
  let app: NestExpressApplication;
  let db: Database;
  let cookies: string[];
  let csrf: string;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    const config = testApiConfig({ DATABASE_URL: await freshTestDatabase('vecron_test_dashboard'), S3_BUCKET: 'vecron-test-dashboard' });
    app = await startTestApi(config);
    db = new Database({ connectionString: config.DATABASE_URL, poolSize: 2 });
    // 10,000 jobs (every 7th disabled) with 5 executions each, one failed.
    await db.query(
      `insert into jobs (id, name, enabled, definition_path, current_version, schedule, schedule_type, timezone, next_run_at, created_at)
       select gen_random_uuid(), 'bulk-' || lpad(g::text, 5, '0'), g % 7 <> 0, 'jobs/x/definition.json', 1,
         '{"type":"cron","expression":"0 0 * * * ?","timezone":"Asia/Ho_Chi_Minh"}'::jsonb, 'cron', 'Asia/Ho_Chi_Minh',
         now() + interval '1 hour', now() - (g || ' seconds')::interval
       from generate_series(1, ${JOBS}) g`,
    );
    await db.query(
      `insert into job_executions (id, job_id, idempotency_key, status, trigger_source, definition_version, created_at, updated_at, started_at, completed_at)
       select gen_random_uuid(), j.id, 'seed:' || j.id || ':' || g, case when g = 5 then 'failed' else 'success' end, 'scheduled', 1,
         now() - (g || ' hours')::interval - (random() * interval '1 minute'), now() - interval '1 day',
         now() - (g || ' hours')::interval, now() - (g || ' hours')::interval + interval '2 seconds'
       from jobs j cross join generate_series(1, 5) g`,
    );
    await db.query('analyze');
    cookies = await signIn(app);
    csrf = cookies[0]!.split('=')[1]!;
    await http().post('/api/users').set('Cookie', cookies).send({ username: 'viewer', password: 'viewer-password-1', roles: ['Regular User'] }).expect(201);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('lists 10,000 jobs a page at a time with last run and 30-day success rate', async () => {
    const res = await http().get('/jobs').set('Cookie', cookies).expect(200);
    expect(res.text).toContain(`Page 1 of ${Math.ceil(JOBS / 25)} (10,000 in all)`);
    expect(res.text.match(/data-job-id=/g)).toHaveLength(25);
    // The newest job first; 4 of its 5 runs succeeded.
    expect(res.text).toMatch(/data-job-name="bulk-00001"[\s\S]*?80%/);
    const last = await http().get(`/jobs?page=${Math.ceil(JOBS / 25)}`).set('Cookie', cookies).expect(200);
    expect(last.text).toContain('bulk-10000');
  });

  it('searches by name and filters by status (HTMX partial: the table only)', async () => {
    const res = await http().get('/jobs?q=bulk-0999').set('Cookie', cookies).set('HX-Request', 'true').set('HX-Target', 'jobs-table').expect(200);
    expect(res.text).not.toContain('<html');
    expect(res.text.match(/data-job-id=/g)).toHaveLength(10);
    const disabled = await http().get('/jobs?status=disabled').set('Cookie', cookies).expect(200);
    expect(disabled.text).toContain(`(${Math.floor(JOBS / 7).toLocaleString('en-GB')} in all)`);
    const escaped = await http().get('/jobs?q=%25_').set('Cookie', cookies).expect(200);
    expect(escaped.text).toContain('(0 in all)');
  });

  it('lists executions of the last 30 days with filters', async () => {
    const res = await http().get('/executions?status=failed').set('Cookie', cookies).expect(200);
    expect(res.text).toContain('(10,000 in all)');
    expect(res.text.match(/data-status="failed"/g)!.length).toBeGreaterThanOrEqual(30);
    expect(res.text).not.toMatch(/<tr[^>]*data-status="success"/);
    const all = await http().get('/executions').set('Cookie', cookies).expect(200);
    expect(all.text).toContain('(10,000+ in all)');
  });

  it('answers pages with the CSP, frame and sniffing headers, and serves htmx itself', async () => {
    const res = await http().get('/jobs').set('Cookie', cookies).expect(200);
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    // No inline script or style attribute in the page.
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.text).not.toMatch(/\sstyle=/);
    const htmx = await http().get('/assets/htmx.min.js').expect(200);
    expect(htmx.headers['content-type']).toContain('javascript');
    expect(htmx.text).toContain('htmx');
    await http().get('/assets/..%2Fpackage.json').expect(404);
  });

  it('refuses a form without the CSRF token', async () => {
    const { rows } = await db.query<{ id: string }>(`select id from jobs where name = 'bulk-00002'`);
    const id = rows[0]!.id;
    const refused = await http().post(`/jobs/${id}/disable`).set('Cookie', cookies).type('form').send({}).expect(403);
    expect(refused.text).toContain('The form expired');
    await http().post(`/jobs/${id}/disable`).set('Cookie', cookies).type('form').send({ _csrf: 'x'.repeat(43) }).expect(403);
    expect((await db.query(`select enabled from jobs where id = $1`, [id])).rows[0].enabled).toBe(true);
  });

  it('sends a signed-out visitor to the sign-in page, and Vietnamese from Accept-Language', async () => {
    const res = await http().get('/executions').expect(303);
    expect(res.headers['location']).toBe('/?next=%2Fexecutions');
    const expired = await http().get('/jobs').set('Cookie', 'vecron_session=not-a-valid-token').expect(303);
    expect(expired.headers['location']).toBe('/?expired=1&next=%2Fjobs');
    const page = await http().get(expired.headers['location']!).expect(200);
    expect(page.text).toContain('Your session has expired');
    const vi = await http().get('/').set('Accept-Language', 'vi-VN,vi;q=0.9,en;q=0.5').expect(200);
    expect(vi.text).toContain('<html lang="vi">');
    expect(vi.text).toContain('Đăng nhập');
  });

  it('shows a Regular User what the role allows: view and trigger, no edit or delete, 403 on admin pages', async () => {
    const viewer = await signIn(app, 'viewer', 'viewer-password-1');
    const res = await http().get('/jobs').set('Cookie', viewer).expect(200);
    expect(res.text).toMatch(/data-testid="role-badge">User</);
    expect(res.text).toContain('data-action="trigger"');
    for (const hidden of ['data-action="edit"', 'data-action="delete"', 'data-action="disable"', 'href="/users"', 'href="/jobs/new"']) {
      expect(res.text).not.toContain(hidden);
    }
    const users = await http().get('/users').set('Cookie', viewer).expect(403);
    expect(users.text).toContain('data-error-code="403"');
    await http().get('/jobs/new').set('Cookie', viewer).expect(403);
    await http().get('/system').set('Cookie', viewer).expect(403);
    const { rows } = await db.query<{ id: string }>(`select id from jobs where name = 'bulk-00003'`);
    const viewerCsrf = viewer[0]!.split('=')[1]!;
    await http().post(`/jobs/${rows[0]!.id}/delete`).set('Cookie', viewer).type('form').send({ _csrf: viewerCsrf }).expect(403);
    // Executions: only the ones this user triggered (none yet).
    const executions = await http().get('/executions').set('Cookie', viewer).expect(200);
    expect(executions.text).toContain('(0 in all)');
    // The admin sees the users page.
    const admin = await http().get('/users').set('Cookie', cookies).expect(200);
    expect(admin.text).toContain('data-user="viewer"');
  });

  it('route × role: every dashboard route as anonymous, Regular User and Admin', async () => {
    const routes = routeTable(app).filter((r) => r.controller.startsWith('Dashboard'));
    expect(routes.length).toBeGreaterThan(30);
    expect(routes.filter((r) => !r.isPublic && r.permissions === undefined)).toEqual([]);
    expect(routes.filter((r) => r.isPublic).map((r) => `${r.method} ${r.path}`).sort()).toEqual(
      ['GET /', 'GET /assets/:name', 'GET /auth/keycloak/callback', 'GET /auth/keycloak/login', 'GET /lang/:code', 'POST /login', 'POST /logout'],
    );
    const viewer = await signIn(app, 'viewer', 'viewer-password-1');
    const viewerPermissions = new Set((await app.get(UsersRepository).findByUsername('viewer'))!.permissions);
    const problems: string[] = [];
    for (const r of routes) {
      // The event stream never ends: its answers are checked in the SSE test.
      if (r.path === '/events/executions') continue;
      const path = r.path.replace(':id', randomUUID()).replace(':name', 'dashboard.css').replace(':code', 'vi').replace(':index', '0');
      const call = (jar?: string[]) => {
        const req = r.method === 'GET' ? http().get(path) : http().post(path).type('form').send(jar ? { _csrf: jar[0]!.split('=')[1] } : {});
        return jar ? req.set('Cookie', jar) : req;
      };
      const anon = await call();
      // Public pages answer; a public form posted without the CSRF cookie is refused (403); the rest send to sign-in.
      const anonOk = r.isPublic ? (r.method === 'GET' ? anon.status < 400 : anon.status === 403) : anon.status === 303 && String(anon.headers['location']).startsWith('/?');
      if (!anonOk) {
        problems.push(`${r.method} ${r.path} anonymous → ${anon.status}`);
      }
      const missing = r.isPublic ? undefined : r.permissions!.find((p) => !viewerPermissions.has(p));
      const reg = await call(viewer);
      if (missing ? reg.status !== 403 : [401, 403].includes(reg.status) || reg.status >= 500) problems.push(`${r.method} ${r.path} regular → ${reg.status}`);
      const adm = await call(cookies);
      if ([401, 403].includes(adm.status) || adm.status >= 500) problems.push(`${r.method} ${r.path} admin → ${adm.status}`);
    }
    expect(problems).toEqual([]);
  });

  describe('export and import', () => {
    const PASSWORD = 'S3cr3t-basic-pw-dashboard';
    const job = (name: string) => ({
      name,
      triggers: { manual: true },
      steps: [{ id: 'call', name: 'Call', type: 'http', config: { method: 'GET', url: 'https://example.com/a', auth: { type: 'basic', username: 'u', password: PASSWORD } } }],
    });

    it('shows Export and Import to the Admin; the download has placeholders, never the secret', async () => {
      const { body: created } = await http().post('/api/jobs').set('Cookie', cookies).send(job('port-one')).expect(201);
      const list = await http().get('/jobs?q=port-one').set('Cookie', cookies).expect(200);
      expect(list.text).toContain('data-action="import"');
      expect(list.text).toContain(`href="/jobs/${created.id}/export"`);
      expect(list.text).toContain(`name="ids" value="${created.id}" form="bulk-export"`);
      const page = await http().get(`/jobs/${created.id}`).set('Cookie', cookies).expect(200);
      expect(page.text).toContain(`href="/jobs/${created.id}/export"`);

      const one = await http().get(`/jobs/${created.id}/export`).set('Cookie', cookies).expect(200);
      expect(one.headers['content-disposition']).toMatch(/^attachment; filename="job-port-one-\d{8}T\d{6}Z\.json"$/);
      expect(one.text).not.toContain(PASSWORD);
      expect(JSON.parse(one.text).definition.steps[0].config.auth.password).toBe('${SECRET:CALL_AUTH_PASSWORD}');

      // Bulk: the ticked jobs (JSON), and a form without CSRF is refused.
      await http().post('/jobs/export').set('Cookie', cookies).type('form').send({ scope: 'selected', ids: created.id }).expect(403);
      const bulk = await http().post('/jobs/export').set('Cookie', cookies).type('form').send({ _csrf: csrf, scope: 'selected', ids: [created.id], format: 'json' }).expect(200);
      expect(bulk.headers['content-type']).toContain('application/json');
      expect(bulk.headers['content-disposition']).toMatch(/^attachment; filename="jobs-.*\.json"$/);
      const files = JSON.parse(bulk.text) as { definition: { name: string } }[];
      expect(files.map((f) => f.definition.name)).toEqual(['port-one']);
      expect(bulk.text).not.toContain(PASSWORD);
      // All of a search (JSON here; the ZIP is written by archiver, an ES module jest cannot load: the browser test downloads it).
      const all = await http().post('/jobs/export').set('Cookie', cookies).type('form').send({ _csrf: csrf, scope: 'all', q: 'port-one', format: 'json' }).expect(200);
      expect((JSON.parse(all.text) as { definition: { name: string } }[]).map((f) => f.definition.name)).toEqual(['port-one']);
      // Nothing ticked: back to the list with a message.
      const none = await http().post('/jobs/export').set('Cookie', cookies).type('form').send({ _csrf: csrf, scope: 'selected' }).expect(303);
      expect(none.headers['location']).toBe('/jobs?msg=export_none');
    });

    it('imports a file with a placeholder: asks for the secret, saves nothing until given, then creates the job', async () => {
      const file = Buffer.from(JSON.stringify({ format_version: 1, definition: job('port-imported'), variables: [] }).replace(PASSWORD, '${SECRET:BASIC_PW}'));
      const upload = await http().get('/import').set('Cookie', cookies).expect(200);
      expect(upload.text).toContain('enctype="multipart/form-data"');
      const first = await http().post('/import').set('Cookie', cookies).field('_csrf', csrf).attach('file', file, 'port.json').expect(200);
      expect(first.text).toContain('data-secret="BASIC_PW"');
      expect(first.headers['content-security-policy']).not.toContain('unsafe-inline');
      expect((await db.query(`select 1 from jobs where name = 'port-imported'`)).rowCount).toBe(0);
      const items = /name="items" value="([^"]*)"/.exec(first.text)![1]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
      // An empty value is asked again; still nothing saved.
      const again = await http().post('/import').set('Cookie', cookies).field('_csrf', csrf).field('items', items).field('secret-BASIC_PW', '').expect(400);
      expect(again.text).toContain('data-secret="BASIC_PW"');
      expect((await db.query(`select 1 from jobs where name = 'port-imported'`)).rowCount).toBe(0);
      const done = await http().post('/import').set('Cookie', cookies).field('_csrf', csrf).field('items', items).field('secret-BASIC_PW', 'given-pw').expect(200);
      expect(done.text).toContain('data-import-status="created"');
      const id = /data-job-link="([0-9a-f-]{36})"/.exec(done.text)![1]!;
      const stored = await http().get(`/api/jobs/${id}`).set('Cookie', cookies).expect(200);
      expect(stored.body.definition.steps[0].config.auth.password).toBe('given-pw');
      // A broken definition: refused with every {path, message}; the old dialect's warnings are shown.
      const bad = await http().post('/import').set('Cookie', cookies).field('_csrf', csrf)
        .attach('file', Buffer.from(JSON.stringify([{ name: 'port-bad', steps: [{ id: 's', name: 'S', type: 'http', config: { method: 'FETCH' } }] }])), 'bad.json').expect(200);
      expect(bad.text).toContain('data-import-status="failed"');
      expect(bad.text).toMatch(/data-error-path="steps\[0\]\.config\.(method|url)"/);
    });

    it('hides Export and Import from a Regular User and answers 403', async () => {
      const viewer = await signIn(app, 'viewer', 'viewer-password-1');
      const viewerCsrf = viewer[0]!.split('=')[1]!;
      const { rows } = await db.query<{ id: string }>(`select id from jobs where name = 'port-one'`);
      const list = await http().get('/jobs?q=port-one').set('Cookie', viewer).expect(200);
      for (const hidden of ['data-action="import"', 'data-action="export"', 'bulk-export']) expect(list.text).not.toContain(hidden);
      const page = await http().get(`/jobs/${rows[0]!.id}`).set('Cookie', viewer).expect(200);
      expect(page.text).not.toContain('data-action="export"');
      await http().get(`/jobs/${rows[0]!.id}/export`).set('Cookie', viewer).expect(403);
      await http().post('/jobs/export').set('Cookie', viewer).type('form').send({ _csrf: viewerCsrf, scope: 'all' }).expect(403);
      await http().get('/import').set('Cookie', viewer).expect(403);
      await http().post('/import').set('Cookie', viewer).field('_csrf', viewerCsrf).attach('file', Buffer.from('{}'), 'x.json').expect(403);
    });
  });

  it('shows the attempts in the timeline and replays a dead letter from the failed step or the start', async () => {
    const { body: created } = await http().post('/api/jobs').set('Cookie', cookies)
      .send({ name: 'replay-me', triggers: { manual: true }, steps: [{ id: 'call', name: 'Call', type: 'http', config: { method: 'GET', url: 'https://example.com/a' } }] }).expect(201);
    const original = randomUUID();
    await db.query(
      `insert into job_executions (id, job_id, idempotency_key, status, trigger_source, definition_version, attempt, error, created_at, updated_at, started_at, completed_at)
       values ($1, $2, $3, 'dead_letter', 'manual', 1, 2, '{"message":"HTTP 503","step_id":"call","code":"HTTP_STATUS","retryable":true}', now(), now(), now() - interval '1 minute', now())`,
      [original, created.id, `dash-replay:${original}`],
    );
    await db.query(
      `insert into execution_attempts (execution_id, step_id, attempt, status, error_code, error_message, retryable, started_at, finished_at, next_attempt_at)
       values ($1, 'call', 1, 'failed', 'HTTP_STATUS', 'HTTP 503 first', true, now() - interval '60 seconds', now() - interval '59 seconds', now() - interval '30 seconds'),
              ($1, 'call', 2, 'failed', 'HTTP_STATUS', 'HTTP 503 second', true, now() - interval '30 seconds', now() - interval '29 seconds', null)`,
      [original],
    );
    const page = await http().get(`/executions/${original}`).set('Cookie', cookies).expect(200);
    expect(page.text).toMatch(/data-attempt="1" data-attempt-status="failed">[\s\S]*?HTTP 503 first/);
    expect(page.text).toMatch(/data-attempt="2" data-attempt-status="failed">[\s\S]*?HTTP 503 second/);
    expect(page.text).toContain('data-action="replay-failed-step"');
    expect(page.text).toContain('data-action="replay-start"');
    // Without the CSRF token: refused, nothing started.
    await http().post(`/executions/${original}/replay`).set('Cookie', cookies).type('form').send({ from: 'start' }).expect(403);
    const replayed = await http().post(`/executions/${original}/replay`).set('Cookie', cookies).type('form').send({ _csrf: csrf, from: 'failed_step' }).expect(303);
    const newId = /^\/executions\/([0-9a-f-]{36})\?msg=replayed$/.exec(String(replayed.headers['location']))![1]!;
    const { rows } = await db.query<{ replay_of: string; trigger_source: string; resume_step: string | null }>('select replay_of, trigger_source, resume_step from job_executions where id = $1', [newId]);
    expect(rows[0]).toEqual({ replay_of: original, trigger_source: 'replay', resume_step: 'call' });
    const next = await http().get(String(replayed.headers['location'])).set('Cookie', cookies).expect(200);
    expect(next.text).toContain(`href="/executions/${original}" data-testid="replay-of"`);
    expect(next.text).toContain('Replay started.');
    // A run in progress cannot be replayed: no buttons, and the form answers with the reason.
    expect(next.text).not.toContain('data-action="replay-start"');
    const refused = await http().post(`/executions/${newId}/replay`).set('Cookie', cookies).type('form').send({ _csrf: csrf, from: 'start' }).expect(303);
    expect(String(refused.headers['location'])).toMatch(new RegExp(`^/executions/${newId}\\?msg=replay_conflict&reason=`));
    // A Regular User cannot see (nor replay) an execution someone else triggered.
    const viewer = await signIn(app, 'viewer', 'viewer-password-1');
    await http().post(`/executions/${original}/replay`).set('Cookie', viewer).type('form').send({ _csrf: viewer[0]!.split('=')[1], from: 'start' }).expect(404);
  });

  it('streams execution changes as Server-Sent Events', async () => {
    await new Promise<void>((resolve) => app.getHttpServer().listen(0, '127.0.0.1', resolve));
    const { port } = app.getHttpServer().address() as { port: number };
    const abort = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/events/executions`, { headers: { cookie: cookies.join('; ') }, signal: abort.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const { rows } = await db.query<{ id: string }>(
      `update job_executions set status = 'running', updated_at = now() + interval '1 second'
       where id = (select id from job_executions where status = 'failed' limit 1) returning id`,
    );
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes(rows[0]!.id)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
    }
    abort.abort();
    const event = text.split('\n\n').find((e) => e.includes(rows[0]!.id))!;
    expect(event).toContain('event: execution');
    const data = JSON.parse(event.split('\n').find((l) => l.startsWith('data: '))!.slice(6)) as { status: string; row: string };
    expect(data.status).toBe('running');
    expect(data.row).toContain(`id="exec-${rows[0]!.id}"`);
    expect(csrf).toHaveLength(43);
  });
});
