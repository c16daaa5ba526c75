import type { Writable } from 'stream';
import { stringify, type Options as StringifyOptions } from 'csv-stringify/sync';
import type { LineEnding } from './file-processing.config';
import { writeChunk, type FileWriter, type RowValues } from './file-writer';

export interface CsvWriteOptions {
  delimiter: string;
  header: boolean;
  columns: string[];
  lineEnding: LineEnding;
  bom: boolean;
}

const UTF8_BOM = '\ufeff';

function csvText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * CSV through csv-stringify: fields quoted only when they hold the delimiter, a quote or a line
 * break; null → empty field; booleans `true`/`false`; objects as JSON.
 *
 * A batch of rows is stringified in one call (csv-stringify's sync API) and written to the
 * stream as one chunk, waiting on backpressure once per batch: a record per stream chunk (the
 * stream API) costs far more in stream machinery than the stringify itself.
 */
export function createCsvWriter(out: Writable, options: CsvWriteOptions): FileWriter {
  const stringifyOptions: StringifyOptions = {
    delimiter: options.delimiter,
    record_delimiter: options.lineEnding === 'crlf' ? 'windows' : 'unix',
    // A lone LF or CR must be quoted too, whatever the record delimiter.
    quoted_match: /[\r\n]/,
  };
  let started = false;
  /** The BOM and the header, before the first rows (or alone, for a file without rows). */
  const prefix = (): string => {
    if (started) return '';
    started = true;
    return (options.bom ? UTF8_BOM : '') + (options.header ? stringify([options.columns], stringifyOptions) : '');
  };
  const writeRows = async (rows: readonly RowValues[]): Promise<void> => {
    // The values become their text in place (the rows are the caller's fresh arrays, written once).
    for (let r = 0; r < rows.length; r++) {
      const values = rows[r]!;
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (typeof v !== 'string') values[i] = csvText(v);
      }
    }
    const text = prefix() + (rows.length > 0 ? stringify(rows as unknown[][], stringifyOptions) : '');
    if (text !== '') await writeChunk(out, text);
  };
  return {
    write: (values) => writeRows([values]),
    writeRows,
    async end() {
      const text = prefix();
      if (text !== '') await writeChunk(out, text);
      await new Promise<void>((resolve, reject) => {
        out.once('finish', resolve);
        out.once('error', reject);
        out.end();
      });
    },
  };
}
