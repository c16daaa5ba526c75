import type mysql from 'mysql2/promise';
import { InMemoryObjectStorage } from '@vecron/storage';
import { DatabaseExecutor } from '../src/database/database.executor';
import type { DatabaseStepOutput } from '../src/database/database.output';
import { captureLogger, caught } from './support';
import { databaseRegistry, eventually, MYSQL_URL, mysqlClient, mysqlRootClient, runStep, templatedRun } from './database-support';

const PAYLOADS = ["1; DROP TABLE my_people; --", "' OR '1'='1", "\\'; DROP TABLE my_people; -- ", '?', "Robert'); DROP TABLE my_people;#", '0x27'];

describe('database step against MariaDB (mysql)', () => {
  let client: mysql.Connection;
  let root: mysql.Connection;
  const { executor, registry } = databaseRegistry(new DatabaseExecutor({ rowLimits: { maxRows: 50 } }));
  const base = { database_type: 'mysql', connection_string: MYSQL_URL };

  beforeAll(async () => {
    client = await mysqlClient();
    root = await mysqlRootClient();
    await client.query(`
      DROP TABLE IF EXISTS my_people;
      CREATE TABLE my_people (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, big BIGINT, amount DECIMAL(30,10), born DATE,
        local_at DATETIME, seen TIMESTAMP NULL, data VARBINARY(10), note TEXT);
      INSERT INTO my_people VALUES
        (1, 'Ann', 9007199254740993, 12.5, '1990-02-03', '2024-01-02 03:04:05', '2024-01-02 03:04:05', X'0102FF', 'héllo'),
        (2, 'Bob', 42, 12345678901234567890.0123456789, NULL, NULL, NULL, NULL, NULL);
      DROP PROCEDURE IF EXISTS my_add;
      CREATE PROCEDURE my_add(IN a INT, IN b INT, OUT total INT, INOUT counter INT)
        BEGIN SET total = a + b; SET counter = counter + 1; SELECT a AS first_value; SELECT b AS second_value; END;
    `);
  });

  afterAll(async () => {
    await client.end();
    await root.end();
    await registry.close();
  });

  it('runs a query with parameters and maps types to JSON', async () => {
    const output = (await runStep(registry, { ...base, query: 'SELECT * FROM my_people WHERE id >= ? ORDER BY id', parameters: [1] }, templatedRun())) as DatabaseStepOutput;
    expect(output.row_count).toBe(2);
    expect(output.columns).toEqual(['id', 'name', 'big', 'amount', 'born', 'local_at', 'seen', 'data', 'note']);
    expect(output.rows![0]).toEqual({
      id: 1,
      name: 'Ann',
      big: '9007199254740993',
      amount: 12.5,
      born: '1990-02-03',
      local_at: '2024-01-02T03:04:05',
      seen: '2024-01-02T03:04:05Z',
      data: Buffer.from([1, 2, 255]).toString('base64'),
      note: 'héllo',
    });
    expect(output.rows![1]).toMatchObject({ big: 42, amount: '12345678901234567890.0123456789', born: null });
  });

  it('binds templates inside the query; injection payloads arrive as values', async () => {
    await client.query('DROP TABLE IF EXISTS my_inject; CREATE TABLE my_inject (v TEXT)');
    for (const payload of PAYLOADS) {
      const run = templatedRun({ webhook: { payload: { v: payload }, query_params: {}, headers: {} } });
      await runStep(registry, { ...base, query: 'INSERT INTO my_inject (v) VALUES ({{webhook.payload.v}})' }, run);
      await runStep(registry, { ...base, query: "INSERT INTO my_inject (v) VALUES (CONCAT('x', {{ webhook.payload.v }}))" }, run);
    }
    const [rows] = await client.query('SELECT v FROM my_inject');
    expect((rows as { v: string }[]).map((r) => r.v).sort()).toEqual([...PAYLOADS, ...PAYLOADS.map((p) => `x${p}`)].sort());
    const [tables] = await client.query("SHOW TABLES LIKE 'my_people'");
    expect(tables).toHaveLength(1);
  });

  it('binds an array template as JSON text for JSON_TABLE', async () => {
    await client.query('DROP TABLE IF EXISTS my_users; CREATE TABLE my_users (id INT PRIMARY KEY, name VARCHAR(50))');
    const users = [{ id: 1, name: "O'Brien" }, { id: 2, name: 'Zoë' }];
    const run = templatedRun({ steps: { fetch: { step_id: 'fetch', status: 'success', output: { body: users }, started_at: '2024-01-01T00:00:00Z', completed_at: '2024-01-01T00:00:01Z' } } });
    await runStep(
      registry,
      {
        ...base,
        query:
          "INSERT INTO my_users (id, name) SELECT id, name FROM JSON_TABLE({{steps.fetch.output.body}}, '$[*]' COLUMNS (id INT PATH '$.id', name VARCHAR(50) PATH '$.name')) AS x " +
          'ON DUPLICATE KEY UPDATE name = x.name',
      },
      run,
    );
    const [rows] = await client.query('SELECT id, name FROM my_users ORDER BY id');
    expect(rows).toEqual(users);
  });

  it('calls a stored procedure: OUT and IN OUT values and its result sets', async () => {
    const output = (await runStep(
      registry,
      {
        ...base,
        query_type: 'stored_procedure',
        procedure_name: 'my_add',
        parameters: [2, 3, { direction: 'out', name: 'total' }, { direction: 'inout', name: 'counter', value: 10 }],
      },
      templatedRun(),
    )) as DatabaseStepOutput;
    expect(output.out).toEqual({ total: 5, counter: 11 });
    expect(output.rows).toEqual([{ first_value: 2 }]);
    expect(output.result_sets?.map((s) => s.rows)).toEqual([[{ first_value: 2 }], [{ second_value: 3 }]]);
  });

  it('spills a large result to NDJSON', async () => {
    const storage = new InMemoryObjectStorage();
    const run = templatedRun({}, { storage, stepId: 'big' });
    const output = (await runStep(registry, { ...base, query: 'SELECT seq AS n FROM seq_1_to_120' }, run)) as DatabaseStepOutput;
    expect(output.rows_ref).toBe('jobs/job-1/executions/exec-1/output/big-rows.ndjson');
    expect(output.row_count).toBe(120);
    const lines = (await storage.get(output.rows_ref!)).toString('utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { n: number }).n)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
  });

  it('writes data rows in multi-row batches', async () => {
    await client.query('DROP TABLE IF EXISTS my_bulk; CREATE TABLE my_bulk (id INT PRIMARY KEY, name VARCHAR(50))');
    const data = Array.from({ length: 2100 }, (_, i) => ({ id: i + 1, name: `n${i + 1}` }));
    const output = (await runStep(registry, { ...base, query: 'INSERT INTO my_bulk (id, name) VALUES (:id, :name)', data, batch_size: 1000 }, templatedRun())) as DatabaseStepOutput;
    expect(output.summary).toMatchObject({ rows_written: 2100, batches: 3 });
    const [rows] = await client.query('SELECT COUNT(*) AS c FROM my_bulk');
    expect(rows).toEqual([{ c: 2100 }]);
  });

  it('rolls a transaction back when a statement fails', async () => {
    await client.query('DROP TABLE IF EXISTS my_tx; CREATE TABLE my_tx (id INT PRIMARY KEY) ENGINE=InnoDB');
    const err = await caught(() =>
      runStep(
        registry,
        {
          ...base,
          transaction: true,
          statements: [{ query: 'INSERT INTO my_tx VALUES (?)', parameters: [1] }, { query: 'INSERT INTO my_tx VALUES (?)', parameters: [1] }],
        },
        templatedRun(),
      ),
    );
    expect(err).toMatchObject({ code: 'DATABASE_CONSTRAINT_VIOLATION', retryable: false, details: { sql_state: '23000' } });
    const [rows] = await client.query('SELECT COUNT(*) AS c FROM my_tx');
    expect(rows).toEqual([{ c: 0 }]);
  });

  it('cancels the query on the server (KILL QUERY) when the step times out', async () => {
    const err = await caught(() => runStep(registry, { ...base, query: "SELECT SLEEP(30), 'vecron-timeout-probe'", timeout_seconds: 1 }, templatedRun()));
    expect(err).toMatchObject({ code: 'STEP_TIMEOUT', retryable: true });
    const gone = await eventually(async () => {
      const [rows] = await root.query("SELECT 1 FROM information_schema.PROCESSLIST WHERE INFO LIKE '%vecron-timeout-probe%' AND COMMAND = 'Query' AND ID <> CONNECTION_ID()");
      return (rows as unknown[]).length === 0;
    });
    expect(gone).toBe(true);
  });

  it('reuses one pool per target across steps', async () => {
    const ids = new Set<unknown>();
    for (let i = 0; i < 3; i++) {
      const out = (await runStep(registry, { ...base, query: 'SELECT CONNECTION_ID() AS id' }, templatedRun())) as DatabaseStepOutput;
      ids.add(out.rows![0]!.id);
    }
    expect(ids.size).toBe(1);
    expect(executor.pools.size).toBe(1);
  });

  it('classifies errors and never shows the password', async () => {
    const { logger, lines } = captureLogger();
    const wrong = new URL(MYSQL_URL);
    wrong.password = 'wrong-pass-123';
    const auth = await caught(() => runStep(registry, { ...base, connection_string: wrong.toString(), query: 'SELECT 1' }, templatedRun({}, { logger })));
    expect(auth).toMatchObject({ code: 'DATABASE_AUTH_FAILED', retryable: false });
    expect(JSON.stringify({ auth, message: (auth as Error).message, lines })).not.toContain('wrong-pass-123');
    expect(lines.join('\n')).toContain('database step failed');

    const unknownDb = new URL(MYSQL_URL);
    unknownDb.pathname = '/vecron_no_such_db';
    unknownDb.username = 'root';
    unknownDb.password = '';
    const missing = await caught(() => runStep(registry, { ...base, connection_string: unknownDb.toString(), query: 'SELECT 1' }, templatedRun()));
    expect(missing).toMatchObject({ code: 'DATABASE_NOT_FOUND', retryable: false });

    const syntax = await caught(() => runStep(registry, { ...base, query: 'SELEC 1' }, templatedRun()));
    expect(syntax).toMatchObject({ code: 'DATABASE_SYNTAX_ERROR', retryable: false, details: { sql_state: '42000' } });

    const refused = new URL(MYSQL_URL);
    refused.port = '1';
    const err = await caught(() => runStep(registry, { ...base, connection_string: refused.toString(), query: 'SELECT 1' }, templatedRun()));
    expect(err).toMatchObject({ code: 'DATABASE_CONNECTION_FAILED', retryable: true });
  });

  it('reports a deadlock as retryable', async () => {
    await client.query('DROP TABLE IF EXISTS my_lock; CREATE TABLE my_lock (id INT PRIMARY KEY, v INT) ENGINE=InnoDB; INSERT INTO my_lock SELECT seq, 0 FROM seq_1_to_20');
    const other = await mysqlClient();
    try {
      await other.query('START TRANSACTION');
      // The other transaction changes more rows, so InnoDB picks the step as the deadlock victim.
      await other.query('UPDATE my_lock SET v = 1 WHERE id >= 2');
      const step = runStep(
        registry,
        { ...base, transaction: true, statements: [{ query: 'UPDATE my_lock SET v = 2 WHERE id = 1' }, { query: 'UPDATE my_lock SET v = 2 WHERE id = 2' }] },
        templatedRun(),
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      // Wait until the step holds row 1 and waits for row 2, then close the cycle.
      const waiting = await eventually(async () => {
        const [rows] = await root.query("SELECT 1 FROM information_schema.PROCESSLIST WHERE INFO LIKE 'UPDATE my_lock SET v = 2 WHERE id = 2%'");
        return (rows as unknown[]).length === 1;
      });
      expect(waiting).toBe(true);
      const mine = other.query('UPDATE my_lock SET v = 1 WHERE id = 1').then(() => undefined, (e: unknown) => e);
      const [stepErr, otherErr] = await Promise.all([step, mine]);
      expect(otherErr).toBeUndefined();
      expect(stepErr).toMatchObject({ code: 'DATABASE_DEADLOCK', retryable: true, details: { sql_state: '40001' } });
    } finally {
      await other.query('ROLLBACK').catch(() => undefined);
      await other.end();
    }
  });
});
