import type { Writable } from 'stream';
import { stringify } from 'csv-stringify';
import type { LineEnding } from './file-processing.config';
import { waitForDrain, type FileWriter } from './file-writer';

export interface CsvWriteOptions {
  delimiter: string;
  header: boolean;
  columns: string[];
  lineEnding: LineEnding;
  bom: boolean;
}

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
 */
export function createCsvWriter(out: Writable, options: CsvWriteOptions): FileWriter {
  const stringifier = stringify({
    delimiter: options.delimiter,
    bom: options.bom,
    record_delimiter: options.lineEnding === 'crlf' ? 'windows' : 'unix',
    // A lone LF or CR must be quoted too, whatever the record delimiter.
    quoted_match: /[\r\n]/,
  });
  stringifier.pipe(out);
  let headerDone = !options.header;
  const push = async (record: string[]): Promise<void> => {
    if (!stringifier.write(record)) await waitForDrain(stringifier);
  };
  return {
    async write(values) {
      if (!headerDone) {
        headerDone = true;
        await push(options.columns);
      }
      const record = new Array<string>(values.length);
      for (let i = 0; i < values.length; i++) record[i] = csvText(values[i]);
      await push(record);
    },
    async end() {
      if (!headerDone) {
        headerDone = true;
        await push(options.columns);
      }
      await new Promise<void>((resolve, reject) => {
        out.once('finish', resolve);
        out.once('error', reject);
        stringifier.end();
      });
    },
  };
}

