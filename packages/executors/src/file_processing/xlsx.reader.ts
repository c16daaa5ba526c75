import { AsyncLocalStorage } from 'async_hooks';
import type { EventEmitter } from 'events';
import { mkdtemp, rm } from 'fs/promises';
import { createRequire } from 'module';
import os from 'os';
import path from 'path';
import { Readable, type Writable } from 'stream';
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
  /**
   * The sheet's rows in order, in the batches the parser makes them: the rows of each piece of
   * XML parsed (a few dozen), one await per batch rather than per row.
   */
  batches(): AsyncGenerator<SheetRow[]>;
}

/** What exceljs' streaming reader gives that its typings do not declare. */
interface WorkbookReaderInternals {
  model?: { sheets?: { name: string; id: number; rId: string }[] };
}
interface WorksheetReaderInternals {
  name?: string;
  id?: number | string;
  /** The parser behind its async iterator: the events of each piece of XML, rows among them (`{eventType: 'row', value: Row}`). */
  parse?(): AsyncGenerator<{ eventType: string; value: unknown }[]>;
}

const ZIP_SIGNATURE = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

/**
 * Streams an XLSX: yields each worksheet as exceljs' WorkbookReader reaches it (rows are parsed only
 * when iterated; a sheet not iterated is skipped). Shared strings are cached; styles are read so
 * that date cells are dates. A sheet that comes before the shared strings or the workbook's parts
 * in the ZIP (as exceljs and Excel write them) is first inflated by exceljs into a temp file, made
 * in a folder of this read's own (under `options.tempRoot`, default the OS temp folder) that is
 * removed when the read ends, however it ends. A file cut short fails with FILE_ENDED.
 *
 * Cell values: numbers, strings and booleans as they are; dates as ISO strings (`YYYY-MM-DD` at
 * midnight, else `YYYY-MM-DDTHH:mm:ss`); formulas as their cached result; rich text as its plain
 * text; hyperlinks as their text; errors (`#N/A`) as their text; empty cells null. A merged
 * range's value is in its top-left cell, the other cells of the range are empty.
 */
export async function* readXlsxSheets(source: Readable, file: string, options: XlsxReadOptions = {}): AsyncGenerator<SheetHandle> {
  const checked = await checkZipSignature(source, file);
  const excel = await loadExcelJs();
  routeExcelJsTempFiles();
  const dir = await mkdtemp(path.join(options.tempRoot ?? os.tmpdir(), 'vecron-xlsx-')).catch((err: unknown) => {
    checked.destroy();
    throw err;
  });
  const temp: ReadTempFiles = { dir, cleanups: [] };
  const unzip = watchUnzip(checked);
  const reader = new excel.stream.xlsx.WorkbookReader(checked, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    styles: 'cache',
    entries: 'ignore',
  });
  // A sheet read from its temp file is a file stream that exceljs opens and, once the caller moves
  // past the sheet, unlinks: a sheet skipped right away could fail to open (ENOENT, seen under load)
  // with nobody listening, and a sheet not read to its end kept its descriptor. Each is watched
  // (its reader still gets its errors through the iteration) and closed when the caller moves on.
  const sheetStreams: Readable[] = [];
  const closeSheetStreams = (): void => {
    for (const stream of sheetStreams.splice(0)) stream.destroy();
  };
  decodeUtf8AcrossChunks(reader, (stream) => {
    stream.on('error', () => undefined);
    sheetStreams.push(stream);
  });
  const cutShort = (): FileFormatError | undefined => (unzip.failed === undefined ? undefined : unreadable(file, unzip.failed));
  // exceljs' temp files (a sheet that comes before the shared strings in the ZIP) are made while
  // the workbook iterator runs: each step of it runs with this read's temp folder.
  const sheets = (reader as unknown as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  let position = 0;
  try {
    for (;;) {
      let next: IteratorResult<unknown>;
      closeSheetStreams();
      try {
        next = await readTempFiles.run(temp, () => sheets.next());
      } catch (err) {
        if (err instanceof FileFormatError) throw err;
        throw unreadable(file, unzip.failed ?? (err as Error), err);
      }
      const failed = cutShort();
      if (failed !== undefined) throw failed;
      if (next.done === true) return;
      const ws = next.value as WorksheetReaderInternals;
      const model = (reader as unknown as WorkbookReaderInternals).model?.sheets ?? [];
      const index = ws.name !== undefined ? model.findIndex((m) => m.name === ws.name) : -1;
      const name = ws.name ?? `Sheet${ws.id ?? position + 1}`;
      const handle: SheetHandle = {
        name,
        index: index >= 0 ? index : position,
        batches: () => sheetRowBatches(ws, cutShort),
      };
      position++;
      yield handle;
    }
  } finally {
    checked.destroy();
    closeSheetStreams();
    // exceljs removes a temp file only once its sheet is read to the end, and never when the read
    // stops early (one sheet of several, an error, an abort): all of this read's go here.
    for (const cleanup of temp.cleanups) cleanup();
    await rm(temp.dir, { recursive: true, force: true });
  }
}

