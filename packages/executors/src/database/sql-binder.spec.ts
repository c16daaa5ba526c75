import { createJobContext, createTemplateScope, resolveTemplateString } from '@vecron/context';
import { StepError } from '../errors';
import { bindsPerRow, parseSql, renderRows, renderSql, splitValuesGroup, SqlTemplateError } from './sql-binder';

const context = createJobContext({
  executionId: 'exec-1',
  jobId: 'job-1',
  webhook: { payload: { id: 7, name: "x'; DROP TABLE t; --", items: [{ a: 1 }] }, query_params: {}, headers: { 'x-id': 'h1' } },
});
const scope = createTemplateScope({ context, variables: { TABLE_SUFFIX: 'evil' } });
const resolveTemplate = (t: string): unknown => resolveTemplateString(t, scope);

function bind(query: string, dialect: 'postgresql' | 'mysql' | 'oracle', parameters: unknown[] = []) {
  return renderSql(parseSql(query, dialect, { resolveTemplate }), dialect, parameters);
}

describe('parseSql / renderSql', () => {
  it('turns templates in SQL code into placeholders of each dialect, values typed', () => {
    const q = 'SELECT * FROM t WHERE id = {{webhook.payload.id}} AND name = {{ webhook.payload.name }}';
    expect(bind(q, 'postgresql')).toEqual({ text: 'SELECT * FROM t WHERE id = $1 AND name = $2', values: [7, "x'; DROP TABLE t; --"] });
    expect(bind(q, 'mysql')).toEqual({ text: 'SELECT * FROM t WHERE id = ? AND name = ?', values: [7, "x'; DROP TABLE t; --"] });
    expect(bind(q, 'oracle')).toEqual({ text: 'SELECT * FROM t WHERE id = :b1 AND name = :b2', values: [7, "x'; DROP TABLE t; --"] });
  });

  it('numbers the author placeholders together with the templates', () => {
    expect(bind('SELECT $2, {{webhook.payload.id}}, $1, $2', 'postgresql', ['a', 'b'])).toEqual({ text: 'SELECT $1, $2, $3, $4', values: ['b', 7, 'a', 'b'] });
    expect(bind('SELECT ?, {{webhook.payload.id}}, ?', 'mysql', ['a', 'b'])).toEqual({ text: 'SELECT ?, ?, ?', values: ['a', 7, 'b'] });
    expect(bind('SELECT :2, {{webhook.payload.id}}, :1 FROM dual', 'oracle', ['a', 'b'])).toEqual({ text: 'SELECT :b1, :b2, :b3 FROM dual', values: ['b', 7, 'a'] });
  });

  it('binds objects and arrays as JSON text, and ${VARS} too', () => {
    expect(bind('SELECT * FROM json_to_recordset({{webhook.payload.items}}::json) AS x(a int)', 'postgresql')).toEqual({
      text: 'SELECT * FROM json_to_recordset($1::json) AS x(a int)',
      values: ['[{"a":1}]'],
    });
    expect(bind('SELECT ${TABLE_SUFFIX}', 'mysql')).toEqual({ text: 'SELECT ?', values: ['evil'] });
    expect(bind('SELECT {{webhook.headers["x-id"]}}', 'postgresql')).toEqual({ text: 'SELECT $1', values: ['h1'] });
  });

  it('binds a string literal holding templates as one value, its text rendered', () => {
    expect(bind("SELECT * FROM t WHERE name LIKE '%{{webhook.payload.name}}%' AND x = 'it''s {{webhook.payload.id}}'", 'postgresql')).toEqual({
      text: 'SELECT * FROM t WHERE name LIKE $1 AND x = $2',
      values: ["%x'; DROP TABLE t; --%", "it's 7"],
    });
    expect(bind("SELECT '{{webhook.payload.id}}'", 'oracle')).toEqual({ text: 'SELECT :b1', values: ['7'] });
  });

  it('leaves literals, comments and identifiers without templates as written', () => {
    const q = `SELECT 'a?b', "col?", \`x\`, $$ body $1 $$, E'\\\\' -- $1 ?\n/* ? $1 */ FROM t WHERE a = $1`;
    expect(bind(q, 'postgresql', [5])).toEqual({ text: q, values: [5] });
    const m = `SELECT 'a?b', "str?", \`c?\` # ?\n FROM t WHERE a = ? -- ?`;
    expect(bind(m, 'mysql', [5])).toEqual({ text: m, values: [5] });
    expect(bind("SELECT q'[it's :1]', :1 FROM dual", 'oracle', [5])).toEqual({ text: "SELECT q'[it's :1]', :b1 FROM dual", values: [5] });
  });

  it('keeps a template inside a comment as written, unresolved', () => {
    expect(bind('SELECT 1 -- {{webhook.payload.name}}\n', 'postgresql')).toEqual({ text: 'SELECT 1 -- {{webhook.payload.name}}\n', values: [] });
  });

  it('keeps escaped template braces as text', () => {
    expect(bind("SELECT '\\{{1,2}}'::int[]", 'postgresql')).toEqual({ text: "SELECT '{{1,2}}'::int[]", values: [] });
  });

  it('refuses templates where they cannot be bound', () => {
    for (const [q, d] of [
      ['SELECT * FROM "{{webhook.payload.id}}"', 'postgresql'],
      ['SELECT * FROM `{{webhook.payload.id}}`', 'mysql'],
      ['DO $$ BEGIN PERFORM {{webhook.payload.id}}; END $$', 'postgresql'],
      ["SELECT E'\\n{{webhook.payload.id}}'", 'postgresql'],
      ["SELECT 'a{{webhook.payload.id}}'", 'mysql'],
    ] as const) {
      expect(() => bind(q, d)).toThrow(SqlTemplateError);
    }
    const err = (() => {
      try {
        bind('SELECT {{webhook.payload', 'postgresql');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(StepError);
    expect(err).toMatchObject({ code: 'DATABASE_QUERY_INVALID', retryable: false });
  });

  it('fails when a placeholder has no parameter', () => {
    expect(() => bind('SELECT $2', 'postgresql', [1])).toThrow(/placeholder #2 has no value/);
    expect(() => bind('SELECT ?, ?', 'mysql', [1])).toThrow(/placeholder #2/);
  });

  it('does not take casts, slices or assignments for placeholders', () => {
    expect(bind('SELECT a::text, arr[1:2], x FROM t', 'postgresql')).toEqual({ text: 'SELECT a::text, arr[1:2], x FROM t', values: [] });
    expect(bind('SELECT @a := 1', 'mysql')).toEqual({ text: 'SELECT @a := 1', values: [] });
    expect(bind('SELECT a$b, $1', 'postgresql', [1])).toEqual({ text: 'SELECT a$b, $1', values: [1] });
  });

  it('refuses an Oracle :name outside data mode', () => {
    expect(() => bind('SELECT :name FROM dual', 'oracle')).toThrow(/has no data/);
  });
});

describe('data rows', () => {
  const rows = [
    { id: 1, name: 'a', extra: true },
    { id: 2, name: "b'); DROP TABLE t; --" },
  ];

  it('repeats the VALUES group for a multi-row INSERT, keeping templates and the suffix', () => {
    const pieces = parseSql(
      'INSERT INTO t (id, name, run) VALUES (:id, :name, {{execution_id}}) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name',
      'postgresql',
      { resolveTemplate, rowColumns: true },
    );
    const split = splitValuesGroup(pieces)!;
    expect(bindsPerRow(split)).toBe(3);
    expect(renderRows(split, 'postgresql', [], rows)).toEqual({
      text: 'INSERT INTO t (id, name, run) VALUES ($1, $2, $3), ($4, $5, $6) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name',
      values: [1, 'a', 'exec-1', 2, "b'); DROP TABLE t; --", 'exec-1'],
    });
  });

  it('MySQL: ON DUPLICATE KEY UPDATE with VALUES(col) stays after the row groups', () => {
    const pieces = parseSql('INSERT INTO t (id, name) VALUES (:id, :"name") ON DUPLICATE KEY UPDATE name = VALUES(name)', 'mysql', { rowColumns: true });
    const split = splitValuesGroup(pieces)!;
    expect(renderRows(split, 'mysql', [], rows).text).toBe('INSERT INTO t (id, name) VALUES (?, ?), (?, ?) ON DUPLICATE KEY UPDATE name = VALUES(name)');
  });

  it('has no multi-row form when row columns are outside the VALUES group, or for UPDATE', () => {
    expect(splitValuesGroup(parseSql('UPDATE t SET name = :name WHERE id = :id', 'postgresql', { rowColumns: true }))).toBeUndefined();
    expect(
      splitValuesGroup(parseSql('INSERT INTO t (id) VALUES (:id) ON CONFLICT (id) DO UPDATE SET name = :name', 'postgresql', { rowColumns: true })),
    ).toBeUndefined();
    expect(splitValuesGroup(parseSql("INSERT INTO t (id) VALUES (:id), (1)", 'postgresql', { rowColumns: true }))).toBeUndefined();
  });

  it('binds a missing row column as NULL; one row per statement otherwise', () => {
    const pieces = parseSql('UPDATE t SET extra = :extra WHERE id = :id', 'oracle', { rowColumns: true });
    expect(renderSql(pieces, 'oracle', [], rows[1])).toEqual({ text: 'UPDATE t SET extra = :b1 WHERE id = :b2', values: [null, 2] });
    expect(renderSql(pieces, 'oracle', [], rows[0]).values).toEqual([1, 1]); // Oracle booleans as 1/0
  });
});
