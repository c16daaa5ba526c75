import { randomBytes } from 'crypto';
import { readdirSync, readFileSync } from 'fs';
import { createConnection } from 'mysql2/promise';
import path from 'path';
import { Client } from 'pg';
import type { Execution } from './support/api-client';
import { HttpFixture, json } from './support/http-fixture';
import { freshDatabase, waitFor } from './support/services';
import { listRemote, readRemote, remoteFolder, removeRemote, SFTP_DIR, SFTP_KNOWN_HOSTS, SFTP_PASSWORD_USER, SFTP_PORT, writeRemote } from './support/sftp';
import { TestSystem } from './support/system';
import { callWebhook, nowSeconds } from './support/webhook-client';

jest.setTimeout(60_000);

/* eslint-disable @typescript-eslint/no-explicit-any -- free-form JSON under test */
type Json = Record<string, any>;

/**
 * Every sample job of examples/ (vecron's own format): imported through POST /api/jobs/import
 * as written, then run end to end against the local servers (HTTP fixture, PostgreSQL, MariaDB,
 * sshd, S3) by its own trigger: manual, webhook, or its one_time schedule. Only what differs on
 * this machine is set: variables (URLs, credentials), the sshd port, and scheduled fires off for
 * the recurring schedules (a fire in the middle of a test would overlap its manual run).
 */
const EXAMPLES = path.resolve(__dirname, '../examples');
const MYSQL_URL = process.env.VECRON_TEST_MYSQL_URL ?? 'mysql://vecron:vecron@127.0.0.1:23306/vecron_target_test';
const SFTP_PASSWORD = readFileSync(path.join(SFTP_DIR, 'keys', 'password'), 'utf8');
const TOKEN = `tok-${randomBytes(6).toString('hex')}`;
const ERP_KEY = `erp-${randomBytes(6).toString('hex')}`;
const TERMINAL = ['success', 'failed', 'timeout', 'cancelled', 'dead_letter'];

const load = (file: string): Json => JSON.parse(readFileSync(path.join(EXAMPLES, file), 'utf8')) as Json;

