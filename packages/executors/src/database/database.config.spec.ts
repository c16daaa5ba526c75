import { createJobContext, createTemplateScope, resolveTemplates } from '@vecron/context';
import { StepConfigError } from '../errors';
import { ExecutorRegistry } from '../executor-registry';
import { validateStepConfig } from '../validate-step-config';
import { DatabaseStepConfig } from './database.config';
import { DatabaseExecutor } from './database.executor';

const executor = new DatabaseExecutor();
const pg = { database_type: 'postgresql', connection_string: 'postgres://u:p@127.0.0.1:5432/db' };

function issues(raw: unknown, mode: 'run' | 'save' = 'run'): { path: string; message: string }[] {
  try {
    validateStepConfig(executor, raw, { mode });
    return [];
  } catch (err) {
    if (err instanceof StepConfigError) return err.issues;
    throw err;
  }
}

describe('DatabaseStepConfig', () => {
  it('accepts the existing format and applies defaults', () => {
    const config = validateStepConfig(executor, { ...pg, query: 'SELECT $1', parameters: [1, 'a', { x: 1 }, null] });
    expect(config).toBeInstanceOf(DatabaseStepConfig);
    expect(config).toMatchObject({ query_type: 'raw_sql', timeout_seconds: 300, transaction: false, batch_size: 1000 });
  });

  it('normalises database_type aliases', () => {
    expect(validateStepConfig(executor, { ...pg, database_type: 'postgres', query: 'SELECT 1' }).database_type).toBe('postgresql');
    expect(
      validateStepConfig(executor, { database_type: 'mariadb', connection_string: 'mariadb://u@h/db', query: 'SELECT 1' }).database_type,
    ).toBe('mysql');
  });

  it('puts each error on the field that is wrong', () => {
    expect(issues({ database_type: 'sqlite', connection_string: 'x', query: 'SELECT 1' }).map((i) => i.path)).toContain('config.database_type');
    expect(issues({ ...pg, connection_string: 'mysql://u@h/db', query: 'SELECT 1' })).toEqual([
      { path: 'config.connection_string', message: 'must be a postgres:// or postgresql:// URL' },
    ]);
    expect(issues({ ...pg })).toEqual([{ path: 'config.query', message: 'must be a string (required for raw_sql unless statements is set)' }]);
    expect(issues({ ...pg, query_type: 'stored_procedure' }).map((i) => i.path)).toEqual(['config.procedure_name']);
    expect(issues({ ...pg, query_type: 'stored_procedure', procedure_name: 'x; DROP TABLE t' })[0]?.path).toBe('config.procedure_name');
    expect(issues({ ...pg, query: 'SELECT 1', statements: [{ query: 'SELECT 2' }] })).toEqual([
      { path: 'config.query', message: 'must not be set together with statements' },
    ]);
    expect(issues({ ...pg, query: 'SELECT 1', parameters: [{ direction: 'out', name: 'x' }] })[0]).toMatchObject({ path: 'config.parameters' });
    expect(issues({ ...pg, query: 'SELECT 1', data: 'rows' })[0]).toMatchObject({ path: 'config.data' });
    expect(issues({ ...pg, query: 'SELECT 1', data: { data: 'x' } })).toEqual([
      { path: 'config.data', message: 'must be an array of row objects, a {data_ref}/{rows_ref}, or a step output holding rows ({data} or {rows})' },
    ]);
    // A file read's whole output (inline {data} or {data_ref}) and a query's ({rows} or {rows_ref}).
    for (const data of [{ data: [{ a: 1 }], row_count: 1, columns: ['a'] }, { data_ref: 'output/r-data.ndjson', preview: [] }, { rows: [], row_count: 0 }, { rows_ref: 'k' }]) {
      expect(issues({ ...pg, query: 'INSERT INTO t (a) VALUES (:a)', data })).toEqual([]);
    }
    expect(issues({ ...pg, statements: [{ query: '' }] })[0]?.path).toBe('config.statements[0].query');
    expect(issues({ ...pg, query: 'SELECT 1', timeout_seconds: 0 })[0]?.path).toBe('config.timeout_seconds');
    expect(issues({ ...pg, query: 'SELECT 1', unknown_field: 1 })).toEqual([{ path: 'config.unknown_field', message: 'is not allowed' }]);
  });

  it('accepts templates at save time and checks them at run time', () => {
    const raw = { database_type: '${DB_TYPE}', connection_string: '${DB_URL}', query: 'SELECT {{webhook.payload.id}}', data: '{{steps.read.output}}' };
    expect(issues(raw, 'save')).toEqual([]);
    expect(issues(raw, 'run').map((i) => i.path)).toEqual(expect.arrayContaining(['config.database_type', 'config.data']));
  });
});

describe('DatabaseExecutor.resolveConfig (the worker seam)', () => {
  const context = createJobContext({
    executionId: 'e',
    jobId: 'j',
    webhook: { payload: { id: "1' OR '1'='1" }, query_params: {}, headers: {} },
  });
  const scope = createTemplateScope({ context, variables: { DB_URL: 'postgres://u:secret@h/db' } });
  const resolve = (v: unknown): unknown => resolveTemplates(v, scope);
  const registry = new ExecutorRegistry([executor]);

  it('resolves every field but the SQL text', () => {
    const raw = {
      database_type: 'postgresql',
      connection_string: '${DB_URL}',
      query: 'SELECT * FROM t WHERE id = {{webhook.payload.id}}',
      parameters: ['{{webhook.payload.id}}'],
    };
    expect(registry.resolveConfig('database', raw, resolve)).toEqual({
      database_type: 'postgresql',
      connection_string: 'postgres://u:secret@h/db',
      query: 'SELECT * FROM t WHERE id = {{webhook.payload.id}}',
      parameters: ["1' OR '1'='1"],
    });
    expect(raw.query).toBe('SELECT * FROM t WHERE id = {{webhook.payload.id}}');
  });

  it('keeps statements[].query raw and resolves their parameters', () => {
    const raw = { ...pg, transaction: true, statements: [{ query: 'DELETE FROM t WHERE id = {{webhook.payload.id}}', parameters: ['{{webhook.payload.id}}'] }] };
    expect(registry.resolveConfig('database', raw, resolve)).toMatchObject({
      statements: [{ query: 'DELETE FROM t WHERE id = {{webhook.payload.id}}', parameters: ["1' OR '1'='1"] }],
    });
  });

  it('other step types are resolved whole; unknown types too', () => {
    expect(registry.resolveConfig('nope', { a: '{{webhook.payload.id}}' }, resolve)).toEqual({ a: "1' OR '1'='1" });
  });
});
