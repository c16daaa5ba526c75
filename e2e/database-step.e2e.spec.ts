import { randomBytes } from 'crypto';
import { Client } from 'pg';
import { HttpFixture, json } from './support/http-fixture';
import { freshDatabase, waitFor } from './support/services';
import { TestSystem } from './support/system';

jest.setTimeout(120_000);

const USERS = [
  { id: 1, name: 'Ann', email: 'ann@example.com' },
  { id: 2, name: "Robert'); DROP TABLE e2e_users; --", email: 'bobby@example.com' },
  { id: 3, name: 'Zoë', email: 'zoe@example.com' },
];

/**
 * The typical pipeline, through the built api, scheduler and worker processes:
 * HTTP fetch of users → database upsert into PostgreSQL from {{steps.fetch.response.body}}
 * bound as one JSON parameter → count query → HTTP post of the count.
 */
describe('database step end to end: fetch users → upsert into PostgreSQL → count → post the count', () => {
  // Sensitive variables are stored encrypted; debug logs show what the worker logs about each step.
  const sys = new TestSystem({ name: 'e2e_dbstep', env: { VARIABLES_ENCRYPTION_KEYS: `e2e:${randomBytes(32).toString('base64')}`, LOG_LEVEL: 'debug' } });
  const fixture = new HttpFixture();
  let target: Client;
  let targetUrl: string;

  beforeAll(async () => {
    fixture.route('GET /users', (_req, res) => json(res, 200, USERS)).route('POST /count', (req, res) => json(res, 201, { received: JSON.parse(req.body || 'null') }));
    await fixture.start();
    targetUrl = await freshDatabase('vecron_e2e_dbstep_target');
    target = new Client({ connectionString: targetUrl });
    await target.connect();
    await target.query('CREATE TABLE e2e_users (id int PRIMARY KEY, name text NOT NULL, email text)');
    await sys.start();
  });

  afterAll(async () => {
    await sys.stop();
    await fixture.stop();
    await target?.end();
  });

  afterEach(() => {
    const failed = (expect.getState() as { suppressedErrors: unknown[] }).suppressedErrors.length > 0;
    if (failed) process.stderr.write(sys.logs());
  });

  it('runs the pipeline twice; values are bound (never SQL), the upsert is idempotent, the count is posted', async () => {
    // The target's connection string comes from a sensitive variable, with a password in it.
    const withPassword = new URL(targetUrl);
    withPassword.password = 'target-secret-pw';
    await sys.client.ok('POST', '/api/variables', { name: 'TARGET_DB_URL', value: withPassword.toString(), is_sensitive: true });
    const job = await sys.client.createJob({
      name: 'users-to-postgres',
      schedule: null,
      steps: [
        { id: 'fetch', name: 'fetch users', type: 'http', condition: null, config: { method: 'GET', url: `${fixture.url}/users` } },
        {
          id: 'upsert',
          name: 'upsert users',
          type: 'database',
          condition: null,
          config: {
            database_type: 'postgresql',
            connection_string: '${TARGET_DB_URL}',
            query:
              'INSERT INTO e2e_users (id, name, email) SELECT id, name, email FROM json_to_recordset({{steps.fetch.response.body}}::json) ' +
              'AS x(id int, name text, email text) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email',
            timeout_seconds: 30,
          },
        },
        {
          id: 'count',
          name: 'count users',
          type: 'database',
          condition: null,
          config: { database_type: 'postgresql', connection_string: '${TARGET_DB_URL}', query: 'SELECT count(*)::int AS n FROM e2e_users WHERE id >= $1', parameters: [1] },
        },
        {
          id: 'post',
          name: 'post the count',
          type: 'http',
          condition: null,
          config: { method: 'POST', url: `${fixture.url}/count`, body: { users: '{{steps.count.output.rows[0].n}}', upserted: '{{steps.upsert.output.affected_rows}}' } },
        },
      ],
      triggers: { scheduled: false, manual: true },
    });

    for (let run = 1; run <= 2; run++) {
      const { execution_id } = await sys.client.ok<{ execution_id: string }>('POST', `/api/jobs/${job.id}/trigger`);
      // Polled on the list (which does not read context.json while the worker writes it).
      const done = await waitFor(async () => {
        const { items } = await sys.client.executions(job.id);
        const e = items.find((x) => x.id === execution_id);
        return e && ['success', 'failed', 'timeout', 'cancelled', 'dead_letter'].includes(e.status) ? e : null;
      }, 60_000, `execution ${run} to finish`).catch((err: unknown) => {
        process.stderr.write(sys.logs());
        throw err;
      });
      expect(done).toMatchObject({ status: 'success', error: null });

      const ctx = await sys.client.ok<Record<string, any>>('GET', `/api/executions/${execution_id}/context`); // eslint-disable-line @typescript-eslint/no-explicit-any -- free-form JSON under test
      expect(ctx.steps.upsert).toMatchObject({ status: 'success', output: { affected_rows: 3, row_count: 3, rows: [] } });
      expect(ctx.steps.count).toMatchObject({ status: 'success', output: { rows: [{ n: 3 }], row_count: 1, columns: ['n'] } });
      expect(JSON.stringify(ctx)).not.toContain('target-secret-pw');
    }

    const posted = fixture.requestsTo('/count').map((r) => JSON.parse(r.body) as unknown);
    expect(posted).toEqual([{ users: 3, upserted: 3 }, { users: 3, upserted: 3 }]);
    const { rows } = await target.query('SELECT id, name, email FROM e2e_users ORDER BY id');
    expect(rows).toEqual(USERS);
    expect(sys.logs()).not.toContain('target-secret-pw');
  });
});
