import type { Logger } from 'pino';
import { TemplateError } from '@vecron/context';
import { executionOutputKey } from '@vecron/storage';
import { StepAbortedError, StepError, StepTimeoutError, UnrecoverableStepError } from '../errors';
import { NDJSON_MIME_TYPE, RowCollector, readRows, type Row, type RowLimits } from '../rows/row-data';
import type { ResolveTemplates, StepExecutor, StepRunContext } from '../step-executor';
import { maskTarget, parseConnectionString, type ConnectionTarget } from './connection-target';
import { DatabaseStepConfig, isProcedureParameterSpec, type DatabaseType } from './database.config';
import type { DbConnection, DbPool, PoolSettings, ProcedureArgument } from './database.driver';
import { toDatabaseError } from './database.errors';
import type { DatabaseResultSet, DatabaseStatementOutput, DatabaseStepOutput } from './database.output';
import { createOraclePool } from './oracle.driver';
import { PoolCache } from './pool-cache';
import { bindsPerRow, parseSql, renderRows, renderSql, splitValuesGroup, type SqlPiece } from './sql-binder';

export interface DatabaseExecutorOptions {
  /** Inline limits of a result set; past them it is written to object storage. Default 10,000 rows / 10 MB. */
  rowLimits?: Partial<RowLimits>;
  /** Most target pools kept open (LRU idle one closed first). Default 20. */
  maxPools?: number;
  /** A target pool unused this long is closed. Default 5 minutes. */
  poolIdleMs?: number;
  /** Connections per target pool. Default 10. */
  maxConnectionsPerPool?: number;
  /** Connect timeout. Default 10 s. */
  connectTimeoutMs?: number;
  /** Logger for pool lifecycle events (steps log through their own run.logger). */
  logger?: Logger;
}

/** Most bind values in one statement (PostgreSQL's and MySQL's protocol limit is 65,535). */
const MAX_BINDS = 65_535;
/** How long a cancelled step waits for the driver to give the connection back. */
const CANCEL_GRACE_MS = 10_000;

type PoolFactory = (target: ConnectionTarget, settings: PoolSettings) => DbPool;

/**
 * A pool whose driver module (and so its library: pg, mysql2) is loaded when the first pool of
 * that type is made: a process that never runs a database step does not load them.
 * (oracle.driver.ts loads node-oracledb lazily itself.)
 */
function lazyPool(load: () => Promise<PoolFactory>): PoolFactory {
  return (target, settings) => {
    const pool = load().then((create) => create(target, settings));
    pool.catch(() => undefined);
    return {
      connect: async () => (await pool).connect(),
      close: async () => {
        const ready = await pool.catch(() => undefined);
        await ready?.close();
      },
    };
  };
}

