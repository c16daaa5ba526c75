import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import path from 'path';
import { Command, Option } from 'commander';
import type { JobExport, StepTypeCatalog, ValidationIssue } from '@vecron/definitions';
import { VecronApi } from './api.client';
import { CliConfigStore } from './cli-config.store';
import { CliError, EXIT, type ExitCode } from './cli.errors';
import { diffJson, formatChanges } from './definition-diff';
import { definitionOf, readJobDocuments } from './definition-files';
import { Output, type Sink } from './output';

/** What the entry point reads from the process (the only place that touches process.env). */
export interface CliEnvironment {
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  sink: Sink;
  /** Milliseconds between polls of `--follow`. */
  pollMs?: number;
  /** Loads the step-type catalog (the executors' registry) for offline validation. */
  catalog?: () => Promise<StepTypeCatalog>;
}

const DEFAULT_URL = 'http://127.0.0.1:8080';
const TERMINAL = new Set(['success', 'failed', 'timeout', 'cancelled', 'dead_letter']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface JobSummary {
  id: string;
  name: string;
  enabled: boolean;
  definition?: Record<string, unknown>;
}

/** `GET /api/executions/:id/logs`: the lines the worker kept for the execution. */
interface ExecutionLogsView {
  complete: boolean;
  total: number;
  dropped_lines: number;
  items: { time: string; level: string; msg: string; step_id?: string }[];
}

interface ExecutionView {
  id: string;
  job_id: string;
  status: string;
  trigger_source: string;
  started_at: string | null;
  completed_at: string | null;
  duration_ms: number | null;
  current_step: string | null;
  error: { message?: string; step_id?: string; code?: string } | null;
  steps?: { step_id: string; status: string; started_at?: string | null; completed_at?: string | null; error?: { message?: string } | null }[];
}

interface GlobalOptions {
  url?: string;
  token?: string;
  output: 'text' | 'json';
}

async function defaultCatalog(): Promise<StepTypeCatalog> {
  // Loaded only by the commands that validate (the executors bring their drivers with them).
  const { ExecutorRegistry, createBuiltInExecutors } = await import('@vecron/executors');
  return new ExecutorRegistry(createBuiltInExecutors());
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A definition as it would be stored, for comparison: the webhook secret is never stored. */
function comparable(definition: Record<string, unknown>): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(definition)) as Record<string, unknown>;
  const webhook = (copy['triggers'] as { webhook?: Record<string, unknown> } | undefined)?.webhook;
  if (webhook) delete webhook['secret_key'];
  return copy;
}

/**
 * The definitions package, loaded by the commands that read job files only: trigger, runs, logs
 * and context start faster without it (class-validator, croner, the JSON Schema generator).
 */
const definitions = (): Promise<typeof import('@vecron/definitions')> => import('@vecron/definitions');

/** Placeholders of an export file read as variable templates, so that the file validates before its secrets are known. */
async function withPlaceholdersAsTemplates(value: unknown): Promise<unknown> {
  const { fillSecretPlaceholders, findSecretPlaceholders } = await definitions();
  const names = findSecretPlaceholders(value).map((s) => s.name);
  const secrets = Object.fromEntries(names.map((n) => [n, `\${${n}}`]));
  return fillSecretPlaceholders(value, secrets).value;
}

function parsePayload(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CliError('--payload must be JSON', EXIT.INVALID);
  }
}

