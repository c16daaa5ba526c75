import { Pool, type PoolClient, type QueryResult, type QueryResultRow } from 'pg';

/** Anything that runs a query: the pool, or a client inside a transaction. */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

export interface DatabaseOptions {
  /** postgres:// connection string of the system database. */
  connectionString: string;
  /** Pool size (default 10). */
  poolSize?: number;
  /** application_name shown in pg_stat_activity. */
  applicationName?: string;
  /** Close a connection idle this long (default 5 minutes). */
  idleTimeoutMs?: number;
}

/** A connection that runs named (server-side prepared) statements: a pool client. */
export interface NamedQueryable {
  query(config: { name: string; text: string; values: unknown[] }): Promise<unknown>;
}

/** The system database: a pg pool with transactions. Repositories take it (or a transaction) as their Queryable. */
export class Database implements Queryable {
  readonly pool: Pool;

  constructor(options: DatabaseOptions) {
    this.pool = new Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 10,
      application_name: options.applicationName ?? 'vecron',
      // Keep connections through quiet periods (pg's default drops them after 10 s, so a burst
      // after a pause would first pay for reconnecting).
      idleTimeoutMillis: options.idleTimeoutMs ?? 300_000,
    });
    // An idle client that errors (server restart) must not crash the process; the pool replaces it.
    this.pool.on('error', () => undefined);
  }

  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>> {
    return this.pool.query<R>(text, values);
  }

  /**
   * Runs `fn` in a transaction; commits when it resolves, rolls back when it throws.
   * `repeatableRead` gives every statement of `fn` the snapshot of its first one.
   */
  async transaction<T>(fn: (tx: PoolClient) => Promise<T>, options: { repeatableRead?: boolean } = {}): Promise<T> {
    const client = await this.pool.connect();
    // The server going away (restart) between two statements makes the checked-out client emit
    // 'error'; unhandled, that would crash the process. The next statement fails instead, and the
    // broken connection is destroyed on release rather than returned to the pool.
    let broken = false;
    const onError = (): void => {
      broken = true;
    };
    client.on('error', onError);
    try {
      await client.query(options.repeatableRead ? 'begin isolation level repeatable read' : 'begin');
      const result = await fn(client);
      await client.query('commit');
      return result;
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  /**
   * Opens up to `connections` pool connections now, so that a first burst does not pay for
   * connecting, and runs `prepare` on each (default: a round trip), e.g. to prepare the
   * statements a burst will send (`ExecutionsRepository.prepareClaims`).
   */
  async warmUp(connections: number, prepare: (client: PoolClient) => Promise<unknown> = (c) => c.query('select 1')): Promise<void> {
    const n = Math.max(0, Math.min(connections, this.pool.options.max ?? 10));
    const clients = await Promise.all(Array.from({ length: n }, () => this.pool.connect()));
    try {
      await Promise.all(clients.map((c) => prepare(c)));
    } finally {
      for (const c of clients) c.release();
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('select 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