describe('examples/: every sample imports and runs', () => {
  const sys = new TestSystem({
    name: 'e2e_examples',
    env: { VARIABLES_ENCRYPTION_KEYS: `e2e:${randomBytes(32).toString('base64')}` },
    workerEnv: { SFTP_KNOWN_HOSTS },
  });
  const fixture = new HttpFixture();
  let pg: Client;
  const table = `sessions_${randomBytes(3).toString('hex')}`;
  const dir = remoteFolder('examples');

  beforeAll(async () => {
    fixture
      .route('GET /health', (req, res) => json(res, req.headers.authorization === `Bearer ${TOKEN}` ? 200 : 401, { status: 'ok' }))
      .route('POST /status-board', (_req, res) => json(res, 200, { recorded: true }))
      .route('POST /orders', (req, res) => json(res, req.headers['x-api-key'] === ERP_KEY ? 201 : 403, { accepted: true }));
    await fixture.start();
    const pgUrl = await freshDatabase('vecron_e2e_examples_target');
    pg = new Client({ connectionString: pgUrl });
    await pg.connect();
    await pg.query('CREATE TABLE orders (status text, created_at timestamptz DEFAULT now())');
    await pg.query("INSERT INTO orders (status) VALUES ('paid'), ('paid'), ('new')");
    await pg.query('CREATE TABLE order_summaries (taken_at timestamptz, statuses int, orders int, execution_id text)');
    const my = await createConnection(MYSQL_URL);
    await my.query(`CREATE TABLE ${table} (id varchar(64), expires_at datetime)`);
    await my.query(`INSERT INTO ${table} VALUES ('old', '2000-01-01 00:00:00'), ('live', '2099-01-01 00:00:00')`);
    await my.end();
    writeRemote(`${dir}/inbox/ACK_0001.txt`, 'ok');
    await sys.start();
    for (const v of [
      { name: 'API_BASE_URL', value: fixture.url },
      { name: 'API_TOKEN', value: TOKEN, is_sensitive: true },
      { name: 'REPORT_DB_URL', value: pgUrl, is_sensitive: true },
      { name: 'SHOP_DB_URL', value: MYSQL_URL, is_sensitive: true },
      { name: 'PARTNER_SFTP_HOST', value: '127.0.0.1' },
      { name: 'PARTNER_SFTP_USER', value: SFTP_PASSWORD_USER },
      { name: 'PARTNER_SFTP_PASSWORD', value: SFTP_PASSWORD, is_sensitive: true },
      { name: 'PARTNER_DIR', value: dir },
      { name: 'ERP_BASE_URL', value: fixture.url },
      { name: 'ERP_API_KEY', value: ERP_KEY, is_sensitive: true },
    ]) {
      await sys.client.ok('POST', '/api/variables', v);
    }
  });

  afterAll(async () => {
    await sys.stop();
    await fixture.stop();
    await pg?.end();
    removeRemote(dir);
  });

  afterEach(() => {
    const failed = (expect.getState() as { suppressedErrors: unknown[] }).suppressedErrors.length > 0;
    if (failed) process.stderr.write(sys.logs());
  });

  /** Imports one example (adjusted by `adjust`) and returns the created job. */
  async function importExample(file: string, adjust: (d: Json) => void = () => undefined): Promise<Json> {
    const def = load(file);
    adjust(def);
    for (const step of def.steps as Json[]) if (step.type === 'sftp') step.config.port = SFTP_PORT;
    const report = await sys.client.ok<Json>('POST', '/api/jobs/import', { definitions: [def] });
    expect(report).toMatchObject({ created: 1, failed: 0 });
    expect(report.results[0].warnings).toEqual([]);
    return report.results[0];
  }

  const noScheduledFires = (d: Json): void => {
    d.triggers.scheduled = false;
  };

  async function finished(jobId: string, executionId?: string): Promise<Execution> {
    return waitFor(async () => {
      const { items } = await sys.client.executions(jobId);
      const found = executionId ? items.find((x) => x.id === executionId) : items[0];
      return found && TERMINAL.includes(found.status) ? found : null;
    }, 30_000, `an execution of ${jobId} to finish`);
  }

  async function runByHand(jobId: string): Promise<{ e: Execution; ctx: Json }> {
    const { execution_id } = await sys.client.ok<{ execution_id: string }>('POST', `/api/jobs/${jobId}/trigger`);
    const e = await finished(jobId, execution_id);
    const ctx = await sys.client.ok<Json>('GET', `/api/executions/${execution_id}/context`);
    expect({ status: e.status, error: e.error }).toEqual({ status: 'success', error: null });
    return { e, ctx };
  }

  it('every example is valid as written (one per step type and trigger)', async () => {
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'));
    const defs = files.map(load);
    const stepTypes = new Set(defs.flatMap((d) => (d.steps as Json[]).map((s) => s.type)));
    expect([...stepTypes].sort()).toEqual(['database', 'file_processing', 'http', 'sftp']);
    const triggers = new Set(defs.flatMap((d) => [d.schedule?.type, d.triggers?.manual ? 'manual' : null, d.triggers?.webhook?.enabled ? 'webhook' : null]));
    for (const t of ['cron', 'fixed_rate', 'fixed_delay', 'one_time', 'manual', 'webhook']) expect(triggers).toContain(t);
    // The api validates each one (the same checks as import), without creating anything.
    for (const [i, def] of defs.entries()) {
      const r = await sys.client.call('POST', '/api/jobs', { ...def, steps: [...def.steps, { id: 'x', name: 'X', type: 'nope', config: {} }] });
      expect({ file: files[i], status: r.status, details: (r.body as Json).details }).toEqual({
        file: files[i], status: 400, details: [{ path: `steps[${def.steps.length}].type`, message: expect.stringContaining('must be one of') }],
      });
    }
  });

  it('http-health-check (cron): bearer call, then the status post', async () => {
    const job = await importExample('http-health-check.json', noScheduledFires);
    const { ctx } = await runByHand(job.id);
    expect(ctx.steps.check.output).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(ctx.steps.report.status).toBe('success');
    const posted = JSON.parse(fixture.requestsTo('/status-board').at(-1)!.body) as Json;
    expect(posted).toMatchObject({ service: 'partner-api', status: 'ok' });
  });

  it('database-hourly-summary (fixed_rate): PostgreSQL query, then an insert of its result', async () => {
    const job = await importExample('database-hourly-summary.json', noScheduledFires);
    const { e } = await runByHand(job.id);
    const { rows } = await pg.query('SELECT statuses, orders FROM order_summaries WHERE execution_id = $1', [e.id]);
    expect(rows).toEqual([{ statuses: 2, orders: 1 }]);
  });

  it('mysql-one-time-cleanup (one_time): fires at its time and deletes the expired sessions in MariaDB', async () => {
    const job = await importExample('mysql-one-time-cleanup.json', (d) => {
      d.schedule.execute_at = new Date(Date.now() + 2500).toISOString();
      d.steps[0].config.query = d.steps[0].config.query.replace('FROM sessions', `FROM ${table}`);
    });
    const e = await finished(job.id);
    expect({ status: e.status, trigger: e.trigger_source, error: e.error }).toEqual({ status: 'success', trigger: 'scheduled', error: null });
    const my = await createConnection(MYSQL_URL);
    const [rows] = await my.query(`SELECT id FROM ${table} ORDER BY id`);
    await my.end();
    expect(rows).toEqual([{ id: 'live' }]);
  });

  it('csv-to-excel-report (fixed_delay): CSV written, read back with exact decimals, XLSX written', async () => {
    const job = await importExample('csv-to-excel-report.json', noScheduledFires);
    const { ctx } = await runByHand(job.id);
    expect(ctx.steps.read_csv.output.data).toEqual([
      { store: 'Hà Nội', amount: '1234567.89' },
      { store: 'Đà Nẵng', amount: '0.10' },
      { store: 'TP. Hồ Chí Minh', amount: '0.20' },
    ]);
    expect(ctx.steps.write_xlsx.output).toMatchObject({ row_count: 3 });
    expect((ctx.files as Json[]).map((f) => f.filename)).toEqual([expect.stringMatching(/^sales_.*\.csv$/), expect.stringMatching(/^sales_report_.*\.xlsx$/)]);
  });

  it('sftp-partner-upload (manual): file written, uploaded to the outbox, acknowledgements downloaded', async () => {
    const job = await importExample('sftp-partner-upload.json');
    const { ctx } = await runByHand(job.id);
    const [uploaded] = listRemote(`${dir}/outbox`);
    expect(uploaded).toMatch(/^settlement_.*\.csv$/);
    expect(readRemote(`${dir}/outbox/${uploaded}`).toString()).toContain('T0001,150000.00');
    expect(ctx.steps.acks.output.files).toEqual([expect.objectContaining({ filename: 'ACK_0001.txt' })]);
    expect(JSON.stringify(ctx)).not.toContain(SFTP_PASSWORD);
  });

  it('webhook-order-sync (webhook): a signed call forwards the order to the ERP', async () => {
    const job = await importExample('webhook-order-sync.json');
    expect(job.webhook).toMatchObject({ url: expect.stringMatching(/^\/webhooks\//), secret: expect.any(String) });
    const body = JSON.stringify({ order_id: 'A-1001', amount: 42 });
    const answer = await callWebhook(sys.client.baseUrl, job.webhook.url, { body, secret: job.webhook.secret, timestamp: nowSeconds(), headers: { 'X-Shop-Id': 'shop-7' } });
    expect(answer.status).toBe(202);
    const e = await finished(job.id, answer.body!.execution_id);
    expect({ status: e.status, trigger: e.trigger_source }).toEqual({ status: 'success', trigger: 'webhook' });
    const forwarded = fixture.requestsTo('/orders').at(-1)!;
    expect(JSON.parse(forwarded.body)).toEqual({ order_id: 'A-1001', amount: 42, source: 'webhook' });
    expect(forwarded.headers['x-shop-id']).toBe('shop-7');
  });
});
