import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import path from 'path';
import { createBuiltInExecutors, ExecutorRegistry } from '@vecron/executors';
import { buildProgram } from './cli.program';
import { CliConfigStore } from './cli-config.store';
import { EXIT } from './cli.errors';
import { diffJson, formatChanges } from './definition-diff';

function run(args: string[], dir: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const { program, exitCode } = buildProgram({
    env: { VECRON_CONFIG_DIR: dir, VECRON_URL: 'http://127.0.0.1:9' },
    home: dir,
    sink: { out: (s) => void (out += s), err: (s) => void (err += s) },
    catalog: async () => new ExecutorRegistry(createBuiltInExecutors()),
  });
  return program.parseAsync(['node', 'vecron', ...args]).then(
    () => ({ code: exitCode(), out, err }),
    (e: { exitCode?: number; code?: number; message?: string }) => ({ code: typeof e.code === 'number' ? e.code : EXIT.INVALID, out, err: err + (e.message ?? '') }),
  );
}

describe('vecron CLI (offline parts)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'vecron-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('validate: 0 for valid files (legacy dialect with warnings), 2 with every error by path; --output json', async () => {
    const good = path.join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ name: 'g', notes: 'old', steps: [{ id: 's', name: 'S', type: 'http_request', method: 'GET', url: 'https://e.com' }] }));
    const ok = await run(['validate', good], dir);
    expect(ok.code).toBe(EXIT.OK);
    expect(ok.out).toContain(`ok       ${good} (g)`);
    expect(ok.out).toContain('warning  steps[0].type: "http_request" read as "http"');

    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ name: 'b', steps: [{ id: 's', name: 'S', type: 'http', config: { method: 'FETCH', url: 'x' } }] }]));
    const res = await run(['--output', 'json', 'validate', bad], dir);
    expect(res.code).toBe(EXIT.INVALID);
    const report = JSON.parse(res.out);
    expect(report.valid).toBe(false);
    expect(report.results[0].errors.map((e: { path: string }) => e.path)).toEqual(['steps[0].config.method', 'steps[0].config.url']);
  });

  it('validate accepts an export file whose secrets are still placeholders', async () => {
    const file = path.join(dir, 'export.json');
    writeFileSync(file, JSON.stringify({ format_version: 1, definition: { name: 'e', steps: [{ id: 's', name: 'S', type: 'http', config: { method: 'GET', url: 'https://e.com', auth: { type: 'bearer', token: '${SECRET:S_AUTH_TOKEN}' } } }] } }));
    expect((await run(['validate', file], dir)).code).toBe(EXIT.OK);
  });

  it('an unreachable API is exit code 5; a usage error 2', async () => {
    const res = await run(['runs'], dir);
    expect(res.code).toBe(EXIT.UNAVAILABLE);
    expect((await run(['trigger'], dir)).code).toBe(EXIT.INVALID);
  });

  it('the config file holding the token is mode 0600 in a 0700 folder', () => {
    const store = new CliConfigStore(path.join(dir, 'cfg'));
    store.write({ url: 'http://x', token: 't0ken' });
    expect(statSync(store.file).mode & 0o777).toBe(0o600);
    expect(statSync(store.dir).mode & 0o777).toBe(0o700);
    expect(store.read()).toEqual({ url: 'http://x', token: 't0ken' });
    expect(JSON.parse(readFileSync(store.file, 'utf8')).token).toBe('t0ken');
    expect(CliConfigStore.defaultDir({ XDG_CONFIG_HOME: '/x' }, '/home/u')).toBe('/x/vecron');
    expect(CliConfigStore.defaultDir({}, '/home/u')).toBe('/home/u/.config/vecron');
  });

  it('diff: changes by path', () => {
    const changes = diffJson({ a: 1, s: [{ u: 'x' }], gone: true }, { a: 2, s: [{ u: 'y' }, { u: 'z' }], added: 'n' });
    expect(formatChanges(changes)).toEqual(['~ a: 1 → 2', '~ s[0].u: "x" → "y"', '+ s[1]: {"u":"z"}', '- gone: true', '+ added: "n"']);
    expect(diffJson({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toEqual([]);
  });
});
