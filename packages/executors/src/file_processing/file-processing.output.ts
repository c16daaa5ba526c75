import type { FileEntry } from '@vecron/context';
import type { Row } from '../rows/row-data';

/** A row left out under `on_error: skip`. */
export interface RejectedRow {
  /** `source_files`: the file (object key) the row is in. */
  file?: string;
  /** Data row number, 1-based, header excluded (in its own file). */
  row: number;
  /** CSV: line where the record ends; XLSX: the sheet's row number. */
  line?: number;
  sheet?: string;
  column?: string;
  /** The offending value, as JSON, cut to 100 characters. */
  value?: string;
  reason: string;
}

/** Rows left out under `on_error: skip`: how many, and the first 100. */
export interface RejectedRows {
  count: number;
  first: RejectedRow[];
}

/** Rows of one read (a CSV, one sheet). Exactly one of `data` and `data_ref` is set. */
export interface FileRowsOutput {
  /** The rows, when they fit the inline limit (default 10,000 rows / 10 MB). */
  data?: Row[];
  /** Otherwise: key of an NDJSON object (one row per line) under the execution's output folder. */
  data_ref?: string;
  /** With `data_ref`: the first 20 rows. */
  preview?: Row[];
  /** Rows kept (after filters). */
  row_count: number;
  /** Data rows read from the file(s) (before filters, rejects included). */
  rows_read: number;
  /** Column names in order, after transformations. */
  columns: string[];
  rejected: RejectedRows;
}

/** Output of `operation: read`: one CSV or one sheet. */
export interface FileReadOutput extends FileRowsOutput {
  /** Excel: the sheet read. */
  sheet?: string;
}

/** Output of `operation: read` with `all_sheets: true`: every sheet by name, in workbook order. */
export interface FileReadAllSheetsOutput {
  sheets: Record<string, FileRowsOutput>;
  /** Rows kept over all sheets. */
  row_count: number;
}

/**
 * Output of `operation: read` with `destination_path` (single pass): the file written (also
 * appended to the context's `files`) and the read's counts; no rows.
 */
export interface FileReadToFileOutput {
  files: FileEntry[];
  /** Rows written (after filters). */
  row_count: number;
  /** Data rows read from the file(s) (before filters, rejects included). */
  rows_read: number;
  /** Column names in order, as written. */
  columns: string[];
  rejected: RejectedRows;
  /** Excel source: the sheet read. */
  sheet?: string;
}

/** Output of `operation: write`. Each file is also appended to the context's `files`. */
export interface FileWriteOutput {
  files: FileEntry[];
  row_count: number;
}

export type FileProcessingOutput = FileReadOutput | FileReadAllSheetsOutput | FileReadToFileOutput | FileWriteOutput;
