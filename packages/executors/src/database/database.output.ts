import type { Row } from '../rows/row-data';

/** One result set, inline. */
export interface DatabaseResultSet {
  rows: Row[];
  row_count: number;
  columns: string[];
}

/**
 * The result of one statement. Inline: `rows`. Past the inline limits (default 10,000 rows or
 * 10 MB): `rows_ref` (the NDJSON object in the execution's output folder, readable by later
 * steps as `data`), `preview` (first 20 rows) and no `rows`.
 */
export interface DatabaseStatementOutput {
  rows?: Row[];
  rows_ref?: string;
  preview?: Row[];
  /** Rows returned (SELECT / RETURNING), or rows affected by a DML statement. */
  row_count: number;
  /** Rows inserted / updated / deleted (MySQL counts an upsert's update as 2); 0 for SELECT. */
  affected_rows: number;
  /** Column names of the result, in order ([] for DML without RETURNING). */
  columns: string[];
}

/** Output of a `database` step, stored at `steps.{id}.output`. */
export interface DatabaseStepOutput extends DatabaseStatementOutput {
  /** Stored procedure: OUT / IN OUT values by name (`p<n>` when the parameter has no name). */
  out?: Record<string, unknown>;
  /** Stored procedure returning several result sets: all of them (`rows` holds the first). */
  result_sets?: DatabaseResultSet[];
  /** `statements`: each statement's result in order (the top-level fields are the last one's). */
  statements?: DatabaseStatementOutput[];
  /** Writing `data`: rows written, batches (statements or driver batches) and time taken. */
  summary?: { rows_written: number; batches: number; duration_ms: number };
}