/** Options of `readXlsxSheets`. */
export interface XlsxReadOptions {
  /** Folder in which the read's temp folder is made (default: the OS temp folder). */
  tempRoot?: string;
}

function unreadable(file: string, err: Error, cause: unknown = err): FileFormatError {
  const reason = err.message === 'FILE_ENDED' ? ': the file is cut short, it ends inside its ZIP archive (FILE_ENDED)' : ` (${err.message})`;
  return new FileFormatError({ file }, `not a readable XLSX file${reason}`, { cause });
}

/** The temp files exceljs made during one read, and the folder they are in. */
interface ReadTempFiles {
  dir: string;
  cleanups: (() => void)[];
}
const readTempFiles = new AsyncLocalStorage<ReadTempFiles>();
type TmpFileCallback = (err: Error | null, name: string, fd: number, cleanup: () => void) => void;
interface TmpModule {
  file(...args: unknown[]): unknown;
}
let tempFilesRouted = false;

/**
 * exceljs' WorkbookReader copies a sheet that comes before the shared strings in the ZIP (exceljs
 * writes files that way, so does Excel) into a temp file made by the `tmp` package, and removes it
 * only when that sheet has been read to its end: a read that stops early left the inflated sheet
 * in the OS temp folder until the process exits (hundreds of MB for a large XLSX; a killed or
 * terminated process never removed them). Its `tmp.file` now makes them in the temp folder of the
 * read that runs (AsyncLocalStorage) and tells that read how to remove them.
 */
function routeExcelJsTempFiles(): void {
  if (tempFilesRouted) return;
  tempFilesRouted = true;
  const tmp = createRequire(require.resolve('exceljs'))('tmp') as TmpModule;
  const original = tmp.file.bind(tmp);
  tmp.file = (...args: unknown[]): unknown => {
    const read = readTempFiles.getStore();
    const callback = args[args.length - 1];
    if (read === undefined || typeof callback !== 'function') return original(...args);
    const given = args.length > 1 && typeof args[0] === 'object' && args[0] !== null ? (args[0] as Record<string, unknown>) : {};
    return original({ ...given, tmpdir: read.dir }, ((err, name, fd, cleanup) => {
      if (err === null || err === undefined) read.cleanups.push(cleanup);
      (callback as TmpFileCallback)(err, name, fd, cleanup);
    }) as TmpFileCallback);
  };
}

/**
 * exceljs pipes the file into unzipper's parser. When the file ends before the ZIP does (a file cut
 * short), the parser fails with FILE_ENDED, but exceljs waits for the end of the entry it is
 * reading, which never comes: the read hung (found with a 5 MB head of a 24 MB XLSX). The failure
 * is kept and that entry ended, so that exceljs moves on; the read then throws it.
 */
function watchUnzip(source: Readable): { failed?: Error } {
  const state: { failed?: Error } = {};
  const pipe = source.pipe.bind(source);
  source.pipe = <T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T => {
    let entry: Writable | undefined;
    const parser = destination as unknown as EventEmitter & { push(chunk: unknown): boolean };
    // The parser hands each entry to exceljs by pushing it to its readable side (no 'entry' event
    // with forceStream): the last one pushed is the one being read.
    const push = parser.push.bind(parser);
    parser.push = (chunk: unknown): boolean => {
      if (chunk !== null && chunk !== undefined) entry = chunk as Writable;
      return push(chunk);
    };
    parser.on('error', (err: Error) => {
      state.failed ??= err;
      entry?.end();
    });
    return pipe(destination, options);
  };
  return state;
}

