import { execFile } from 'child_process';
import { randomBytes } from 'crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import path from 'path';
import { DEFAULT_ADMIN } from './support/api-client';
import { HttpFixture, json } from './support/http-fixture';
import { TestSystem } from './support/system';

jest.setTimeout(60_000);

/* eslint-disable @typescript-eslint/no-explicit-any -- free-form JSON under test */
type Json = Record<string, any>;

const CLI = path.resolve(__dirname, '../apps/cli/dist/main.js');
const SECRET_TOKEN = `bearer-${randomBytes(8).toString('hex')}`;

/**
 * Import/export through the built api (the ZIP writer, archiver 8, is an ES module that only the
 * built processes load) and the `vecron` CLI (built, as a child process) against the running
 * system: apply twice (the second a no-op), dry-run diff, trigger --follow until success, runs,
 * logs, context, export to files, import them back.
 */
describe('import/export and the vecron CLI against the running system', () => {
  const sys = new TestSystem({ name: 'e2e_porting', env: { VARIABLES_ENCRYPTION_KEYS: `e2e:${randomBytes(32).toString('base64')}` } });
  const fixture = new HttpFixture();
  let home: string;

  beforeAll(async () => {
    fixture.route('GET /ping', (req, res) => json(res, req.headers.authorization === `Bearer ${SECRET_TOKEN}` ? 200 : 401, { pong: true }));
    await fixture.start();
    await sys.start();
    home = mkdtempSync(path.join(tmpdir(), 'vecron-cli-e2e-'));
  });
  afterAll(async () => {
    await sys.stop();
    await fixture.stop();
    rmSync(home, { recursive: true, force: true });
  });
  afterEach(() => {
    const failed = (expect.getState() as { suppressedErrors: unknown[] }).suppressedErrors.length > 0;
    if (failed) process.stderr.write(sys.logs());
  });

  function vecron(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    return vecronWith({}, ...args);
  }

  function vecronWith(env: Record<string, string>, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [CLI, ...args],
        { env: { PATH: process.env.PATH ?? '', HOME: home, VECRON_CONFIG_DIR: path.join(home, 'cfg'), VECRON_URL: sys.client.baseUrl, ...env }, timeout: 45_000 },
        (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 99) : 0, out: stdout, err: stderr }),
      );
    });
  }

  const job = (name: string, extra: Json = {}): Json => ({
    name,
    schedule: null,
    triggers: { scheduled: false, manual: true },
    steps: [{ id: 'ping', name: 'Ping', type: 'http', config: { method: 'GET', url: `${fixture.url}/ping`, auth: { type: 'bearer', token: SECRET_TOKEN } } }],
    ...extra,
  });

  it('bulk export as a ZIP of one file per job; importing the ZIP creates each job again (a broken entry fails alone)', async () => {
    const names = [`zip-a-${Date.now()}`, `zip-b-${Date.now()}`];
    const ids = [];
    for (const n of names) ids.push((await sys.client.createJob(job(n))).id);
    const res = await sys.client.raw('POST', '/api/jobs/export', JSON.stringify({ ids, format: 'zip' }), { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="jobs-\d{8}T\d{6}Z\.zip"$/);
    const zip = Buffer.from(await res.arrayBuffer());
    expect(zip.subarray(0, 4).toString('latin1')).toBe('PK\u0003\u0004');
    expect(zip.includes(Buffer.from(SECRET_TOKEN))).toBe(false);

    const form = new FormData();
    form.append('file', new Blob([zip]), 'jobs.zip');
    form.append('file', new Blob([JSON.stringify({ name: 'broken', steps: 'nope' })]), 'broken.json');
    form.append('secrets', JSON.stringify({ PING_AUTH_TOKEN: SECRET_TOKEN }));
    const imported = await sys.client.raw('POST', '/api/jobs/import', form);
    const report = (await imported.json()) as Json;
    expect(report).toMatchObject({ created: 2, failed: 1 });
    expect(report.results.map((r: Json) => [r.source.replace(/-\d{8}T\d{6}Z/, ''), r.status, r.name])).toEqual([
      [`jobs.zip:job-${names[0]}.json`, 'created', `${names[0]}-copy-1`],
      [`jobs.zip:job-${names[1]}.json`, 'created', `${names[1]}-copy-1`],
      ['broken.json', 'failed', 'broken'],
    ]);
    expect(report.results[2].errors).toEqual([{ path: 'steps', message: expect.any(String) }]);
    const copy = await sys.client.ok<Json>('GET', `/api/jobs/${report.results[0].id}`);
    expect(copy.definition.steps[0].config.auth.token).toBe(SECRET_TOKEN);
  });

  const dir = (): string => path.join(home, 'jobs');
  const applied = { name: `cli-job-${Date.now()}`, id: '' };

  it('vecron login keeps the token in the config folder (mode 0600); a wrong password is exit code 3', async () => {
    const before = await vecron('runs');
    expect(before.code).toBe(3);
    const wrong = await vecronWith({ VECRON_PASSWORD: 'not-the-password' }, 'login', '-u', DEFAULT_ADMIN.username);
    expect(wrong.code).toBe(3);
    const login = await vecronWith({ VECRON_PASSWORD: DEFAULT_ADMIN.password }, 'login', '-u', DEFAULT_ADMIN.username, '--output', 'json');
    expect({ code: login.code, err: login.err }).toEqual({ code: 0, err: '' });
    const file = path.join(home, 'cfg', 'config.json');
    expect(JSON.parse(login.out)).toMatchObject({ username: DEFAULT_ADMIN.username, config: file });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ url: sys.client.baseUrl, token: expect.any(String) });
    expect((await vecron('runs')).code).toBe(0);
  });

  it('vecron apply twice: created, then unchanged (a no-op)', async () => {
    const { name } = applied;
    mkdirSync(dir());
    writeFileSync(path.join(dir(), 'ping.json'), JSON.stringify(job(name)));

    const first = await vecron('apply', '-f', dir(), '--output', 'json');
    expect({ code: first.code, err: first.err }).toEqual({ code: 0, err: '' });
    expect(JSON.parse(first.out).results).toEqual([expect.objectContaining({ name, action: 'created' })]);
    const id = JSON.parse(first.out).results[0].id;
    applied.id = id;

    const second = await vecron('apply', '-f', dir());
    expect(second.code).toBe(0);
    expect(second.out).toContain(`unchanged ${name} (${id})`);
    expect((await sys.client.ok<Json>('GET', `/api/jobs/${id}`)).version).toBe(1);
  });

  it('vecron apply --dry-run shows the diff and changes nothing; apply then updates the job', async () => {
    const { name, id } = applied;
    expect(id).not.toBe('');
    writeFileSync(path.join(dir(), 'ping.json'), JSON.stringify(job(name, { timeout_seconds: 60 })));
    const dry = await vecron('apply', '-f', dir(), '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.out).toContain(`update    ${name} (${id})`);
    expect(dry.out).toContain('~ timeout_seconds: 300 → 60');
    expect((await sys.client.ok<Json>('GET', `/api/jobs/${id}`)).version).toBe(1);
    const update = await vecron('apply', '-f', dir());
    expect(update.out).toContain(`updated   ${name}`);
    expect((await sys.client.ok<Json>('GET', `/api/jobs/${id}`)).version).toBe(2);
  });

  it('vecron trigger --follow until success; runs, logs and context of that execution', async () => {
    const name = `cli-run-${Date.now()}`;
    await sys.client.createJob(job(name));
    const run = await vecron('trigger', name, '--follow', '--payload', '{"x":1}');
    expect({ code: run.code, err: run.err }).toEqual({ code: 0, err: '' });
    expect(run.out).toMatch(/step ping {2}success/);
    expect(run.out).toMatch(/success in \d+ ms/);
    const executionId = /execution ([0-9a-f-]{36})/.exec(run.out)![1]!;

    const runs = await vecron('runs', '--job', name, '--output', 'json');
    expect(JSON.parse(runs.out)).toEqual([expect.objectContaining({ id: executionId, status: 'success', trigger_source: 'manual' })]);
    // The worker writes an execution's log lines in batches just after it ends: wait for them.
    let logs = await vecron('logs', executionId);
    for (let i = 0; i < 50 && !/execution finished/.test(logs.out); i++) {
      await new Promise((r) => setTimeout(r, 200));
      logs = await vecron('logs', executionId);
    }
    expect(logs.out).toMatch(/ping\s+success/);
    expect(logs.out).toMatch(/info\s+execution finished/);
    const ctx = JSON.parse((await vecron('context', executionId)).out);
    expect(ctx.steps.ping.output).toMatchObject({ status: 200, body: { pong: true } });
    expect(ctx.webhook.payload).toEqual({ x: 1 });

    const missing = await vecron('trigger', `no-such-job-${Date.now()}`);
    expect(missing.code).toBe(4);
  });

  it('vecron export --all -o DIR writes files without secrets; vecron import puts one back with --secret', async () => {
    const name = `cli-export-${Date.now()}`;
    await sys.client.createJob(job(name));
    const out = path.join(home, `export-${Date.now()}`);
    const exported = await vecron('export', '--all', '-o', out);
    expect(exported.code).toBe(0);
    const files = readdirSync(out);
    const mine = files.find((f) => f.startsWith(`job-${name}-`))!;
    expect(mine).toMatch(/^job-cli-export-\d+-\d{8}T\d{6}Z\.json$/);
    for (const f of files) expect(readFileSync(path.join(out, f), 'utf8')).not.toContain(SECRET_TOKEN);
    expect(exported.out).toContain('secrets to supply on import: PING_AUTH_TOKEN');

    const without = await vecron('import', path.join(out, mine));
    expect(without.code).toBe(1);
    expect(without.out).toContain('needs a value for the secret "PING_AUTH_TOKEN"');
    const back = await vecron('import', path.join(out, mine), '--secret', `PING_AUTH_TOKEN=${SECRET_TOKEN}`, '--output', 'json');
    expect(back.code).toBe(0);
    expect(JSON.parse(back.out)).toMatchObject({ created: 1, failed: 0, results: [{ name: `${name}-copy-1` }] });
  });
});

