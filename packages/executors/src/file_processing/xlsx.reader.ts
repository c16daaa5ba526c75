import { Readable } from 'stream';
import { StringDecoder } from 'string_decoder';
import type * as ExcelJS from 'exceljs';
import { loadExcelJs } from './exceljs.loader';
import { FileFormatError } from './file-processing.errors';
import { spreadsheetDateText } from './value-converter';

/** One row of a sheet: its cell values (column A first) and its row number in the sheet. */
export interface SheetRow {
  values: unknown[];
  line: number;
}

/** A sheet as the workbook streams past: name, position (0 = first in the workbook) and its rows. */
export interface SheetHandle {
  name: string;
  index: number;
  rows(): AsyncGenerator<SheetRow>;
}

/** What exceljs' streaming reader gives that its typings do not declare. */
interface WorkbookReaderInternals {
  model?: { sheets?: { name: string; id: number; rId: string }[] };
}
interface WorksheetReaderInternals {
  name?: string;
  id?: number | string;
  [Symbol.asyncIterator](): AsyncIterator<ExcelJS.Row>;
}

const ZIP_SIGNATURE = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

/**
 * Streams an XLSX: yields each worksheet as exceljs' WorkbookReader reaches it (rows are parsed only
 * when iterated; a sheet not iterated is skipped). Shared strings are cached (they precede the
 * sheets in the files Excel and LibreOffice write); styles are read so that date cells are dates.
 *
 * Cell values: numbers, strings and booleans as they are; dates as ISO strings (`YYYY-MM-DD` at
 * midnight, else `YYYY-MM-DDTHH:mm:ss`); formulas as their cached result; rich text as its plain
 * text; hyperlinks as their text; errors (`#N/A`) as their text; empty cells null. A merged
 * range's value is in its top-left cell, the other cells of the range are empty.
 */
export async function* readXlsxSheets(source: Readable, file: string): AsyncGenerator<SheetHandle> {
  const checked = await checkZipSignature(source, file);
  const excel = await loadExcelJs();
  const reader = new excel.stream.xlsx.WorkbookReader(checked, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    styles: 'cache',
    entries: 'ignore',
  });
  decodeUtf8AcrossChunks(reader);
  let position = 0;
  try {
    for await (const sheet of reader as AsyncIterable<unknown>) {
      const ws = sheet as WorksheetReaderInternals;
      const sheets = (reader as unknown as WorkbookReaderInternals).model?.sheets ?? [];
      const index = ws.name !== undefined ? sheets.findIndex((s) => s.name === ws.name) : -1;
      const name = ws.name ?? `Sheet${ws.id ?? position + 1}`;
      const handle: SheetHandle = {
        name,
        index: index >= 0 ? index : position,
        rows: () => sheetRows(ws),
      };
      position++;
      yield handle;
    }
  } catch (err) {
    if (err instanceof FileFormatError) throw err;
    throw new FileFormatError({ file }, `not a readable XLSX file (${(err as Error).message})`, { cause: err });
  } finally {
    checked.destroy();
  }
}

async function* sheetRows(ws: WorksheetReaderInternals): AsyncGenerator<SheetRow> {
  for await (const row of ws as AsyncIterable<ExcelJS.Row>) {
    const values: unknown[] = [];
    row.eachCell({ includeEmpty: false }, (cell, col) => {
      values[col - 1] = cellValue(cell);
    });
    for (let i = 0; i < values.length; i++) if (values[i] === undefined) values[i] = null;
    yield { values, line: row.number };
  }
}

function cellValue(cell: ExcelJS.Cell): unknown {
  return plainValue(cell.value, cell.numFmt);
}

function plainValue(value: unknown, numFmt: string | undefined): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return spreadsheetDateText(value);
  if (typeof value !== 'object') return value;
  const v = value as Record<string, unknown>;
  if ('formula' in v || 'sharedFormula' in v) {
    const result = v.result;
    if (typeof result === 'number') {
      if (Number.isNaN(result)) return null;
      return isDateFormat(numFmt) ? spreadsheetDateText(excelSerialToDate(result)) : result;
    }
    if (result !== null && typeof result === 'object' && 'error' in result) return (result as { error: unknown }).error;
    return plainValue(result, numFmt);
  }
  if (Array.isArray(v.richText)) return (v.richText as { text?: string }[]).map((r) => r.text ?? '').join('');
  if ('text' in v) return plainValue(v.text, numFmt);
  if ('error' in v) return v.error;
  if ('sharedString' in v) return null;
  return JSON.stringify(value);
}

