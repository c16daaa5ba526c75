import pg from 'pg';
import type { Row } from '../rows/row-data';
import type { ConnectionTarget } from './connection-target';
import type { DbConnection, DbPool, PoolSettings, ProcedureArgument, ProcedureResult, RowSink, StatementResult } from './database.driver';
import { isoLocal, numberIfExact, toJsonRow } from './database.values';
import { placeholder, toBindValue, type BoundSql } from './sql-binder';

/** Type parsers: int8/numeric exact numbers or strings; date/timestamp/interval as text. */
const OIDS = { int8: 20, numeric: 1700, date: 1082, timestamp: 1114, timestamptz: 1184, interval: 1186, time: 1083, timetz: 1266 };

function typeParser(oid: number, format?: string): (value: string) => unknown {
  if (format === 'binary') return pg.types.getTypeParser(oid, 'binary') as (value: string) => unknown;
  switch (oid) {
    case OIDS.int8:
    case OIDS.numeric:
      return numberIfExact;
    case OIDS.date:
    case OIDS.interval:
    case OIDS.time:
    case OIDS.timetz:
      return (v) => v;
    case OIDS.timestamp:
      return isoLocal;
    case OIDS.timestamptz:
      return (v) => {
        const d = new Date(v);
        return Number.isNaN(d.getTime()) ? v : d.toISOString();
      };
    default:
      return pg.types.getTypeParser(oid, 'text') as (value: string) => unknown;
  }
}

const TYPES = { getTypeParser: typeParser } as unknown as pg.CustomTypesConfig;

/** Rows waiting for the sink before the socket is paused. */
const MAX_PENDING_ROWS = 1000;

export function createPostgresPool(target: ConnectionTarget, settings: PoolSettings): DbPool {
  const pool = new pg.Pool({
    connectionString: target.url,
    max: settings.maxConnections,
    idleTimeoutMillis: settings.idleTimeoutMs,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    application_name: 'vecron-database-step',
  });
  // An idle client's error (server restart) must not crash the process; the client is dropped.
  pool.on('error', () => undefined);
  return {
    async connect() {
      const client = await pool.connect();
      return new PostgresConnection(client, target);
    },
    async close() {
      await pool.end();
    },
  };
}

class PostgresConnection implements DbConnection {
  constructor(
    private readonly client: pg.PoolClient,
    private readonly target: ConnectionTarget,
  ) {}

  query(sql: BoundSql, onRow: RowSink): Promise<StatementResult> {
    return new Promise<StatementResult>((resolve, reject) => {
      const query = new pg.Query({ text: sql.text, values: sql.values as unknown[], types: TYPES });
      const stream = (this.client as unknown as { connection: { stream: { pause(): void; resume(): void } } }).connection.stream;
      let chain: Promise<void> = Promise.resolve();
      let pending = 0;
      let paused = false;
      let sinkError: unknown;
      let columns: string[] | undefined;
      query.on('row', (row: Row, result?: pg.QueryResult) => {
        if (columns === undefined && result) columns = result.fields.map((f) => f.name);
        pending++;
        if (pending > MAX_PENDING_ROWS && !paused) {
          paused = true;
          stream.pause();
        }
        chain = chain.then(async () => {
          if (sinkError === undefined) {
            try {
              await onRow(toJsonRow(row));
            } catch (err) {
              sinkError = err;
            }
          }
          pending--;
          if (paused && pending < MAX_PENDING_ROWS / 2) {
            paused = false;
            stream.resume();
          }
        });
      });
      query.on('error', (err: Error) => {
        if (paused) stream.resume();
        void chain.then(() => reject(err));
      });
      query.on('end', (result: pg.QueryResult) => {
        void chain.then(() => {
          if (sinkError !== undefined) return reject(sinkError);
          const returnedRows = result.fields.length > 0;
          const rowCount = result.rowCount ?? 0;
          resolve({
            columns: columns ?? result.fields.map((f) => f.name),
            rowCount,
            affectedRows: returnedRows && result.command === 'SELECT' ? 0 : rowCount,
            returnedRows,
          });
        });
      });
      this.client.query(query);
    });
  }

  async begin(): Promise<void> {
    await this.client.query('BEGIN');
  }

  async commit(): Promise<void> {
    await this.client.query('COMMIT');
  }

  async rollback(): Promise<void> {
    await this.client.query('ROLLBACK');
  }

  /** `CALL name($1, …)`: OUT arguments are passed as NULL and come back as the call's one row. */
  async callProcedure(name: string, args: ProcedureArgument[]): Promise<ProcedureResult> {
    const values: unknown[] = [];
    const list = args.map((arg) => {
      if (arg.direction === 'out') return 'NULL';
      values.push(toBindValue(arg.value ?? null, 'postgresql'));
      return placeholder('postgresql', values.length);
    });
    const rows: Row[] = [];
    const result = await this.query({ text: `CALL ${name}(${list.join(', ')})`, values }, (row) => void rows.push(row));
    const out: Record<string, unknown> = {};
    const row = rows[0];
    if (row) {
      const byColumn = new Map(Object.entries(row));
      for (const arg of args.filter((a) => a.direction !== 'in')) {
        const key = [...byColumn.keys()].find((k) => k.toLowerCase() === arg.name.toLowerCase());
        out[arg.name] = key !== undefined ? byColumn.get(key) : null;
      }
      // OUT columns named by the procedure itself, when the step did not name them.
      for (const [k, v] of byColumn) if (!Object.keys(out).some((n) => n.toLowerCase() === k.toLowerCase())) out[k] = v;
    }
    return { out, resultSets: [], affectedRows: result.returnedRows ? 0 : result.affectedRows };
  }

  async cancel(): Promise<void> {
    const pid = (this.client as unknown as { processID?: number }).processID;
    if (!pid) return;
    const admin = new pg.Client({ connectionString: this.target.url, connectionTimeoutMillis: 5000 });
    admin.on('error', () => undefined);
    try {
      await admin.connect();
      await admin.query('SELECT pg_cancel_backend($1)', [pid]);
    } finally {
      await admin.end().catch(() => undefined);
    }
  }

  release(destroy: boolean): void {
    this.client.release(destroy ? true : undefined);
  }
}