/** Builds the `vecron` program. `exit` is set on the returned holder by the commands (the entry point exits with it). */
export function buildProgram(environment: CliEnvironment): { program: Command; exitCode: () => ExitCode } {
  const { env, sink } = environment;
  const pollMs = environment.pollMs ?? 1000;
  const loadCatalog = environment.catalog ?? defaultCatalog;
  const store = new CliConfigStore(CliConfigStore.defaultDir(env, environment.home));
  let exit: ExitCode = EXIT.OK;
  const fail = (code: ExitCode): void => {
    if (exit === EXIT.OK) exit = code;
  };

  const program = new Command('vecron')
    .description('vecron jobs from the command line: apply, export, import, validate, trigger, runs, logs, context')
    .version('0.1.0')
    .option('--url <url>', 'API URL (default: the one saved by login, $VECRON_URL, http://127.0.0.1:8080)')
    .option('--token <token>', 'access token (default: the one saved by login, $VECRON_TOKEN)')
    .addOption(new Option('--output <format>', 'text or json').choices(['text', 'json']).default('text'))
    .showHelpAfterError()
    // Before the subcommands are added: they inherit it. Usage errors are thrown, main() maps them to exit code 2.
    .exitOverride()
    .configureOutput({ writeOut: (s) => sink.out(s), writeErr: (s) => sink.err(s) });

  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  const output = (): Output => new Output(globals().output === 'json', sink);
  const api = (): VecronApi => {
    const saved = store.read();
    const url = globals().url ?? env['VECRON_URL'] ?? saved?.url ?? DEFAULT_URL;
    const token = globals().token ?? env['VECRON_TOKEN'] ?? (saved && saved.url === url ? saved.token : saved?.token);
    return new VecronApi(url, token);
  };

  async function findByName(client: VecronApi, name: string): Promise<JobSummary[]> {
    const found = await client.json<{ items: JobSummary[] }>('GET', `/api/jobs?name=${encodeURIComponent(name)}&page_size=200`);
    return found.items.filter((j) => j.name === name);
  }

  async function resolveJob(client: VecronApi, ref: string): Promise<JobSummary> {
    if (UUID.test(ref)) return client.json<JobSummary>('GET', `/api/jobs/${ref}`);
    const matches = await findByName(client, ref);
    if (matches.length === 0) throw new CliError(`no job named "${ref}"`, EXIT.NOT_FOUND);
    if (matches.length > 1) throw new CliError(`${matches.length} jobs are named "${ref}": give an id (${matches.map((m) => m.id).join(', ')})`, EXIT.INVALID);
    return matches[0] as JobSummary;
  }

  // login
  program
    .command('login')
    .description('log in and keep the token in the config folder (mode 0600)')
    .option('-u, --username <name>', 'user name ($VECRON_USERNAME)')
    .option('-p, --password <password>', 'password ($VECRON_PASSWORD; prefer the variable or --password-stdin)')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (opts: { username?: string; password?: string; passwordStdin?: boolean }) => {
      const out = output();
      const username = opts.username ?? env['VECRON_USERNAME'];
      let password = opts.password ?? env['VECRON_PASSWORD'];
      if (opts.passwordStdin) password = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
      if (!username || password === undefined) throw new CliError('login needs --username and a password (--password, --password-stdin or $VECRON_PASSWORD)', EXIT.INVALID);
      const url = globals().url ?? env['VECRON_URL'] ?? store.read()?.url ?? DEFAULT_URL;
      const answer = await new VecronApi(url).json<{ access_token: string; expires_in?: number; user?: { username?: string } }>('POST', '/api/auth/login', { username, password });
      if (typeof answer?.access_token !== 'string') throw new CliError('the API answered the login without an access_token', EXIT.UNAVAILABLE);
      const expires = typeof answer.expires_in === 'number' ? new Date(Date.now() + answer.expires_in * 1000).toISOString() : undefined;
      store.write({ url, token: answer.access_token, username: answer.user?.username ?? username, ...(expires ? { expires_at: expires } : {}) });
      out.result({ url, username: answer.user?.username ?? username, expires_at: expires ?? null, config: store.file }, () => [
        `logged in to ${url} as ${answer.user?.username ?? username}${expires ? ` (token valid until ${expires})` : ''}; token saved in ${store.file}`,
      ]);
    });

  // validate (offline)
  program
    .command('validate')
    .description('check job files offline against the job-definition schema (the same classes as the API)')
    .argument('<paths...>', 'JSON files or folders: definitions, export files or arrays of them')
    .action(async (paths: string[]) => {
      const out = output();
      const catalog = await loadCatalog();
      const { readJobDefinition } = await definitions();
      const results: { source: string; name?: string; valid: boolean; errors: ValidationIssue[]; warnings: ValidationIssue[] }[] = [];
      for (const target of paths) {
        for (const doc of readJobDocuments(target)) {
          const read = readJobDefinition(await withPlaceholdersAsTemplates(definitionOf(doc.value)), catalog);
          if (read.ok) results.push({ source: doc.source, name: read.definition.name, valid: true, errors: [], warnings: read.warnings });
          else results.push({ source: doc.source, valid: false, errors: read.errors, warnings: read.warnings });
        }
      }
      if (results.some((r) => !r.valid)) fail(EXIT.INVALID);
      out.result({ valid: results.every((r) => r.valid), results }, () =>
        results.flatMap((r) => [
          r.valid ? `ok       ${r.source} (${r.name})` : `invalid  ${r.source}`,
          ...r.errors.map((e) => `  error    ${e.path || '(root)'}: ${e.message}`),
          ...r.warnings.map((w) => `  warning  ${w.path || '(root)'}: ${w.message}`),
        ]),
      );
    });

  // apply
  program
    .command('apply')
    .description('create or update jobs by name from files (idempotent: an unchanged job is left alone)')
    .requiredOption('-f, --file <path>', 'a JSON file or a folder of them')
    .option('--dry-run', 'show what would change (a diff per job) without changing anything')
    .action(async (opts: { file: string; dryRun?: boolean }) => {
      const out = output();
      const client = api();
      const catalog = await loadCatalog();
      const { readJobDefinition } = await definitions();
      const results: Record<string, unknown>[] = [];
      for (const doc of readJobDocuments(opts.file)) {
        const raw = definitionOf(doc.value);
        const local = readJobDefinition(raw, catalog);
        if (!local.ok) {
          results.push({ source: doc.source, action: 'invalid', errors: local.errors });
          fail(EXIT.INVALID);
          continue;
        }
        const name = local.definition.name;
        const matches = await findByName(client, name);
        if (matches.length > 1) {
          results.push({ source: doc.source, name, action: 'ambiguous', ids: matches.map((m) => m.id) });
          fail(EXIT.INVALID);
          continue;
        }
        const existing = matches[0];
        if (!existing) {
          if (opts.dryRun) results.push({ source: doc.source, name, action: 'create', warnings: local.warnings });
          else {
            const job = await client.json<JobSummary>('POST', '/api/jobs', raw);
            results.push({ source: doc.source, name, action: 'created', id: job.id, warnings: local.warnings });
          }
          continue;
        }
        const current = await client.json<JobSummary>('GET', `/api/jobs/${existing.id}`);
        const changes = diffJson(current.definition ?? {}, comparable(local.definition as unknown as Record<string, unknown>));
        if (changes.length === 0) results.push({ source: doc.source, name, action: 'unchanged', id: existing.id });
        else if (opts.dryRun) results.push({ source: doc.source, name, action: 'update', id: existing.id, changes });
        else {
          await client.json('PUT', `/api/jobs/${existing.id}`, raw);
          results.push({ source: doc.source, name, action: 'updated', id: existing.id, changes });
        }
      }
      out.result({ dry_run: Boolean(opts.dryRun), results }, () =>
        results.flatMap((r) => [
          `${String(r['action']).padEnd(9)} ${String(r['name'] ?? r['source'])}${r['id'] ? ` (${String(r['id'])})` : ''}`,
          ...formatChanges((r['changes'] as ReturnType<typeof diffJson> | undefined) ?? []).map((l) => `  ${l}`),
          ...((r['errors'] as ValidationIssue[] | undefined) ?? []).map((e) => `  error ${e.path || '(root)'}: ${e.message}`),
        ]),
      );
    });

  // export
  program
    .command('export')
    .description('export jobs (secrets replaced by ${SECRET:NAME} placeholders) to files or standard output')
    .argument('[jobs...]', 'job names or ids')
    .option('--all', 'every job')
    .option('-o, --out-dir <folder>', 'write one file job-{name}-{timestamp}.json per job into this folder (default: print to standard output)')
    .action(async (jobs: string[], opts: { all?: boolean; outDir?: string }) => {
      const out = output();
      const client = api();
      if (!opts.all && jobs.length === 0) throw new CliError('give job names or ids, or --all', EXIT.INVALID);
      const selection = opts.all ? { filter: {} } : { ids: await Promise.all(jobs.map(async (j) => (await resolveJob(client, j)).id)) };
      const files = await client.json<JobExport[]>('POST', '/api/jobs/export', { ...selection, format: 'json' });
      if (!opts.outDir) return out.document(files.length === 1 && !opts.all ? files[0] : files);
      const { jobExportFileName } = await definitions();
      mkdirSync(opts.outDir, { recursive: true });
      const written: string[] = [];
      for (const file of files) {
        const name = jobExportFileName(String(file.definition['name']), new Date(file.export_date));
        let target = path.join(opts.outDir, name);
        for (let n = 2; written.includes(target); n++) target = path.join(opts.outDir, name.replace(/\.json$/, `-${n}.json`));
        writeFileSync(target, `${JSON.stringify(file, null, 2)}\n`);
        written.push(target);
      }
      out.result({ files: written, secrets: files.flatMap((f) => f.secrets.map((s) => s.name)) }, () => [
        ...written.map((w) => `wrote ${w}`),
        ...(files.some((f) => f.secrets.length > 0) ? ['secrets to supply on import: ' + [...new Set(files.flatMap((f) => f.secrets.map((s) => s.name)))].join(', ')] : []),
      ]);
    });

  // import
  program
    .command('import')
    .description('import job files (a definition, an array, an export file, or a ZIP) through POST /api/jobs/import')
    .argument('<files...>', 'files to upload')
    .option('--secrets <file>', 'a JSON file {NAME: value} filling ${SECRET:NAME} placeholders')
    .option('-s, --secret <NAME=VALUE>', 'one placeholder value (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .action(async (files: string[], opts: { secrets?: string; secret: string[] }) => {
      const out = output();
      const secrets: Record<string, string> = {};
      if (opts.secrets) {
        try {
          Object.assign(secrets, JSON.parse(readFileSync(opts.secrets, 'utf8')) as Record<string, string>);
        } catch (err) {
          throw new CliError(`${opts.secrets}: ${(err as Error).message}`, EXIT.INVALID);
        }
      }
      for (const pair of opts.secret) {
        const at = pair.indexOf('=');
        if (at <= 0) throw new CliError(`--secret ${pair}: expected NAME=VALUE`, EXIT.INVALID);
        secrets[pair.slice(0, at)] = pair.slice(at + 1);
      }
      const form = new FormData();
      for (const file of files) {
        let bytes: Buffer;
        try {
          bytes = readFileSync(file);
        } catch {
          throw new CliError(`${file}: cannot be read`, EXIT.INVALID);
        }
        form.append('file', new Blob([bytes]), path.basename(file));
      }
      form.append('secrets', JSON.stringify(secrets));
      const report = (await api().request<{ created: number; failed: number; results: Record<string, unknown>[] }>('POST', '/api/jobs/import', undefined, { form })).body;
      if (report.failed > 0) fail(EXIT.FAILED);
      out.result(report, () =>
        report.results.flatMap((r) => [
          r['status'] === 'created'
            ? `created  ${String(r['name'])} (${String(r['id'])})${r['renamed_from'] ? ` — "${String(r['renamed_from'])}" was taken` : ''}  [${String(r['source'])}]`
            : `failed   ${String(r['name'] ?? '')}  [${String(r['source'])}]`,
          ...((r['errors'] as ValidationIssue[] | undefined) ?? []).map((e) => `  error    ${e.path || '(root)'}: ${e.message}`),
          ...((r['warnings'] as ValidationIssue[] | undefined) ?? []).map((w) => `  warning  ${w.path || '(root)'}: ${w.message}`),
        ]).concat([`${report.created} created, ${report.failed} failed`]),
      );
    });

  async function follow(client: VecronApi, executionId: string, out: Output, timeoutSeconds: number): Promise<ExecutionView> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    const seen = new Map<string, string>();
    for (;;) {
      const e = await client.json<ExecutionView>('GET', `/api/executions/${executionId}`);
      const key = `${e.status}`;
      if (seen.get('execution') !== key) {
        seen.set('execution', key);
        out.line(`${new Date().toISOString()}  execution ${e.id}  ${e.status}`);
      }
      for (const s of e.steps ?? []) {
        if (seen.get(s.step_id) !== s.status) {
          seen.set(s.step_id, s.status);
          out.line(`${new Date().toISOString()}    step ${s.step_id}  ${s.status}${s.error?.message ? `: ${s.error.message}` : ''}`);
        }
      }
      if (TERMINAL.has(e.status)) return e;
      if (Date.now() > deadline) throw new CliError(`execution ${executionId} still ${e.status} after ${timeoutSeconds} s`, EXIT.FAILED);
      await sleep(pollMs);
    }
  }

  // trigger
  program
    .command('trigger')
    .description('start a job now (manual trigger)')
    .argument('<job>', 'job name or id')
    .option('--payload <json>', 'JSON readable by the steps as {{webhook.payload…}}')
    .option('-f, --follow', 'follow the execution until it ends (exit 1 unless it succeeds)')
    .option('--timeout <seconds>', 'with --follow: give up after this many seconds', '3600')
    .action(async (ref: string, opts: { payload?: string; follow?: boolean; timeout: string }) => {
      const out = output();
      const client = api();
      const payload = parsePayload(opts.payload);
      const job = await resolveJob(client, ref);
      const { execution_id } = await client.json<{ execution_id: string }>('POST', `/api/jobs/${job.id}/trigger`, payload === undefined ? {} : { payload });
      out.line(`triggered ${job.name}: execution ${execution_id}`);
      if (!opts.follow) return out.result({ job_id: job.id, execution_id }, () => []);
      const e = await follow(client, execution_id, out, Number(opts.timeout) || 3600);
      if (e.status !== 'success') fail(EXIT.FAILED);
      out.result({ job_id: job.id, execution_id, status: e.status, error: e.error }, () => [
        e.status === 'success' ? `success in ${e.duration_ms ?? '?'} ms` : `${e.status}: ${e.error?.message ?? ''}${e.error?.step_id ? ` (step ${e.error.step_id})` : ''}`,
      ]);
    });

  // runs
  program
    .command('runs')
    .description('list executions (newest first); --follow keeps the list live')
    .option('--job <job>', 'job name or id')
    .option('--status <status>', 'pending, running, success, failed, timeout, cancelled, dead_letter')
    .option('--limit <n>', 'how many', '20')
    .option('-f, --follow', 'print new executions and status changes until interrupted')
    .action(async (opts: { job?: string; status?: string; limit: string; follow?: boolean }) => {
      const out = output();
      const client = api();
      const params = new URLSearchParams({ page_size: String(Math.min(200, Math.max(1, Number(opts.limit) || 20))) });
      if (opts.job) params.set('job_id', (await resolveJob(client, opts.job)).id);
      if (opts.status) params.set('status', opts.status);
      const row = (e: ExecutionView): string =>
        [e.id, e.status.padEnd(10), e.trigger_source.padEnd(9), e.started_at ?? '-', e.duration_ms === null ? '-' : `${e.duration_ms} ms`, e.error?.message ?? ''].join('  ');
      const list = async (): Promise<ExecutionView[]> => (await client.json<{ items: ExecutionView[] }>('GET', `/api/executions?${params.toString()}`)).items;
      const first = await list();
      if (!opts.follow) return out.result(first, () => first.map(row));
      const seen = new Map<string, string>();
      for (const e of [...first].reverse()) {
        seen.set(e.id, e.status);
        if (out.json) out.document(e);
        else out.line(row(e));
      }
      let running = true;
      process.once('SIGINT', () => (running = false));
      while (running) {
        await sleep(pollMs);
        for (const e of (await list()).reverse()) {
          if (seen.get(e.id) === e.status) continue;
          seen.set(e.id, e.status);
          if (out.json) out.document(e);
          else out.line(row(e));
        }
      }
    });

  // logs
  program
    .command('logs')
    .description("an execution's log: each step's status, times and error, then the log lines the worker kept")
    .argument('<execution>', 'execution id')
    .action(async (id: string) => {
      const e = await api().json<ExecutionView>('GET', `/api/executions/${id}`);
      const logs = await api().json<ExecutionLogsView>('GET', `/api/executions/${id}/logs`);
      output().result({ ...e, logs }, () => [
        `execution ${e.id}  job ${e.job_id}  ${e.status}  (${e.trigger_source})  started ${e.started_at ?? '-'}  ended ${e.completed_at ?? '-'}`,
        ...(e.steps ?? []).map((s) => `  ${s.started_at ?? '-'}  ${s.step_id.padEnd(20)} ${s.status.padEnd(8)} ${s.completed_at ?? ''}${s.error?.message ? `  error: ${s.error.message}` : ''}`),
        ...(e.error ? [`error: ${e.error.message ?? ''}${e.error.code ? ` [${e.error.code}]` : ''}${e.error.step_id ? ` (step ${e.error.step_id})` : ''}`] : []),
        `log (${logs.total} lines${logs.dropped_lines ? `, ${logs.dropped_lines} dropped` : ''}${logs.complete ? '' : ', still running'}):`,
        ...logs.items.map((l) => `  ${l.time}  ${l.level.padEnd(5)} ${l.step_id ? `[${l.step_id}] ` : ''}${l.msg}`),
      ]);
    });

  // context
  program
    .command('context')
    .description("an execution's Job Context (context.json) as JSON")
    .argument('<execution>', 'execution id')
    .action(async (id: string) => {
      output().document(await api().json('GET', `/api/executions/${id}/context`));
    });

  return { program, exitCode: () => exit };
}
