import { mkdtempSync } from 'fs';
import { rm } from 'fs/promises';
import os from 'os';
import path from 'path';
import { Readable } from 'stream';
import type { Worker } from 'worker_threads';
import { parseThreadFactory, readSourceHead, startParseThread, type ParseThreadData } from './parse-thread.channel';
import { readXlsxSheets, type SheetHandle, type SheetRow } from './xlsx.reader';

/**
 * Reading an XLSX in a worker thread (the machinery is in parse-thread.channel.ts, shared with
 * the CSV thread): the thread runs `readXlsxSheets` — exceljs' WorkbookReader, inflate, sax, cell
 * values — posts each sheet it reaches, and the rows of the selected sheet(s) in batches. The
 * calling thread transforms, writes (the XLSX writer's deflate) and uploads meanwhile. Same
 * sheets, rows, row numbers and errors as `readXlsxSheets`, for a caller that reads the rows of
 * the selected sheets only (and stops after the one wanted unless `select.all`).
 */

/** Which sheets' rows are read: all, the one named, or the one at an index (0 = first). */
export type XlsxSheetSelection = { all: true } | { all: false; name?: string; index: number };

/** The reader's options in the thread. */
export interface XlsxWorkerOptionsData {
  file: string;
  select: XlsxSheetSelection;
  /** Folder for exceljs' temp files, made and removed by the calling side (a terminated thread removes nothing). */
  tempRoot: string;
}
/** What the XLSX thread is started with (`workerData`). */
export type XlsxWorkerData = ParseThreadData<XlsxWorkerOptionsData>;

/** The XLSX thread's messages: a sheet reached, a batch of its rows, its end. */
export type XlsxThreadMessage = { type: 'sheet'; name: string; index: number; selected: boolean } | { type: 'rows'; rows: SheetRow[] } | { type: 'sheet-end' };

/**
 * Rows per message (at least; the reader's batches are added whole). A row waiting for its message
 * is ~30 live objects (its cells and exceljs' Row behind them) in the thread's young generation:
 * 1,000 of them survived its collections and were promoted, 4.5–5.1 s of the thread's 19–25 s in
 * GC (400,000 rows of 28 columns, 92 MB); with 100, 1.4–2.0 s, and the step's peak RSS (no heap
 * cap) fell from 341–371 MB to 244–267 MB. bench/README.md has the runs.
 */
export const XLSX_THREAD_BATCH = 100;
/** Messages posted ahead of the caller: 3,200 rows, room for the caller's pauses (GC, upload backpressure). */
const XLSX_THREAD_MESSAGES_AHEAD = 32;

export interface XlsxWorkerOptions {
  /** Read XLSX files in a worker thread (default true; false: always in the calling thread). */
  enabled?: boolean;
  /** Files up to this many bytes are read in the calling thread. Default 1 MiB (`PARSE_THREAD_MIN_BYTES`). */
  minBytes?: number;
  /** Starts the thread (default: `xlsx.worker.js` beside this module, absent when running from the TypeScript sources). Tests give a loader of the TypeScript entry. */
  createWorker?: (workerData: XlsxWorkerData) => Worker;
}

const DEFAULT_SCRIPT = path.join(__dirname, 'xlsx.worker.js');

/** The thread starter to use, or undefined when XLSX files are read in the calling thread. */
export function xlsxWorkerFactory(options: XlsxWorkerOptions = {}): ((workerData: XlsxWorkerData) => Worker) | undefined {
  return parseThreadFactory<XlsxWorkerOptionsData>(DEFAULT_SCRIPT, options);
}

/**
 * `readXlsxSheets`, with the reading in a worker thread started by `createWorker` — unless the
 * file is smaller than `minBytes` (then in this thread). `batches()` of a sheet not selected throws.
 */
export async function* readXlsxSheetsInWorker(
  source: Readable,
  file: string,
  select: XlsxSheetSelection,
  createWorker: (workerData: XlsxWorkerData) => Worker,
  minBytes: number,
  signal?: AbortSignal,
): AsyncGenerator<SheetHandle> {
  const { iterator, head, ended } = await readSourceHead(source, minBytes);
  if (ended || signal?.aborted) {
    yield* readXlsxSheets(Readable.from(head, { objectMode: false }), file);
    return;
  }
  let tempRoot: string;
  try {
    // Synchronous: no await between reading the head and the thread taking the source over (an
    // error of the download in between would have no listener).
    tempRoot = mkdtempSync(path.join(os.tmpdir(), 'vecron-xlsx-thread-'));
  } catch (err) {
    source.destroy();
    throw err;
  }
  const thread = startParseThread<XlsxWorkerOptionsData, XlsxThreadMessage>(source, iterator, head, { data: { file, select, tempRoot }, signal, label: 'the XLSX reader thread', messagesAhead: XLSX_THREAD_MESSAGES_AHEAD }, createWorker);
  const unexpected = (message: XlsxThreadMessage | undefined): Error => new Error(`unexpected message from the XLSX reader thread: ${message?.type ?? 'done'}`);
  try {
    for (;;) {
      const message = await thread.next();
      if (message === undefined) return;
      if (message.type !== 'sheet') throw unexpected(message);
      const { selected } = message;
      let rowsDone = !selected;
      let rowsStarted = false;
      async function* batches(): AsyncGenerator<SheetRow[]> {
        if (!selected || rowsStarted) throw new Error('the XLSX reader thread reads the rows of the selected sheets only, once');
        rowsStarted = true;
        for (;;) {
          const next = await thread.next();
          if (next?.type === 'sheet-end') {
            rowsDone = true;
            return;
          }
          if (next?.type !== 'rows') throw unexpected(next);
          yield next.rows;
        }
      }
      yield { name: message.name, index: message.index, batches };
      // A selected sheet whose rows were not all read: the rest of the workbook is not wanted.
      if (!rowsDone) return;
    }
  } finally {
    await thread.stop();
    await rm(tempRoot, { recursive: true, force: true });
  }
}
