import type { Row } from '../rows/row-data';
import type { ConnectionTarget } from './connection-target';
import type { DbConnection, DbPool, PoolSettings, ProcedureArgument, ProcedureResult, ResultSet, RowSink, StatementResult } from './database.driver';
import { numberIfExact, toJsonRow } from './database.values';
import { toBindValue, type BoundSql } from './sql-binder';

/**
 * Oracle through node-oracledb in thin mode (no Oracle client libraries). Not tested against a
 * server here (there is none on this machine): the SQL/bind building and the output mapping are
 * unit-tested; this file is the thin glue to the driver.
 */

/** The part of node-oracledb this driver uses (the package ships no TypeScript types). */
export interface OracleDb {
  OUT_FORMAT_OBJECT: number;
  BIND_IN: number;
  BIND_OUT: number;
  BIND_INOUT: number;
  STRING: unknown;
  NUMBER: unknown;
  DATE: unknown;
  CLOB: unknown;
  BUFFER: unknown;
  DB_TYPE_NUMBER: unknown;
  DB_TYPE_CLOB: unknown;
  DB_TYPE_NCLOB: unknown;
  DB_TYPE_BLOB: unknown;
  DB_TYPE_JSON: unknown;
  createPool(options: Record<string, unknown>): Promise<OraclePool>;
}

interface OraclePool {
  getConnection(): Promise<OracleConnection>;
  close(drainSeconds?: number): Promise<void>;
}

interface OracleMetadata {
  name: string;
  dbType?: unknown;
}

interface OracleResultSet {
  metaData?: OracleMetadata[];
  getRows(n: number): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

interface OracleResult {
  rows?: Record<string, unknown>[];
  resultSet?: OracleResultSet;
  metaData?: OracleMetadata[];
  rowsAffected?: number;
  outBinds?: Record<string, unknown>;
  implicitResults?: (Record<string, unknown>[] | OracleResultSet)[];
}

interface OracleConnection {
  execute(sql: string, binds: unknown, options: Record<string, unknown>): Promise<OracleResult>;
  executeMany(sql: string, binds: unknown[], options: Record<string, unknown>): Promise<{ rowsAffected?: number }>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  break(): Promise<void>;
  close(options?: { drop?: boolean }): Promise<void>;
}

/** Rows fetched per round trip. */
const FETCH_ROWS = 500;

/** Fetch handler: NUMBER as exact numbers or strings, LOBs as strings/buffers. */
export function oracleFetchTypeHandler(db: Pick<OracleDb, 'STRING' | 'BUFFER' | 'DB_TYPE_NUMBER' | 'DB_TYPE_CLOB' | 'DB_TYPE_NCLOB' | 'DB_TYPE_BLOB'>) {
  return (metadata: OracleMetadata): Record<string, unknown> | undefined => {
    if (metadata.dbType === db.DB_TYPE_NUMBER) {
      return { type: db.STRING, converter: (v: string | null) => (v === null ? null : numberIfExact(v)) };
    }
    if (metadata.dbType === db.DB_TYPE_CLOB || metadata.dbType === db.DB_TYPE_NCLOB) return { type: db.STRING };
    if (metadata.dbType === db.DB_TYPE_BLOB) return { type: db.BUFFER };
    return undefined;
  };
}

/** `oracle://user:password@host:1521/service` → node-oracledb connect options. */
export function oracleConnectOptions(target: ConnectionTarget): { user: string; password: string; connectString: string } {
  const port = target.port ?? 1521;
  return { user: target.user, password: target.password, connectString: `${target.host}:${port}/${target.database}` };
}

/** The OUT bind of a procedure argument. */
export function oracleOutBind(db: Pick<OracleDb, 'BIND_OUT' | 'BIND_INOUT' | 'STRING' | 'NUMBER' | 'DATE' | 'CLOB' | 'DB_TYPE_JSON'>, arg: ProcedureArgument): Record<string, unknown> {
  const type = { string: db.STRING, number: db.NUMBER, date: db.DATE, clob: db.CLOB, json: db.DB_TYPE_JSON }[arg.type ?? 'string'];
  const bind: Record<string, unknown> = { dir: arg.direction === 'inout' ? db.BIND_INOUT : db.BIND_OUT, type };
  if (arg.type === undefined || arg.type === 'string') bind.maxSize = 32767;
  if (arg.direction === 'inout') bind.val = toBindValue(arg.value ?? null, 'oracle');
  return bind;
}

/** `BEGIN name(:b1, :b2); END;` and its named binds. */
export function oracleProcedureCall(db: Parameters<typeof oracleOutBind>[0] & Pick<OracleDb, 'BIND_IN'>, name: string, args: ProcedureArgument[]): { text: string; binds: Record<string, unknown> } {
  const binds: Record<string, unknown> = {};
  const list = args.map((arg, i) => {
    const key = `b${i + 1}`;
    binds[key] = arg.direction === 'in' ? { dir: db.BIND_IN, val: toBindValue(arg.value ?? null, 'oracle') } : oracleOutBind(db, arg);
    return `:${key}`;
  });
  return { text: `BEGIN ${name}(${list.join(', ')}); END;`, binds };
}

let driver: Promise<OracleDb> | undefined;
function loadDriver(): Promise<OracleDb> {
  driver ??= import('oracledb').then((m: { default?: unknown }) => (m.default ?? m) as OracleDb);
  return driver;
}

export function createOraclePool(target: ConnectionTarget, settings: PoolSettings): DbPool {
  const pool = loadDriver().then((db) =>
    db.createPool({
      ...oracleConnectOptions(target),
      poolMin: 0,
      poolMax: settings.maxConnections,
      poolTimeout: Math.max(1, Math.round(settings.idleTimeoutMs / 1000)),
      connectTimeout: Math.max(1, Math.round(settings.connectTimeoutMs / 1000)),
    }),
  );
  pool.catch(() => undefined);
  return {
    async connect() {
      const db = await loadDriver();
      return new OracleDbConnection(db, await (await pool).getConnection());
    },
    async close() {
      const p = await pool.catch(() => undefined);
      await p?.close(0);
    },
  };
}

class OracleDbConnection implements DbConnection {
  private inTransaction = false;

