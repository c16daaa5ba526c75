import type { Writable } from 'stream';
import type * as ExcelJS from 'exceljs';
import { UnrecoverableStepError } from '../errors';
import { loadExcelJs } from './exceljs.loader';
import { waitForDrain, type FileWriter, type RowValues } from './file-writer';

/** Rows an XLSX sheet can hold (Excel's limit), header included. */
export const XLSX_MAX_ROWS = 1_048_576;

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
  // exceljs is loaded at the first XLSX written (a process that writes none never loads it).
  const ready = loadExcelJs().then((excel) => openXlsxWriter(excel, out, options));
  ready.catch(() => undefined);
  return {
    write: async (values) => (await ready).write(values),
    writeRows: async (rows) => (await ready).writeRows(rows),
    end: async () => (await ready).end(),
  };
}

function openXlsxWriter(excel: typeof ExcelJS, out: Writable, options: XlsxWriteOptions): FileWriter {
  const workbook = new excel.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
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
  const writeOne = async (values: RowValues): Promise<void> => {
    if (n >= XLSX_MAX_ROWS) {
      throw new UnrecoverableStepError(`an XLSX sheet holds at most ${XLSX_MAX_ROWS} rows (header included): write CSV, or split the data`, 'XLSX_ROW_LIMIT');
    }
    const cells = new Array<ExcelJS.CellValue>(values.length);
    for (let i = 0; i < values.length; i++) cells[i] = xlsxValue(formatted[i] ? formattedValue(values[i]) : values[i]);
    sheet.addRow(cells).commit();
    if (++n % 64 === 0) await backpressure();
  };
  return {
    write: writeOne,
    async writeRows(rows) {
      for (const values of rows) await writeOne(values);
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
