import { UnrecoverableStepError } from '../errors';

/** Longest value quoted in a message. */
const MAX_VALUE_CHARS = 100;

/** A value as it is quoted in messages: JSON, cut to 100 characters. */
export function quoteValue(value: unknown): string {
  let text: string;
  try {
    text = value instanceof Date ? value.toISOString() : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
}

/** Where in a file a problem is: the file, the data row (1 = first row after the header), its line, its column. */
export interface FileLocation {
  file: string;
  /** Data row number, 1-based, header excluded. */
  row?: number;
  /** Line of the file (CSV, where the record ends) or row number of the sheet (XLSX). */
  line?: number;
  sheet?: string;
  column?: string;
  value?: unknown;
}

function describe(location: FileLocation): string {
  const parts = [location.file];
  if (location.sheet !== undefined) parts.push(`sheet "${location.sheet}"`);
  if (location.row !== undefined) parts.push(`row ${location.row}`);
  if (location.line !== undefined) parts.push(location.sheet !== undefined ? `(sheet row ${location.line})` : `(line ${location.line})`);
  if (location.column !== undefined) parts.push(`column "${location.column}"`);
  if (location.value !== undefined) parts.push(`value ${quoteValue(location.value)}`);
  return parts.join(' ');
}

function detailsOf(location: FileLocation, reason: string): Record<string, unknown> {
  const details: Record<string, unknown> = { file: location.file, reason };
  if (location.sheet !== undefined) details.sheet = location.sheet;
  if (location.row !== undefined) details.row = location.row;
  if (location.line !== undefined) details.line = location.line;
  if (location.column !== undefined) details.column = location.column;
  if (location.value !== undefined) details.value = quoteValue(location.value);
  return details;
}

/**
 * The file cannot be read as the format says: unterminated quote, not an XLSX, undecodable bytes…
 * Not retryable; `details` has `file`, `reason` and, when known, `row`, `line`.
 */
export class FileFormatError extends UnrecoverableStepError {
  constructor(
    readonly location: FileLocation,
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super(`${describe(location)}: ${reason}`, 'FILE_FORMAT_INVALID', { details: detailsOf(location, reason), cause: options.cause });
  }
}

/**
 * One row cannot be used: wrong column count, a value that does not convert, a filter that cannot
 * be evaluated. Fails the step unless `on_error: skip` (then counted in `rejected`). Not retryable.
 */
export class FileRowError extends UnrecoverableStepError {
  constructor(
    readonly location: FileLocation,
    readonly reason: string,
  ) {
    super(`${describe(location)}: ${reason}`, 'FILE_ROW_INVALID', { details: detailsOf(location, reason) });
  }
}

/** A transformation or option names a column the file does not have. Not retryable. */
export class FileColumnNotFoundError extends UnrecoverableStepError {
  constructor(file: string, column: string, where: string, available: readonly string[]) {
    const shown = available.slice(0, 50).map((c) => JSON.stringify(c)).join(', ');
    super(`${file}: ${where} names column ${JSON.stringify(column)}, which is not in the file (columns: ${shown})`, 'FILE_COLUMN_NOT_FOUND', {
      details: { file, column, where, available: available.slice(0, 50) },
    });
  }
}

/** `source_files`: a file whose columns (after transformations) differ from the first file's. Not retryable. */
export class FileColumnsDifferError extends UnrecoverableStepError {
  constructor(file: string, columns: readonly string[], firstFile: string, firstColumns: readonly string[]) {
    const list = (c: readonly string[]): string => c.slice(0, 50).map((x) => JSON.stringify(x)).join(', ');
    super(`${file}: columns ${list(columns)} differ from those of ${firstFile} (${list(firstColumns)})`, 'FILE_COLUMNS_DIFFER', {
      details: { file, columns: columns.slice(0, 50), first_file: firstFile, first_columns: firstColumns.slice(0, 50) },
    });
  }
}

/** The XLSX has no sheet of that name or position. Not retryable. */
export class FileSheetNotFoundError extends UnrecoverableStepError {
  constructor(file: string, wanted: string, available: readonly string[]) {
    super(`${file}: no sheet ${wanted} (sheets: ${available.map((s) => JSON.stringify(s)).join(', ') || 'none'})`, 'FILE_SHEET_NOT_FOUND', {
      details: { file, sheet: wanted, available: [...available] },
    });
  }
}

/** The source file does not exist in object storage. Not retryable. */
export class FileNotFoundError extends UnrecoverableStepError {
  constructor(readonly key: string) {
    super(`file not found: ${key}`, 'FILE_NOT_FOUND', { details: { file: key } });
  }
}
