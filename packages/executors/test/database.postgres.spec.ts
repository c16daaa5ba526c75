import { createJobContext, createTemplateScope, resolveTemplates } from '@vecron/context';
import { InMemoryObjectStorage } from '@vecron/storage';
import type pg from 'pg';
import { DatabaseExecutor } from '../src/database/database.executor';
import type { DatabaseStepOutput } from '../src/database/database.output';
import { StepError } from '../src/errors';
import { caught } from './support';
import { databaseRegistry, ensurePgTarget, eventually, pgClient, pgTargetUrl, runStep, templatedRun } from './database-support';

const PAYLOADS = [
  "1; DROP TABLE pg_people; --",
  "' OR '1'='1",
  "Robert'); DROP TABLE pg_people;--",
  '$1',
  '\\\'; SELECT pg_sleep(5); --',
  '{{variables.x}}',
];

describe('database step against PostgreSQL', () => {
  let client: pg.Client;
  const { executor, registry } = databaseRegistry(new DatabaseExecutor({ rowLimits: { maxRows: 50 } }));
  const url = pgTargetUrl();
  const base = { database_type: 'postgresql', connection_string: url };

  beforeAll(async () => {
    await ensurePgTarget();
    client = await pgClient();
    await client.query(`
      DROP TABLE IF EXISTS pg_people;
      CREATE TABLE pg_people (id int PRIMARY KEY, name text NOT NULL, big bigint, amount numeric(30,10), born date,
        seen timestamptz, local_at timestamp, data bytea, tags jsonb);
      INSERT INTO pg_people VALUES
        (1, 'Ann', 9007199254740993, 12.5, '1990-02-03', '2024-01-02T03:04:05Z', '2024-01-02 03:04:05', '\\x0102ff', '{"a":1}'),
        (2, 'Bob', 42, 12345678901234567890.0123456789, NULL, NULL, NULL, NULL, NULL);
      CREATE OR REPLACE PROCEDURE pg_add(a int, b int, INOUT total int DEFAULT NULL, INOUT label text DEFAULT NULL)
        LANGUAGE plpgsql AS $$ BEGIN total := a + b; label := 'sum of ' || a || ' and ' || b; END $$;
    `);
  });

  afterAll(async () => {
    await client.end();
    await registry.close();
  });

  it('runs a query with parameters and maps types to JSON', async () => {
    const output = (await runStep(registry, { ...base, query: 'SELECT * FROM pg_people WHERE id >= $1 ORDER BY id', parameters: [1] }, templatedRun())) as DatabaseStepOutput;
    expect(output.row_count).toBe(2);
    expect(output.affected_rows).toBe(0);
    expect(output.columns).toEqual(['id', 'name', 'big', 'amount', 'born', 'seen', 'local_at', 'data', 'tags']);
    expect(output.rows![0]).toEqual({
      id: 1,
      name: 'Ann',
      big: '9007199254740993',
      amount: 12.5,
      born: '1990-02-03',
      seen: '2024-01-02T03:04:05.000Z',
      local_at: '2024-01-02T03:04:05',
      data: Buffer.from([1, 2, 255]).toString('base64'),
      tags: { a: 1 },
    });
    expect(output.rows![1]).toMatchObject({ big: 42, amount: '12345678901234567890.0123456789', born: null });
  });

  it('binds templates inside the query; injection payloads arrive as values', async () => {
    await client.query('DROP TABLE IF EXISTS pg_inject; CREATE TABLE pg_inject (v text)');
    for (const payload of PAYLOADS) {
      const run = templatedRun({ webhook: { payload: { v: payload }, query_params: {}, headers: {} } });
      await runStep(registry, { ...base, query: 'INSERT INTO pg_inject (v) VALUES ({{webhook.payload.v}})' }, run);
      // Inside quotes too: the whole literal becomes one bound value.
      await runStep(registry, { ...base, query: "INSERT INTO pg_inject (v) VALUES ('x{{webhook.payload.v}}')" }, run);
    }
    const { rows } = await client.query<{ v: string }>('SELECT v FROM pg_inject');
    expect(rows.map((r) => r.v).sort()).toEqual([...PAYLOADS, ...PAYLOADS.map((p) => `x${p}`)].sort());
    const tables = await client.query("SELECT 1 FROM pg_tables WHERE tablename = 'pg_people'");
    expect(tables.rowCount).toBe(1);
  });

  it('binds an array template as JSON text (json_to_recordset loads a whole step output)', async () => {
    await client.query('DROP TABLE IF EXISTS pg_users; CREATE TABLE pg_users (id int PRIMARY KEY, name text)');
    const users = [{ id: 1, name: "O'Brien" }, { id: 2, name: 'Zoë' }];
    const run = templatedRun({ steps: { fetch: { step_id: 'fetch', status: 'success', output: { body: users }, started_at: '2024-01-01T00:00:00Z', completed_at: '2024-01-01T00:00:01Z' } } });
    const output = (await runStep(
      registry,
      {
        ...base,
        query:
          'INSERT INTO pg_users (id, name) SELECT id, name FROM json_to_recordset({{steps.fetch.response.body}}::json) AS x(id int, name text) ' +
          'ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name',
      },
      run,
    )) as DatabaseStepOutput;
    expect(output.affected_rows).toBe(2);
    const { rows } = await client.query('SELECT id, name FROM pg_users ORDER BY id');
    expect(rows).toEqual(users);
  });

  it('keeps parameter templates typed (the worker resolves parameters, not the query)', async () => {
    const ctx = createJobContext({ executionId: 'e', jobId: 'j', webhook: { payload: { id: 2 }, query_params: {}, headers: {} } });
    const scope = createTemplateScope({ context: ctx });
    const output = (await runStep(
      registry,
      { ...base, query: 'SELECT name FROM pg_people WHERE id = $1', parameters: ['{{webhook.payload.id}}'] },
      templatedRun(),
      (v) => resolveTemplates(v, scope),
    )) as DatabaseStepOutput;
    expect(output.rows).toEqual([{ name: 'Bob' }]);
  });

  it('calls a stored procedure with OUT parameters', async () => {
    const output = (await runStep(
      registry,
      {
        ...base,
        query_type: 'stored_procedure',
        procedure_name: 'pg_add',
        parameters: [2, 3, { direction: 'out', name: 'total' }, { direction: 'out', name: 'label' }],
      },
      templatedRun(),
    )) as DatabaseStepOutput;
    expect(output.out).toEqual({ total: 5, label: 'sum of 2 and 3' });
  });

  it('spills a large result to NDJSON in the execution output folder', async () => {
    const storage = new InMemoryObjectStorage();
    const files: unknown[] = [];
    const run = templatedRun({}, { storage, addFile: (f) => void files.push(f), stepId: 'big' });
    const output = (await runStep(registry, { ...base, query: 'SELECT g AS n, md5(g::text) AS h FROM generate_series(1, 120) g' }, run)) as DatabaseStepOutput;
    expect(output.rows).toBeUndefined();
    expect(output.rows_ref).toBe('jobs/job-1/executions/exec-1/output/big-rows.ndjson');
    expect(output.row_count).toBe(120);
    expect(output.columns).toEqual(['n', 'h']);
    expect(output.preview).toHaveLength(20);
    const lines = (await storage.get(output.rows_ref!)).toString('utf8').trim().split('\n');
    expect(lines).toHaveLength(120);
    expect(JSON.parse(lines[119]!)).toMatchObject({ n: 120 });
    expect(files).toHaveLength(1);
  });

  it('writes data rows in multi-row batches from a data_ref', async () => {
    await client.query('DROP TABLE IF EXISTS pg_bulk; CREATE TABLE pg_bulk (id int PRIMARY KEY, name text, tag text)');
    const storage = new InMemoryObjectStorage();
    const lines = Array.from({ length: 2500 }, (_, i) => JSON.stringify({ id: i + 1, name: `n${i + 1}` })).join('\n');
    await storage.put('jobs/job-1/executions/exec-1/output/read-rows.ndjson', Buffer.from(lines));
    const run = templatedRun({}, { storage });
    const output = (await runStep(
      registry,
      {
        ...base,
        query: "INSERT INTO pg_bulk (id, name, tag) VALUES (:id, :name, {{execution_id}}) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name",
        data: { data_ref: 'output/read-rows.ndjson' },
        batch_size: 1000,
      },
      run,
    )) as DatabaseStepOutput;
    expect(output.summary).toMatchObject({ rows_written: 2500, batches: 3 });
    expect(output.affected_rows).toBe(2500);
    const { rows } = await client.query('SELECT count(*)::int AS c, count(DISTINCT tag)::int AS t, max(tag) AS tag FROM pg_bulk');
    expect(rows[0]).toEqual({ c: 2500, t: 1, tag: 'exec-1' });
  });

  it('writes data rows one statement per row when the statement is not an INSERT … VALUES', async () => {
    const output = (await runStep(
      registry,
      { ...base, query: 'UPDATE pg_bulk SET name = :name WHERE id = :id', data: [{ id: 1, name: 'one' }, { id: 2, name: 'two' }, { id: 99999, name: 'none' }], batch_size: 2 },
      templatedRun(),
    )) as DatabaseStepOutput;
    expect(output.summary).toMatchObject({ rows_written: 3, batches: 2 });
    expect(output.affected_rows).toBe(2);
    const { rows } = await client.query('SELECT name FROM pg_bulk WHERE id IN (1, 2) ORDER BY id');
    expect(rows.map((r: { name: string }) => r.name)).toEqual(['one', 'two']);
  });

  it('rolls a transaction back when a statement fails', async () => {
    await client.query('DROP TABLE IF EXISTS pg_tx; CREATE TABLE pg_tx (id int PRIMARY KEY)');
    const err = await caught(() =>
      runStep(
        registry,
        {
          ...base,
          transaction: true,
          statements: [
            { query: 'INSERT INTO pg_tx VALUES ($1)', parameters: [1] },
            { query: 'INSERT INTO pg_tx VALUES ($1)', parameters: [2] },
            { query: 'INSERT INTO pg_tx VALUES ($1)', parameters: [1] },
          ],
        },
        templatedRun(),
      ),
    );
    expect(err).toMatchObject({ code: 'DATABASE_CONSTRAINT_VIOLATION', retryable: false, details: { sql_state: '23505' } });
    const { rowCount } = await client.query('SELECT 1 FROM pg_tx');
    expect(rowCount).toBe(0);
    const ok = (await runStep(
      registry,
      { ...base, transaction: true, statements: [{ query: 'INSERT INTO pg_tx VALUES (1), (2)' }, { query: 'SELECT count(*)::int AS c FROM pg_tx' }] },
      templatedRun(),
    )) as DatabaseStepOutput;
    expect(ok.rows).toEqual([{ c: 2 }]);
    expect(ok.statements?.[0]?.affected_rows).toBe(2);
  });

  it('cancels the query on the server when the step times out', async () => {
    const err = await caught(() => runStep(registry, { ...base, query: "SELECT pg_sleep(30), 'vecron-timeout-probe'", timeout_seconds: 1 }, templatedRun()));
    expect(err).toMatchObject({ code: 'STEP_TIMEOUT', retryable: true });
    const gone = await eventually(async () => {
      const { rowCount } = await client.query("SELECT 1 FROM pg_stat_activity WHERE query LIKE '%vecron-timeout-probe%' AND state = 'active' AND pid <> pg_backend_pid()");
      return rowCount === 0;
    });
    expect(gone).toBe(true);
  });

  it('cancels the query on the server when the job is aborted', async () => {
    const controller = new AbortController();
    const pending = caught(() => runStep(registry, { ...base, query: "SELECT pg_sleep(30), 'vecron-abort-probe'" }, templatedRun({}, { signal: controller.signal })));
    const started = await eventually(async () => {
      const { rowCount } = await client.query("SELECT 1 FROM pg_stat_activity WHERE query LIKE '%vecron-abort-probe%' AND state = 'active' AND pid <> pg_backend_pid()");
      return rowCount === 1;
    });
    expect(started).toBe(true);
    controller.abort('cancelled by user');
    expect(await pending).toMatchObject({ code: 'STEP_ABORTED' });
    // The client gets the cancel's ErrorResponse before the backend reports itself idle: wait for that state.
    const gone = await eventually(async () => {
      const { rowCount } = await client.query("SELECT 1 FROM pg_stat_activity WHERE query LIKE '%vecron-abort-probe%' AND state = 'active' AND pid <> pg_backend_pid()");
      return rowCount === 0;
    });
    expect(gone).toBe(true);
  });

  it('reuses one pool per target across steps', async () => {
    const before = executor.pools.size;
    const pids = new Set<unknown>();
    for (let i = 0; i < 3; i++) {
      const out = (await runStep(registry, { ...base, query: 'SELECT pg_backend_pid() AS pid' }, templatedRun())) as DatabaseStepOutput;
      pids.add(out.rows![0]!.pid);
    }
    expect(executor.pools.size).toBe(Math.max(before, 1));
    expect(pids.size).toBe(1); // the same pooled connection served the three steps
  });

  it('classifies errors: syntax and unknown database fail without retry, refused connection is retryable', async () => {
    const syntax = await caught(() => runStep(registry, { ...base, query: 'SELEC 1' }, templatedRun()));
    expect(syntax).toMatchObject({ code: 'DATABASE_SYNTAX_ERROR', retryable: false, details: { sql_state: '42601' } });
    const missing = new URL(url);
    missing.pathname = '/vecron_no_such_db';
    const unknown = await caught(() => runStep(registry, { ...base, connection_string: missing.toString(), query: 'SELECT 1' }, templatedRun()));
    expect(unknown).toMatchObject({ code: 'DATABASE_NOT_FOUND', retryable: false });
    const refused = new URL(url);
    refused.port = '1';
    refused.password = 's3cret-pw';
    const err = await caught(() => runStep(registry, { ...base, connection_string: refused.toString(), query: 'SELECT 1' }, templatedRun()));
    expect(err).toBeInstanceOf(StepError);
    expect(err).toMatchObject({ code: 'DATABASE_CONNECTION_FAILED', retryable: true });
    expect(JSON.stringify(err)).not.toContain('s3cret-pw');
    expect((err as Error).message).not.toContain('s3cret-pw');
  });
});
