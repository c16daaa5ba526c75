import type { Writable } from 'stream';
import { stringify } from 'csv-stringify';
import ExcelJS from 'exceljs';
import { UnrecoverableStepError } from '../errors';
import type { LineEnding } from './file-processing.config';

/** Rows an XLSX sheet can hold (Excel's limit), header included. */
export const XLSX_MAX_ROWS = 1_048_576;

/** A row to write: values in column order. */
export type RowValues = unknown[];

/** Writes rows one at a time into a byte stream; `end` finishes the file. Both wait on backpressure. */
export interface FileWriter {
  write(values: RowValues): Promise<void>;
  end(): Promise<void>;
}

/** Resolves once `stream` can take more; rejects if it closes or fails first. */
export function waitForDrain(stream: Writable): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      stream.off('drain', onDrain);
      stream.off('close', onClose);
      stream.off('error', onError);
    };
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onClose = (): void => {
      cleanup();
      reject(stream.errored ?? new Error('output stream closed'));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    stream.on('drain', onDrain);
    stream.on('close', onClose);
    stream.on('error', onError);
  });
}

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

export interface XlsxWriteOptions {
  sheetName: string;
  header: boolean;
  columns: string[];
  /** Excel number format per column name. */
  columnFormats: Record<string, string>;
}

const NUMERIC_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)$/;
const ISO_DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?Z?)?$/;
/** Digits a double keeps exactly. */
const MAX_EXACT_DIGITS = 15;

/** A string written as a number or date when its column has a number format. */
function formattedValue(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (NUMERIC_TEXT.test(text) && text.replace(/[^0-9]/g, '').replace(/^0+/, '').length <= MAX_EXACT_DIGITS) return Number(text);
  const m = ISO_DATE_TEXT.exec(text);
  if (m) {
    return new Date(
      Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), Number((m[7] ?? '0').padEnd(3, '0'))),
    );
  }
  return value;
}

function xlsxValue(value: unknown): ExcelJS.CellValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value instanceof Date) return value;
  return JSON.stringify(value);
}

/**
 * XLSX through exceljs' streaming WorkbookWriter: one sheet, inline strings (no shared-string table
 * held in memory), each row committed as it is written. In a column with a number format
 * (`column_formats`), numeric strings (≤ 15 significant digits, exact in a double) are written as
 * numbers and ISO date strings as dates; other values keep their JSON type.
 */
export function createXlsxWriter(out: Writable, options: XlsxWriteOptions): FileWriter {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  const sheet = workbook.addWorksheet(options.sheetName);
  const formatted: boolean[] = options.columns.map((c) => options.columnFormats[c] !== undefined);
  options.columns.forEach((c, i) => {
    const fmt = options.columnFormats[c];
    const column = sheet.getColumn(i + 1);
    column.width = Math.min(60, Math.max(10, c.length + 2));
    if (fmt !== undefined) column.numFmt = fmt;
  });
  if (options.header) {
    const header = sheet.addRow(options.columns);
    header.font = { bold: true };
    header.commit();
  }
  let n = options.header ? 1 : 0;
  // exceljs writes committed rows into the zip's deflate stream without waiting for it, so rows
  // pile up in memory whenever deflate or the upload is behind. Every 64 rows: wait while the
  // deflate stream (the sheet stream's pipe) or the output is over its mark, else yield to the
  // event loop so that zlib's callbacks run.
  const sheetStream = (sheet as unknown as { stream?: { pipes?: Writable[] } }).stream;
  const backpressure = async (): Promise<void> => {
    const deflate = sheetStream?.pipes?.[0];
    if (deflate?.writableNeedDrain) await waitForDrain(deflate);
    else if (out.writableNeedDrain) await waitForDrain(out);
    else await new Promise<void>((resolve) => setImmediate(resolve));
  };
  return {
    async write(values) {
      if (n >= XLSX_MAX_ROWS) {
        throw new UnrecoverableStepError(`an XLSX sheet holds at most ${XLSX_MAX_ROWS} rows (header included): write CSV, or split the data`, 'XLSX_ROW_LIMIT');
      }
      const cells = new Array<ExcelJS.CellValue>(values.length);
      for (let i = 0; i < values.length; i++) cells[i] = xlsxValue(formatted[i] ? formattedValue(values[i]) : values[i]);
      sheet.addRow(cells).commit();
      if (++n % 64 === 0) await backpressure();
    },
    async end() {
      const finished = new Promise<void>((resolve, reject) => {
        out.once('finish', resolve);
        out.once('error', reject);
      });
      sheet.commit();
      await workbook.commit();
      await finished;
    },
  };
}