const POOL_FACTORIES: Record<DatabaseType, PoolFactory> = {
  postgresql: lazyPool(async () => (await import('./postgres.driver')).createPostgresPool),
  mysql: lazyPool(async () => (await import('./mysql.driver')).createMysqlPool),
  oracle: createOraclePool,
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** What one run of the step does, decided before connecting. */
interface Plan {
  config: DatabaseStepConfig;
  target: ConnectionTarget;
  mask: (text: string) => string;
  resolveTemplate: (template: string) => unknown;
}

/** Stop reasons (timeout / job abort), shared by the work and the watchdog. */
interface Control {
  conn?: DbConnection;
  stopped?: StepError;
}

/** The port a connection string without one uses. */
const DEFAULT_DATABASE_PORTS: Record<DatabaseType, number> = { postgresql: 5432, mysql: 3306, oracle: 1521 };

/**
 * The `database` step: SQL against a user's PostgreSQL, MySQL/MariaDB or Oracle database.
 * Templates in `query` become bind parameters (never SQL text); pools are cached per target;
 * the step timeout and the job signal cancel the running statement on the server.
 */
export class DatabaseExecutor implements StepExecutor<DatabaseStepConfig, DatabaseStepOutput> {
  readonly type = 'database';
  readonly configClass = DatabaseStepConfig;
  readonly pools: PoolCache;
  private readonly settings: PoolSettings;
  private readonly rowLimits: Partial<RowLimits>;

  constructor(options: DatabaseExecutorOptions = {}) {
    this.pools = new PoolCache({ maxPools: options.maxPools, idleMs: options.poolIdleMs, logger: options.logger });
    this.settings = {
      maxConnections: options.maxConnectionsPerPool ?? 10,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      idleTimeoutMs: 60_000,
    };
    this.rowLimits = options.rowLimits ?? {};
  }

  /** Circuit-breaker target: the server's `host:port/database` (default port by database type). */
  circuitTarget(config: DatabaseStepConfig): string | undefined {
    try {
      const t = parseConnectionString(config.database_type, config.connection_string);
      return `${t.host}:${t.port ?? DEFAULT_DATABASE_PORTS[config.database_type]}/${t.database}`;
    } catch {
      return undefined;
    }
  }

  /**
   * Resolves every field but the SQL text (`query`, `statements[].query`): those stay raw and
   * their templates become bind parameters in execute().
   */
  resolveConfig(rawConfig: unknown, resolve: ResolveTemplates): unknown {
    if (!isPlainObject(rawConfig)) return resolve(rawConfig);
    const { query, statements, ...rest } = rawConfig;
    const queries = Array.isArray(statements) ? statements.map((s) => (isPlainObject(s) ? s.query : undefined)) : [];
    const withoutQueries = Array.isArray(statements)
      ? statements.map((s) => {
          if (!isPlainObject(s)) return s;
          const { query: _query, ...other } = s;
          void _query;
          return other;
        })
      : statements;
    const resolved = resolve(statements === undefined ? rest : { ...rest, statements: withoutQueries });
    if (!isPlainObject(resolved)) return resolved;
    const out: Record<string, unknown> = { ...resolved };
    if (query !== undefined) out.query = query;
    if (Array.isArray(out.statements)) {
      out.statements = out.statements.map((s: unknown, i) => (isPlainObject(s) && queries[i] !== undefined ? { ...s, query: queries[i] } : s));
    }
    return out;
  }

  async close(): Promise<void> {
    await this.pools.close();
  }

  async execute(config: DatabaseStepConfig, run: StepRunContext): Promise<DatabaseStepOutput> {
    if (run.signal.aborted) throw new StepAbortedError(run.signal.reason);
    const target = parseConnectionString(config.database_type, config.connection_string);
    const mask = (text: string): string => maskTarget(text, target);
    const plan: Plan = {
      config,
      target,
      mask,
      resolveTemplate: (template) => {
        if (!run.resolveTemplate) {
          throw new UnrecoverableStepError(`query: the template ${template} cannot be resolved (no template scope given)`, 'TEMPLATE_ERROR');
        }
        try {
          return run.resolveTemplate(template);
        } catch (err) {
          if (err instanceof TemplateError) throw new UnrecoverableStepError(`query: ${mask(err.message)}`, 'TEMPLATE_ERROR');
          throw err;
        }
      },
    };
    const started = performance.now();
    const control: Control = {};
    const log = run.logger.child({ database_type: config.database_type, target: target.safe });

    const work = this.pools.use(target, () => POOL_FACTORIES[config.database_type](target, this.settings), (pool) =>
      this.withConnection(pool, plan, control, run),
    );
    work.catch(() => undefined);
    let stopWatchdog!: (error: StepError) => void;
    const stopped = new Promise<never>((_resolve, reject) => (stopWatchdog = reject));
    stopped.catch(() => undefined);
    const stop = (error: StepError): void => {
      if (control.stopped) return;
      control.stopped = error;
      const conn = control.conn;
      if (conn) {
        log.warn({ reason: error.code }, 'cancelling the running statement on the server');
        void conn.cancel().catch((err: unknown) => log.warn({ err: mask(errorText(err)) }, 'could not cancel the statement on the server'));
      }
      // Give the driver time to hand the connection back (rollback), then report.
      void Promise.race([work.catch(() => undefined), delay(CANCEL_GRACE_MS)]).then(() => stopWatchdog(error));
    };
    const timer = setTimeout(() => stop(new StepTimeoutError(config.timeout_seconds)), config.timeout_seconds * 1000);
    const onAbort = (): void => stop(new StepAbortedError(run.signal.reason));
    run.signal.addEventListener('abort', onAbort, { once: true });

    try {
      const output = await Promise.race([work, stopped]);
      log.info(
        { row_count: output.row_count, affected_rows: output.affected_rows, spilled: output.rows_ref !== undefined, duration_ms: Math.round(performance.now() - started) },
        'database step done',
      );
      return output;
    } catch (err) {
      if (control.stopped) throw control.stopped;
      if (err instanceof StepError) throw err;
      const error = toDatabaseError(err, config.database_type, mask);
      log.warn({ code: error.code, retryable: error.retryable, err: error.message }, 'database step failed');
      throw error;
    } finally {
      clearTimeout(timer);
      run.signal.removeEventListener('abort', onAbort);
    }
  }

  private async withConnection(pool: DbPool, plan: Plan, control: Control, run: StepRunContext): Promise<DatabaseStepOutput> {
    const { config } = plan;
    const conn = await pool.connect();
    if (control.stopped) {
      conn.release(false);
      throw control.stopped;
    }
    control.conn = conn;
    let broken = false;
    let inTransaction = false;
    try {
      if (config.transaction) {
        await conn.begin();
        inTransaction = true;
      }
      const output = await this.perform(conn, plan, control, run);
      if (inTransaction) {
        await conn.commit();
        inTransaction = false;
      }
      return output;
    } catch (err) {
      if (inTransaction) {
        await conn.rollback().catch(() => {
          broken = true;
        });
      }
      // A statement cancelled or failed at the protocol level: do not reuse the connection.
      if (control.stopped || isFatal(err)) broken = true;
      throw err;
    } finally {
      control.conn = undefined;
      conn.release(broken);
    }
  }

  private async perform(conn: DbConnection, plan: Plan, control: Control, run: StepRunContext): Promise<DatabaseStepOutput> {
    const { config } = plan;
    const type = config.database_type;
    if (config.query_type === 'stored_procedure') return this.callProcedure(conn, plan);
    if (config.statements) {
      const outputs: DatabaseStatementOutput[] = [];
      for (let i = 0; i < config.statements.length; i++) {
        if (control.stopped) throw control.stopped;
        const statement = config.statements[i]!;
        const pieces = parseSql(statement.query, type, { resolveTemplate: plan.resolveTemplate });
        const bound = renderSql(pieces, type, statement.parameters ?? []);
        outputs.push(await this.collect(conn, bound, run, `${run.stepId}-${i + 1}-rows.ndjson`));
      }
      const last = outputs[outputs.length - 1]!;
      return { ...last, statements: outputs };
    }
    const query = config.query!;
    if (config.data !== undefined) {
      const pieces = parseSql(query, type, { resolveTemplate: plan.resolveTemplate, rowColumns: true });
      return this.writeRows(conn, pieces, plan, control, run);
    }
    const pieces = parseSql(query, type, { resolveTemplate: plan.resolveTemplate });
    // Stopped while connecting or parsing: the statement must not start.
    if (control.stopped) throw control.stopped;
    return this.collect(conn, renderSql(pieces, type, config.parameters ?? []), run, `${run.stepId}-rows.ndjson`);
  }

  /** One statement; rows kept inline or spilled to NDJSON in the execution's output folder. */
  private async collect(conn: DbConnection, bound: ReturnType<typeof renderSql>, run: StepRunContext, filename: string): Promise<DatabaseStatementOutput> {
    const key = executionOutputKey(run.jobId, run.executionId, filename);
    const collector = new RowCollector({ storage: run.storage, key, limits: this.rowLimits });
    try {
      const result = await conn.query(bound, (row) => collector.add(row));
      const collected = await collector.finish();
      const columns = result.columns.length > 0 ? result.columns : collected.columns;
      if (collected.inline) {
        return { rows: collected.rows, row_count: result.rowCount, affected_rows: result.affectedRows, columns };
      }
      run.addFile({
        path: collected.ref,
        filename,
        size: collected.size,
        mime_type: NDJSON_MIME_TYPE,
        row_count: collected.row_count,
        created_at: new Date().toISOString(),
      });
      return { rows_ref: collected.ref, row_count: collected.row_count, affected_rows: result.affectedRows, columns, preview: collected.preview };
    } catch (err) {
      await collector.abort();
      throw err;
    }
  }

  /** `data` rows through the per-row statement, in batches (multi-row INSERT, executeMany, or one by one). */
  private async writeRows(conn: DbConnection, pieces: SqlPiece[], plan: Plan, control: Control, run: StepRunContext): Promise<DatabaseStepOutput> {
    const { config } = plan;
    const type = config.database_type;
    const parameters = config.parameters ?? [];
    const split = type === 'oracle' ? undefined : splitValuesGroup(pieces);
    const perRow = split ? Math.max(1, bindsPerRow(split)) : 1;
    const batchRows = split ? Math.max(1, Math.min(config.batch_size, Math.floor((MAX_BINDS - 100) / perRow))) : config.batch_size;
    const started = performance.now();
    let rowsWritten = 0;
    let affected = 0;
    let batches = 0;
    let batch: Row[] = [];

    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      if (control.stopped) throw control.stopped;
      if (split) {
        affected += (await conn.query(renderRows(split, type, parameters, batch), noRows)).affectedRows;
      } else if (type === 'oracle' && conn.executeMany) {
        const text = renderSql(pieces, type, parameters, batch[0]).text;
        affected += await conn.executeMany(text, batch.map((row) => renderSql(pieces, type, parameters, row).values));
      } else {
        // Not a single VALUES group: one statement per row, the batch in one transaction.
        const own = !config.transaction;
        if (own) await conn.begin();
        try {
          for (const row of batch) affected += (await conn.query(renderSql(pieces, type, parameters, row), noRows)).affectedRows;
          if (own) await conn.commit();
        } catch (err) {
          if (own) await conn.rollback().catch(() => undefined);
          throw err;
        }
      }
      rowsWritten += batch.length;
      batches++;
      batch = [];
    };

    for await (const row of readRows(config.data, { storage: run.storage, jobId: run.jobId, executionId: run.executionId })) {
      batch.push(row);
      if (batch.length >= batchRows) await flush();
    }
    await flush();
    const durationMs = Math.round(performance.now() - started);
    run.logger.debug({ rows_written: rowsWritten, batches, multi_row: split !== undefined }, 'database rows written');
    return {
      rows: [],
      row_count: rowsWritten,
      affected_rows: affected,
      columns: [],
      summary: { rows_written: rowsWritten, batches, duration_ms: durationMs },
    };
  }

  private async callProcedure(conn: DbConnection, plan: Plan): Promise<DatabaseStepOutput> {
    const { config } = plan;
    const args: ProcedureArgument[] = (config.parameters ?? []).map((item: unknown, i) =>
      isProcedureParameterSpec(item)
        ? { ...item, name: item.name ?? `p${i + 1}` }
        : { direction: 'in', name: `p${i + 1}`, value: item as ProcedureArgument['value'] },
    );
    const result = await conn.callProcedure(config.procedure_name!, args);
    const sets: DatabaseResultSet[] = result.resultSets.map((s) => ({ rows: s.rows, row_count: s.rows.length, columns: s.columns }));
    const first = sets[0];
    const output: DatabaseStepOutput = {
      rows: first?.rows ?? [],
      row_count: first?.row_count ?? 0,
      affected_rows: result.affectedRows,
      columns: first?.columns ?? [],
      out: result.out,
    };
    if (sets.length > 1) output.result_sets = sets;
    return output;
  }
}

const noRows = (): void => undefined;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Errors after which a connection's state is unknown. */
function isFatal(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return true;
  const e = err as { fatal?: unknown; code?: unknown };
  if (e.fatal === true) return true;
  return typeof e.code === 'string' && /^(ECONN|EPIPE|ETIMEDOUT|PROTOCOL_)/.test(e.code);
}
