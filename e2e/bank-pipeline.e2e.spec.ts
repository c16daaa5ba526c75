import { randomBytes } from 'crypto';
import { readFileSync } from 'fs';
import path from 'path';
import ExcelJS from 'exceljs';
import { Client } from 'pg';
import type { Execution } from './support/api-client';
import { freshDatabase, storageFor, waitFor } from './support/services';
import { listRemote, readRemote, remoteFolder, removeRemote, SFTP_DIR, SFTP_KNOWN_HOSTS, SFTP_PASSWORD_USER, SFTP_PORT, writeRemote } from './support/sftp';
import { TestSystem } from './support/system';

jest.setTimeout(90_000);

/* eslint-disable @typescript-eslint/no-explicit-any -- free-form JSON under test */
type Json = Record<string, any>;

/** The job as documented in examples/bank-reconciliation.json: the test runs that very file. */
const EXAMPLE = path.resolve(__dirname, '../examples/bank-reconciliation.json');
const SFTP_PASSWORD = readFileSync(path.join(SFTP_DIR, 'keys', 'password'), 'utf8');
const DB_PASSWORD = `recon-db-secret-${randomBytes(4).toString('hex')}`;

const HEADER = 'Mã GD,Ngân hàng,Ngày GD,Khách hàng,Số tiền,Trạng thái';
/** Partner 1: UTF-8 with a BOM, CRLF, a quoted name holding the delimiter. */
const TCB = [
  HEADER,
  'TCB0001,TCB,30/11/2026,Nguyễn Văn Ấn,1234567.89,SUCCESS',
  'TCB0002,TCB,30/11/2026,Trần Thị Bích,0.10,SUCCESS',
  'TCB0003,TCB,30/11/2026,Lê Văn Cường,999.99,FAILED',
  'TCB0004,TCB,30/11/2026,"Phạm Minh Đức, Hà Nội",0.20,SUCCESS',
];
/** Partner 2: UTF-8 without a BOM, CRLF; two days. */
const VCB = [
  HEADER,
  'VCB0001,VCB,29/11/2026,Hoàng Thị Ếch,98765432.10,SUCCESS',
  'VCB0002,VCB,30/11/2026,Đặng Quốc Bảo,0.30,PENDING',
  'VCB0003,VCB,30/11/2026,Vũ Thị Hằng,100000000.01,SUCCESS',
  'VCB0004,VCB,30/11/2026,Ngô Thị Ánh,0.07,SUCCESS',
];
const crlf = (lines: string[]): string => lines.join('\r\n') + '\r\n';

/** YYYY-MM-DD of an instant in the default job time zone (what {{execution_date}} gives). */
const localDate = (iso: string): string => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' }).format(new Date(iso));

/**
 * The reason the product exists, through the built api, scheduler and worker processes:
 * SFTP download (host key checked against known_hosts) → CSV read with mapping, exact decimals
 * and a filter → rows into PostgreSQL → summary query → XLSX → SFTP upload to the partner's outbox.
 * Credentials come from sensitive variables.
 */
