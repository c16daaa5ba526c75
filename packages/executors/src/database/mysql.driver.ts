import mysql from 'mysql2';
import type { Row } from '../rows/row-data';
import type { ConnectionTarget } from './connection-target';
import type { DbConnection, DbPool, PoolSettings, ProcedureArgument, ProcedureResult, ResultSet, RowSink, StatementResult } from './database.driver';
import { isoLocal, numberIfExact, toJsonValue } from './database.values';
import { toBindValue, type BoundSql } from './sql-binder';

/** MySQL column types (mysql2 Types) the step converts itself. */
const T = { DECIMAL: 0, NEWDECIMAL: 246, DATETIME: 12, TIMESTAMP: 7, DATE: 10 };

interface FieldInfo {
  name: string;
  columnType?: number;
  type?: number;
}

type Converter = (value: unknown) => unknown;

function converterFor(field: FieldInfo): Converter {
  const type = field.columnType ?? field.type;
  if (type === T.DECIMAL || type === T.NEWDECIMAL) return (v) => (typeof v === 'string' ? numberIfExact(v) : toJsonValue(v));
  if (type === T.DATETIME) return (v) => (typeof v === 'string' ? isoLocal(v) : toJsonValue(v));
  // The session runs in UTC (see connect), so TIMESTAMP values are UTC instants.
  if (type === T.TIMESTAMP) return (v) => (typeof v === 'string' && v.length > 10 ? `${isoLocal(v)}Z` : toJsonValue(v));
  return toJsonValue;
}

function convertRow(row: Record<string, unknown>, converters: Map<string, Converter>): Row {
  const out: Row = {};
  for (const key of Object.keys(row)) out[key] = (converters.get(key) ?? toJsonValue)(row[key]);
  return out;
}

const MAX_PENDING_ROWS = 1000;

interface ResultHeader {
  affectedRows?: number;
}

function isHeader(value: unknown): value is ResultHeader {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && value.constructor?.name === 'ResultSetHeader';
}

export function createMysqlPool(target: ConnectionTarget, settings: PoolSettings): DbPool {
  const pool = mysql.createPool({
    host: target.host,
    port: target.port ?? 3306,
    user: target.user,
    password: target.password,
    database: target.database || undefined,
    connectionLimit: settings.maxConnections,
    maxIdle: settings.maxConnections,
    idleTimeout: settings.idleTimeoutMs,
    connectTimeout: settings.connectTimeoutMs,
    supportBigNumbers: true,
    bigNumberStrings: false,
    dateStrings: true,
    timezone: 'Z',
    charset: 'utf8mb4',
    waitForConnections: true,
    queueLimit: 0,
  });
  pool.on('connection', (conn) => {
    conn.query("SET time_zone = '+00:00'");
  });
  return {
    connect: () =>
      new Promise<DbConnection>((resolve, reject) => {
        pool.getConnection((err, conn) => (err ? reject(err) : resolve(new MysqlConnection(conn, target))));
      }),
    close: () => new Promise<void>((resolve) => pool.end(() => resolve())),
  };
}

class MysqlConnection implements DbConnection {
  constructor(
    private readonly conn: mysql.PoolConnection,
    private readonly target: ConnectionTarget,
  ) {}

  query(sql: BoundSql, onRow: RowSink): Promise<StatementResult> {
    return new Promise<StatementResult>((resolve, reject) => {
      const command = this.conn.execute(sql.text, sql.values as never[]);
      let converters = new Map<string, Converter>();
      let columns: string[] = [];
      let returnedRows = false;
      let affectedRows = 0;
      let rowCount = 0;
      let chain: Promise<void> = Promise.resolve();
      let pending = 0;
      let paused = false;
      let sinkError: unknown;
      command.on('fields', (fields: FieldInfo[] | undefined) => {
        // DML emits 'fields' without fields.
        if (!Array.isArray(fields)) return;
        returnedRows = true;
        columns = fields.map((f) => f.name);
        converters = new Map(fields.map((f) => [f.name, converterFor(f)]));
      });
      command.on('result', (row: unknown) => {
        if (sinkError !== undefined) return;
        if (isHeader(row)) {
          affectedRows += row.affectedRows ?? 0;
          return;
        }
        rowCount++;
        pending++;
        if (pending > MAX_PENDING_ROWS && !paused) {
          paused = true;
          this.conn.pause();
        }
        let converted: Row;
        try {
          converted = convertRow(row as Record<string, unknown>, converters);
        } catch (err) {
          // A throw inside the driver's event would leave the command hanging.
          sinkError = err;
          return;
        }
        chain = chain.then(async () => {
          if (sinkError === undefined) {
            try {
              await onRow(converted);
            } catch (err) {
              sinkError = err;
            }
          }
          pending--;
          if (paused && pending < MAX_PENDING_ROWS / 2) {
            paused = false;
            this.conn.resume();
          }
        });
      });
      command.on('error', (err: Error) => {
        if (paused) this.conn.resume();
        void chain.then(() => reject(err));
      });
      command.on('end', () => {
        void chain.then(() => {
          if (sinkError !== undefined) return reject(sinkError);
          resolve({ columns, rowCount: returnedRows ? rowCount : affectedRows, affectedRows: returnedRows ? 0 : affectedRows, returnedRows });
        });
      });
    });
  }