  constructor(
    private readonly db: OracleDb,
    private readonly conn: OracleConnection,
  ) {}

  private options(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { outFormat: this.db.OUT_FORMAT_OBJECT, autoCommit: !this.inTransaction, fetchTypeHandler: oracleFetchTypeHandler(this.db), ...extra };
  }

  async query(sql: BoundSql, onRow: RowSink): Promise<StatementResult> {
    const result = await this.conn.execute(sql.text, sql.values, this.options({ resultSet: true }));
    if (!result.resultSet) {
      const affected = result.rowsAffected ?? 0;
      return { columns: [], rowCount: affected, affectedRows: affected, returnedRows: false };
    }
    const rs = result.resultSet;
    const columns = (result.metaData ?? rs.metaData ?? []).map((m) => m.name);
    let rowCount = 0;
    try {
      for (;;) {
        const rows = await rs.getRows(FETCH_ROWS);
        for (const row of rows) {
          rowCount++;
          await onRow(toJsonRow(row));
        }
        if (rows.length < FETCH_ROWS) break;
      }
    } finally {
      await rs.close().catch(() => undefined);
    }
    return { columns, rowCount, affectedRows: 0, returnedRows: true };
  }

  async executeMany(text: string, valueLists: unknown[][]): Promise<number> {
    const result = await this.conn.executeMany(text, valueLists, { autoCommit: !this.inTransaction });
    return result.rowsAffected ?? 0;
  }

  async begin(): Promise<void> {
    this.inTransaction = true;
  }

  async commit(): Promise<void> {
    await this.conn.commit();
    this.inTransaction = false;
  }

  async rollback(): Promise<void> {
    this.inTransaction = false;
    await this.conn.rollback();
  }

  async callProcedure(name: string, args: ProcedureArgument[]): Promise<ProcedureResult> {
    const call = oracleProcedureCall(this.db, name, args);
    const result = await this.conn.execute(call.text, call.binds, this.options());
    const out: Record<string, unknown> = {};
    args.forEach((arg, i) => {
      if (arg.direction !== 'in') out[arg.name] = toJsonRow({ v: result.outBinds?.[`b${i + 1}`] ?? null }).v;
    });
    const resultSets: ResultSet[] = [];
    for (const implicit of result.implicitResults ?? []) {
      const rows: Row[] = [];
      if (Array.isArray(implicit)) {
        rows.push(...implicit.map(toJsonRow));
      } else {
        for (;;) {
          const batch = await implicit.getRows(FETCH_ROWS);
          rows.push(...batch.map(toJsonRow));
          if (batch.length < FETCH_ROWS) break;
        }
        await implicit.close().catch(() => undefined);
      }
      resultSets.push({ columns: rows[0] ? Object.keys(rows[0]) : [], rows });
    }
    return { out, resultSets, affectedRows: result.rowsAffected ?? 0 };
  }

  async cancel(): Promise<void> {
    await this.conn.break();
  }

  release(destroy: boolean): void {
    void this.conn.close(destroy ? { drop: true } : undefined).catch(() => undefined);
  }
}