describe('bank pipeline end to end: SFTP → CSV → PostgreSQL → XLSX → SFTP', () => {
  const sys = new TestSystem({
    name: 'e2e_bank',
    env: { VARIABLES_ENCRYPTION_KEYS: `e2e:${randomBytes(32).toString('base64')}`, LOG_LEVEL: 'debug' },
    workerEnv: { SFTP_KNOWN_HOSTS },
  });
  let target: Client;
  const folders: string[] = [];

  beforeAll(async () => {
    const targetUrl = await freshDatabase('vecron_e2e_bank_target');
    target = new Client({ connectionString: targetUrl });
    await target.connect();
    await target.query(
      'CREATE TABLE bank_transactions (txn_id text PRIMARY KEY, bank text NOT NULL, txn_date date NOT NULL, customer text NOT NULL, amount numeric(18,2) NOT NULL, batch_id uuid NOT NULL)',
    );
    await sys.start();
    // The target accepts any password on loopback (trust): one is set so that masking is proven.
    const withPassword = new URL(targetUrl);
    withPassword.password = DB_PASSWORD;
    for (const v of [
      { name: 'PARTNER_SFTP_HOST', value: '127.0.0.1' },
      { name: 'PARTNER_SFTP_USER', value: SFTP_PASSWORD_USER },
      { name: 'PARTNER_SFTP_PASSWORD', value: SFTP_PASSWORD, is_sensitive: true },
      { name: 'RECON_DB_URL', value: withPassword.toString(), is_sensitive: true },
    ]) {
      await sys.client.ok('POST', '/api/variables', v);
    }
  });

  afterAll(async () => {
    await sys.stop();
    await target?.end();
    for (const f of folders) removeRemote(f);
  });

  afterEach(() => {
    const failed = (expect.getState() as { suppressedErrors: unknown[] }).suppressedErrors.length > 0;
    if (failed) process.stderr.write(sys.logs());
  });

  /** Creates the example job for a fresh partner folder (a job-scoped PARTNER_DIR) and runs it once. */
  async function runExample(inbox: Record<string, string>): Promise<{ jobId: string; dir: string; e: Execution }> {
    const dir = remoteFolder('bank');
    folders.push(dir);
    for (const [name, content] of Object.entries(inbox)) writeRemote(`${dir}/inbox/${name}`, content);
    const def = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Json;
    // Only what differs on this machine: the sshd's port, and no schedule firing during the test.
    def.schedule = null;
    // Host keys are verified (the default): against the known_hosts the worker gets as SFTP_KNOWN_HOSTS.
    expect(JSON.stringify(def)).not.toMatch(/verify_host_key|host_key/);
    for (const step of def.steps as Json[]) if (step.type === 'sftp') step.config.port = SFTP_PORT;
    const job = await sys.client.createJob(def);
    await sys.client.ok('POST', '/api/variables', { name: 'PARTNER_DIR', value: dir, job_id: job.id });
    const { execution_id } = await sys.client.ok<{ execution_id: string }>('POST', `/api/jobs/${job.id}/trigger`);
    // Polled on the list (which does not read context.json while the worker writes it).
    const e = await waitFor(async () => {
      const { items } = await sys.client.executions(job.id);
      const found = items.find((x) => x.id === execution_id);
      return found && ['success', 'failed', 'timeout', 'cancelled', 'dead_letter'].includes(found.status) ? found : null;
    }, 60_000, 'the execution to finish');
    return { jobId: job.id, dir, e };
  }

  /** The stored context.json as the worker wrote it, and as the api serves it. */
  async function contexts(jobId: string, executionId: string): Promise<{ raw: string; ctx: Json }> {
    const raw = (await storageFor(sys.env.S3_BUCKET!).get(`jobs/${jobId}/executions/${executionId}/context.json`)).toString('utf8');
    const ctx = await sys.client.ok<Json>('GET', `/api/executions/${executionId}/context`);
    return { raw, ctx };
  }

  it('loads the SUCCESS rows with exact decimals, reports per bank and day in an XLSX, and uploads it to the outbox', async () => {
    const { jobId, dir, e } = await runExample({
      'TXN_TCB_20261130.csv': '\uFEFF' + crlf(TCB),
      'TXN_VCB_20261130.csv': crlf(VCB),
      'README.txt': 'not a transaction file',
    });
    expect(e.error).toBeNull();
    expect(e.status).toBe('success');

    // The target table holds exactly the filtered rows; amounts and sums compared as numeric text.
    const { rows } = await target.query(
      'SELECT txn_id, bank, txn_date::text AS txn_date, customer, amount::text AS amount FROM bank_transactions WHERE batch_id = $1 ORDER BY txn_id',
      [e.id],
    );
    expect(rows).toEqual([
      { txn_id: 'TCB0001', bank: 'TCB', txn_date: '2026-11-30', customer: 'Nguyễn Văn Ấn', amount: '1234567.89' },
      { txn_id: 'TCB0002', bank: 'TCB', txn_date: '2026-11-30', customer: 'Trần Thị Bích', amount: '0.10' },
      { txn_id: 'TCB0004', bank: 'TCB', txn_date: '2026-11-30', customer: 'Phạm Minh Đức, Hà Nội', amount: '0.20' },
      { txn_id: 'VCB0001', bank: 'VCB', txn_date: '2026-11-29', customer: 'Hoàng Thị Ếch', amount: '98765432.10' },
      { txn_id: 'VCB0003', bank: 'VCB', txn_date: '2026-11-30', customer: 'Vũ Thị Hằng', amount: '100000000.01' },
      { txn_id: 'VCB0004', bank: 'VCB', txn_date: '2026-11-30', customer: 'Ngô Thị Ánh', amount: '0.07' },
    ]);
    const sums = await target.query(
      "SELECT bank, sum(amount)::text AS total, sum(amount) = CASE bank WHEN 'TCB' THEN 1234568.19 ELSE 198765432.18 END AS exact FROM bank_transactions WHERE batch_id = $1 GROUP BY bank ORDER BY bank",
      [e.id],
    );
    expect(sums.rows).toEqual([
      { bank: 'TCB', total: '1234568.19', exact: true },
      { bank: 'VCB', total: '198765432.18', exact: true },
    ]);

    const { raw, ctx } = await contexts(jobId, e.id);
    // One read step over both downloaded files ({{steps.download.output.files}}), one load of its whole output.
    expect(ctx.steps.read.output).toMatchObject({ row_count: 6, rows_read: 8, columns: ['txn_id', 'bank', 'txn_date', 'customer', 'amount'], rejected: { count: 0 } });
    expect(ctx.steps.read.output.data[0]).toEqual({ txn_id: 'TCB0001', bank: 'TCB', txn_date: '2026-11-30', customer: 'Nguyễn Văn Ấn', amount: '1234567.89' });
    expect(ctx.steps.load.output).toMatchObject({ affected_rows: 6, summary: { rows_written: 6, batches: 1 } });
    expect(ctx.steps.summary.output.rows).toEqual([
      { 'Ngân hàng': 'TCB', Ngày: '2026-11-30', 'Số giao dịch': 3, 'Tổng tiền': '1234568.19', 'Khách hàng': 'Nguyễn Văn Ấn; Trần Thị Bích; Phạm Minh Đức, Hà Nội' },
      { 'Ngân hàng': 'VCB', Ngày: '2026-11-29', 'Số giao dịch': 1, 'Tổng tiền': '98765432.10', 'Khách hàng': 'Hoàng Thị Ếch' },
      { 'Ngân hàng': 'VCB', Ngày: '2026-11-30', 'Số giao dịch': 2, 'Tổng tiền': '100000000.08', 'Khách hàng': 'Vũ Thị Hằng; Ngô Thị Ánh' },
    ]);

    // The context's files: the two downloads, then the report (the README.txt did not match).
    const report = `reconciliation_${localDate(e.started_at!)}.xlsx`;
    const base = `jobs/${jobId}/executions/${e.id}`;
    expect((ctx.files as Json[]).map((f) => [f.path, f.mime_type])).toEqual([
      [`${base}/sftp/downloads/TXN_TCB_20261130.csv`, 'text/csv'],
      [`${base}/sftp/downloads/TXN_VCB_20261130.csv`, 'text/csv'],
      [`${base}/output/${report}`, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
    ]);
    expect(ctx.steps.upload.output.files).toEqual([expect.objectContaining({ filename: report, remote_path: `${dir}/outbox/${report}` })]);

    // On the partner's side: the report alone in the outbox (no temporary .part left), opened with exceljs.
    expect(listRemote(`${dir}/outbox`)).toEqual([report]);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(readRemote(`${dir}/outbox/${report}`) as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('Đối soát')!;
    expect(ws).toBeDefined();
    expect(ws.rowCount).toBe(4);
    expect(ws.getRow(1).values).toEqual([undefined, 'Ngân hàng', 'Ngày', 'Số giao dịch', 'Tổng tiền', 'Khách hàng']);
    expect(ws.getCell('A2').value).toBe('TCB');
    expect((ws.getCell('B2').value as Date).toISOString()).toBe('2026-11-30T00:00:00.000Z');
    expect(ws.getCell('B2').numFmt).toBe('dd/mm/yyyy');
    expect(ws.getCell('C2').value).toBe(3);
    expect(ws.getCell('D2').value).toBe(1234568.19);
    expect(ws.getCell('D2').numFmt).toBe('#,##0.00');
    expect(ws.getCell('E2').value).toBe('Nguyễn Văn Ấn; Trần Thị Bích; Phạm Minh Đức, Hà Nội');
    expect(ws.getCell('D3').value).toBe(98765432.1);
    expect(ws.getCell('D4').value).toBe(100000000.08);
    expect(ws.getCell('E4').value).toBe('Vũ Thị Hằng; Ngô Thị Ánh');
    // The partner's files are untouched.
    expect(listRemote(`${dir}/inbox`)).toEqual(['README.txt', 'TXN_TCB_20261130.csv', 'TXN_VCB_20261130.csv']);

    // No secret in the stored context (as written and as served), the execution or any log line.
    for (const text of [raw, JSON.stringify(ctx), JSON.stringify(e), ...[sys.api, ...sys.workers].map((p) => p.log)]) {
      expect(text).not.toContain(SFTP_PASSWORD);
      expect(text).not.toContain(DB_PASSWORD);
    }
    expect(ctx.variables).toMatchObject({ PARTNER_SFTP_PASSWORD: '******', RECON_DB_URL: '******' });
  });

  it('a malformed row in a partner file fails the run at the file step, naming the file and row; nothing is loaded or uploaded', async () => {
    const bad = [...VCB];
    bad[2] = 'VCB0102,VCB,30/11/2026,Đặng Quốc Bảo,12O0.50,SUCCESS';
    const { jobId, dir, e } = await runExample({
      'TXN_TCB_20261201.csv': '\uFEFF' + crlf(TCB.map((l) => l.replace(/^TCB00/, 'TCB01'))),
      'TXN_VCB_20261201.csv': crlf(bad.map((l) => l.replace(/^VCB00/, 'VCB01'))),
    });
    expect(e.status).toBe('failed');
    expect(e.error).toMatchObject({ step_id: 'read' });
    const key = `jobs/${jobId}/executions/${e.id}/sftp/downloads/TXN_VCB_20261201.csv`;
    expect(e.error).toMatchObject({ code: 'FILE_ROW_INVALID', retryable: false });
    expect(e.error!.message).toContain(`${key} row 2 (line 3) column "amount" value "12O0.50": is not a number (decimal)`);

    const { ctx } = await contexts(jobId, e.id);
    expect(ctx.steps.read).toMatchObject({ status: 'failed', error: { retryable: false } });
    // Both files are read before anything is written: no row of this run reached the table, no later step ran.
    for (const id of ['load', 'summary', 'report', 'upload']) expect(ctx.steps[id]?.status ?? 'not run').not.toBe('success');
    expect((await target.query('SELECT count(*)::int AS n FROM bank_transactions WHERE batch_id = $1', [e.id])).rows).toEqual([{ n: 0 }]);
    expect((ctx.files as Json[]).map((f) => f.filename)).toEqual(['TXN_TCB_20261201.csv', 'TXN_VCB_20261201.csv']);
    expect(listRemote(dir)).toEqual(['inbox']);
  });
});