/** Whether an Excel number format shows a date or time (`dd/mm/yyyy`, `h:mm`, …). */
export function isDateFormat(numFmt: string | undefined): boolean {
  if (!numFmt || numFmt === 'General') return false;
  // Drop quoted text, escaped characters and [colour]/[locale] sections before looking for date tokens.
  const bare = numFmt.replace(/"[^"]*"/g, '').replace(/\\./g, '').replace(/\[[^\]]*\]/g, '');
  return /[dmyhs]/i.test(bare) && !/^[#0.,%E+\-\s]*$/.test(bare);
}

function excelSerialToDate(serial: number): Date {
  return new Date(Math.round((serial - 25_569) * 86_400_000));
}

/** The parts of exceljs' WorkbookReader (4.4.0) that read the XML entries of the ZIP. */
interface WorkbookReaderParts {
  _parseRels(entry: Readable): Promise<void>;
  _parseWorkbook(entry: Readable): Promise<void>;
  _parseStyles(entry: Readable): Promise<void>;
  _parseSharedStrings(entry: Readable): AsyncGenerator<unknown>;
  _parseWorksheet(iterator: AsyncIterable<Buffer | string>, sheetNo: string): Generator<unknown>;
  _parseHyperlinks(iterator: AsyncIterable<Buffer | string>, sheetNo: string): Generator<unknown>;
}

/**
 * exceljs' streaming reader decodes every chunk of an XML entry on its own (`parse-sax`:
 * `TextDecoder.decode(chunk)` per chunk), so a UTF-8 character split between two inflated chunks
 * becomes two U+FFFD (exceljs issues #2084, #2316; a 20,000-row Vietnamese sheet lost ~30 values).
 * Its parser passes strings through untouched, so each entry is handed over already decoded,
 * with a StringDecoder that carries a split character to the next chunk.
 */
function decodeUtf8AcrossChunks(reader: ExcelJS.stream.xlsx.WorkbookReader): void {
  const parts = reader as unknown as WorkbookReaderParts;
  for (const name of ['_parseRels', '_parseWorkbook', '_parseStyles', '_parseSharedStrings'] as const) {
    const original = parts[name] as (entry: Readable) => unknown;
    if (typeof original !== 'function') throw new Error(`exceljs WorkbookReader has no ${name}: the UTF-8 fix needs updating`);
    (parts as unknown as Record<string, unknown>)[name] = (entry: Readable) => {
      entry.setEncoding('utf8');
      return original.call(reader, entry);
    };
  }
  for (const name of ['_parseWorksheet', '_parseHyperlinks'] as const) {
    const original = parts[name];
    if (typeof original !== 'function') throw new Error(`exceljs WorkbookReader has no ${name}: the UTF-8 fix needs updating`);
    parts[name] = (iterator, sheetNo) => original.call(reader, utf8Chunks(iterator), sheetNo);
  }
}

/** The chunks as strings, a UTF-8 character split between two chunks kept whole. */
async function* utf8Chunks(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  for await (const chunk of chunks) {
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (text !== '') yield text;
  }
  const rest = decoder.end();
  if (rest !== '') yield rest;
}

/** The stream again, once its first bytes are those of a ZIP (an XLSX is a ZIP); FileFormatError otherwise. */
async function checkZipSignature(source: Readable, file: string): Promise<Readable> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < ZIP_SIGNATURE.length) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    first.push(next.value);
    length += next.value.length;
  }
  const head = Buffer.concat(first);
  if (head.length < ZIP_SIGNATURE.length || !head.subarray(0, 4).equals(ZIP_SIGNATURE)) {
    source.destroy();
    throw new FileFormatError({ file }, head.length === 0 ? 'not an XLSX file: the file is empty' : 'not an XLSX file: it is not a ZIP archive (an XLSX is one)');
  }
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      yield head;
      if (ended) return;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      source.destroy();
    }
  }
  return Readable.from(chunks(), { objectMode: false, highWaterMark: 1024 * 1024 });
}