/**
 * The rows of a sheet, a batch per piece of XML parsed. exceljs' own async iterator yields them one
 * by one from the same `parse()`: three async generators deep per row with the caller's, which
 * cost the XLSX thread ~8 % of its time in promise jobs.
 */
async function* sheetRowBatches(ws: WorksheetReaderInternals, cutShort: () => FileFormatError | undefined): AsyncGenerator<SheetRow[]> {
  if (typeof ws.parse !== 'function') throw new Error('exceljs WorksheetReader has no parse(): the XLSX reader needs updating');
  for await (const events of ws.parse()) {
    const batch: SheetRow[] = [];
    for (const event of events) if (event.eventType === 'row') batch.push(sheetRow(event.value as ExcelJS.Row));
    if (batch.length > 0) yield batch;
  }
  // A sheet whose entry was cut short ends early: its rows are not all there.
  const failed = cutShort();
  if (failed !== undefined) throw failed;
}

function sheetRow(row: ExcelJS.Row): SheetRow {
  const values: unknown[] = [];
  row.eachCell({ includeEmpty: false }, (cell, col) => {
    values[col - 1] = cellValue(cell);
  });
  for (let i = 0; i < values.length; i++) if (values[i] === undefined) values[i] = null;
  return { values, line: row.number };
}

function cellValue(cell: ExcelJS.Cell): unknown {
  const value = plainValue(cell.value, cell.numFmt);
  return typeof value === 'string' ? detached(value) : value;
}

/** V8 makes a substring of 13 characters or more a view of its parent (a "sliced string"). */
const MIN_SLICED_LENGTH = 13;

/**
 * A copy of `text` that does not keep the parser's input alive. exceljs takes a cell's text out of
 * the piece of XML it is parsing (up to 16 KiB, a string of up to ~32 KiB), and V8 keeps a long
 * substring as a view of that piece: a row kept (a batch waiting, rows held inline in a step's
 * output) would keep whole pieces alive. With 1,000-row thread messages a heap snapshot of a
 * running step held ~960 such pieces (64 KiB then); with today's 100-row messages the copy no
 * longer changes the thread's GC, but rows read in the calling thread may be kept (inline `data`).
 * `slice` flattens `' ' + text` into a string of its own first, so the result refers to that
 * small string only.
 */
function detached(text: string): string {
  return text.length < MIN_SLICED_LENGTH ? text : (' ' + text).slice(1);
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
function decodeUtf8AcrossChunks(reader: ExcelJS.stream.xlsx.WorkbookReader, onSheetStream: (stream: Readable) => void): void {
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
    parts[name] = (iterator, sheetNo) => {
      if (iterator instanceof Readable) onSheetStream(iterator);
      return original.call(reader, utf8Chunks(iterator), sheetNo);
    };
  }
}

/**
 * Bytes of XML handed to exceljs' parser at a time. exceljs parses a whole chunk into sax events,
 * then builds its rows, all alive until the chunk is done: a sheet read from its temp file comes in
 * 64 KiB chunks (the file stream's), and that live set (~1–2 MB) survived the young-generation
 * collections and was promoted. In 16 KiB pieces (the size zlib hands over when a sheet is parsed
 * straight from the ZIP), the same 24 MB XLSX promoted 145–156 MB instead of 858–903 MB in the
 * reader thread, ran 26–28 full collections instead of 131, and used ~30 % less CPU.
 */
const XML_PIECE_BYTES = 16 * 1024;

/** The chunks as strings of at most XML_PIECE_BYTES bytes, a UTF-8 character split between two pieces kept whole. */
async function* utf8Chunks(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  for await (const chunk of chunks) {
    if (typeof chunk === 'string') {
      if (chunk !== '') yield chunk;
      continue;
    }
    for (let at = 0; at < chunk.length; at += XML_PIECE_BYTES) {
      const text = decoder.write(chunk.subarray(at, at + XML_PIECE_BYTES));
      if (text !== '') yield text;
    }
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
