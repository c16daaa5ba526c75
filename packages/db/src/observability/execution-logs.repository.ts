import type { Database } from '../database';

/** One captured log line of an execution (JSON, as the worker logged it, secrets masked). */
export interface ExecutionLogLine {
  /** ISO-8601 UTC. */
  time: string;
  level: string;
  msg: string;
  step_id?: string;
  [field: string]: unknown;
}

/** An execution's captured lines, as written when it ended. */
export interface ExecutionLogBatch {
  execution_id: string;
  job_id: string;
  lines: ExecutionLogLine[];
  /** Lines over the per-execution cap, not kept. */
  dropped: number;
}

export interface StoredExecutionLog {
  lines: ExecutionLogLine[];
  dropped_lines: number;
}

/**
 * Execution log lines in PostgreSQL: one row per execution, written once at its end (many
 * executions in one statement), deleted with the execution row. A second write for the same
 * execution (a resumed run) appends.
 */
export class ExecutionLogsRepository {
  constructor(private readonly db: Database) {}

  async insertMany(batches: ExecutionLogBatch[]): Promise<void> {
    if (batches.length === 0) return;
    await this.db.query(
      `insert into execution_logs as l (execution_id, job_id, lines, line_count, dropped_lines)
       select * from unnest($1::uuid[], $2::uuid[], $3::jsonb[], $4::int[], $5::int[])
       on conflict (execution_id) do update set lines = l.lines || excluded.lines, line_count = l.line_count + excluded.line_count,
         dropped_lines = l.dropped_lines + excluded.dropped_lines, updated_at = now()`,
      [
        batches.map((b) => b.execution_id),
        batches.map((b) => b.job_id),
        batches.map((b) => JSON.stringify(b.lines)),
        batches.map((b) => b.lines.length),
        batches.map((b) => b.dropped),
      ],
    );
  }

  /** The execution's lines, or null when none were written (yet). */
  async find(executionId: string): Promise<StoredExecutionLog | null> {
    const { rows } = await this.db.query<StoredExecutionLog>('select lines, dropped_lines from execution_logs where execution_id=$1', [executionId]);
    return rows[0] ?? null;
  }
}
