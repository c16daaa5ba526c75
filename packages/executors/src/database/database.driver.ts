import type { Row } from '../rows/row-data';
import type { ProcedureParameterSpec } from './database.config';
import type { BoundSql } from './sql-binder';

/** Called for every row of a result, in order; a returned promise pauses the driver until it settles. */
export type RowSink = (row: Row) => void | Promise<void>;

export interface StatementResult {
  columns: string[];
  /** Rows returned (SELECT, RETURNING) or affected (DML). */
  rowCount: number;
  /** Rows inserted/updated/deleted; 0 for a plain SELECT. */
  affectedRows: number;
  /** True when the statement returned a result set (even empty). */
  returnedRows: boolean;
}

export interface ResultSet {
  columns: string[];
  rows: Row[];
}

export interface ProcedureResult {
  /** OUT / IN OUT values by name. */
  out: Record<string, unknown>;
  /** Result sets the procedure returned (MySQL CALL, Oracle implicit results). */
  resultSets: ResultSet[];
  affectedRows: number;
}

/** One argument of a stored procedure call, normalised. */
export interface ProcedureArgument extends ProcedureParameterSpec {
  name: string;
}

/** One connection checked out of a pool for one step. Values are already JSON (dates ISO, binary base64). */
export interface DbConnection {
  /** Runs one statement; every row goes to `onRow`. */
  query(sql: BoundSql, onRow: RowSink): Promise<StatementResult>;
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** The same statement for many value lists (Oracle executeMany); returns affected rows. */
  executeMany?(text: string, valueLists: unknown[][]): Promise<number>;
  callProcedure(name: string, args: ProcedureArgument[]): Promise<ProcedureResult>;
  /** Cancels the running statement on the server (pg_cancel_backend / KILL QUERY / break). */
  cancel(): Promise<void>;
  /** Back to the pool; `destroy` drops the connection (state unknown after a failure). */
  release(destroy: boolean): void;
}

export interface DbPool {
  connect(): Promise<DbConnection>;
  close(): Promise<void>;
}

export interface PoolSettings {
  /** Most connections per target. */
  maxConnections: number;
  /** Connect timeout. */
  connectTimeoutMs: number;
  /** Idle connections are closed after this long. */
  idleTimeoutMs: number;
}