  begin(): Promise<void> {
    return this.simple('START TRANSACTION');
  }

  commit(): Promise<void> {
    return this.simple('COMMIT');
  }

  rollback(): Promise<void> {
    return this.simple('ROLLBACK');
  }

  private simple(text: string): Promise<void> {
    return new Promise((resolve, reject) => this.conn.query(text, (err) => (err ? reject(err) : resolve())));
  }

  private all(text: string, values: unknown[]): Promise<{ rows: unknown; fields: unknown }> {
    return new Promise((resolve, reject) =>
      this.conn.execute(text, values as never[], (err, rows, fields) => (err ? reject(err) : resolve({ rows, fields }))),
    );
  }

  /**
   * `CALL name(?, @vecron_p2, …)`: IN values bound, OUT/IN OUT through session variables
   * (set before, read after the call on the same connection).
   */
  async callProcedure(name: string, args: ProcedureArgument[]): Promise<ProcedureResult> {
    const values: unknown[] = [];
    const list: string[] = [];
    const outs: { name: string; variable: string }[] = [];
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      if (arg.direction === 'in') {
        values.push(toBindValue(arg.value ?? null, 'mysql'));
        list.push('?');
        continue;
      }
      const variable = `@vecron_p${i + 1}`;
      await this.all(`SET ${variable} = ?`, [arg.direction === 'inout' ? toBindValue(arg.value ?? null, 'mysql') : null]);
      outs.push({ name: arg.name, variable });
      list.push(variable);
    }
    const { rows, fields } = await this.all(`CALL ${name}(${list.join(', ')})`, values);
    const resultSets: ResultSet[] = [];
    let affectedRows = 0;
    const sets = Array.isArray(rows) ? (rows as unknown[]) : [rows];
    const fieldSets = Array.isArray(fields) ? (fields as unknown[]) : [];
    sets.forEach((set, i) => {
      if (isHeader(set)) {
        affectedRows += set.affectedRows ?? 0;
        return;
      }
      if (!Array.isArray(set)) return;
      const f = (Array.isArray(fieldSets[i]) ? fieldSets[i] : []) as FieldInfo[];
      const converters = new Map(f.map((x) => [x.name, converterFor(x)]));
      resultSets.push({ columns: f.map((x) => x.name), rows: set.map((r) => convertRow(r as Record<string, unknown>, converters)) });
    });
    const out: Record<string, unknown> = {};
    if (outs.length > 0) {
      const { rows: outRows } = await this.all(`SELECT ${outs.map((o, i) => `${o.variable} AS v${i}`).join(', ')}`, []);
      const row = (Array.isArray(outRows) ? outRows[0] : undefined) as Record<string, unknown> | undefined;
      outs.forEach((o, i) => (out[o.name] = toJsonValue(row?.[`v${i}`] ?? null)));
    }
    return { out, resultSets, affectedRows };
  }

  async cancel(): Promise<void> {
    const threadId = this.conn.threadId;
    if (!threadId) return;
    const admin = mysql.createConnection({
      host: this.target.host,
      port: this.target.port ?? 3306,
      user: this.target.user,
      password: this.target.password,
      connectTimeout: 5000,
    });
    admin.on('error', () => undefined);
    try {
      await new Promise<void>((resolve, reject) => admin.query(`KILL QUERY ${Number(threadId)}`, (err) => (err ? reject(err) : resolve())));
    } finally {
      admin.destroy();
    }
  }

  release(destroy: boolean): void {
    if (destroy) this.conn.destroy();
    else this.conn.release();
  }
}
