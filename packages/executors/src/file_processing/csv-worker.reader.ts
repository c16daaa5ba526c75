import { existsSync } from 'fs';
import path from 'path';
import { Readable } from 'stream';
import { Worker } from 'worker_threads';
import { openCsv, type CsvReadOptions, type CsvSource, type RecordBatch } from './csv.reader';
import { FileFormatError, type FileLocation } from './file-processing.errors';
import { readHead } from './text-decoder';

/**
 * Parsing a CSV in a worker thread: the calling thread downloads the file and posts its bytes
 * (copied into fresh ArrayBuffers, transferred: no second copy) to a thread that runs `openCsv`
 * — decoding, delimiter detection, csv-parse — and posts the records back in batches of plain
 * string arrays. The caller transforms, writes and uploads meanwhile, so a read uses both cores
 * of a two-core box instead of one. Same records, line numbers and errors as `openCsv`.
 *
 * Protocol (one worker per file, terminated by the reading side at the end or on error):
 * - to the worker: `chunk` (the next bytes, transferred), `end`, `ack` (a batch was taken);
 * - from the worker: `taken` (a chunk went into the parser: credit for the next), `open`
 *   (delimiter and encoding known), `batch`, `done`, `failed`.
 * At most `CHUNKS_AHEAD` chunks wait in the worker and `BATCHES_AHEAD` batches in the reader:
 * memory stays flat whatever the file size.
 */

/** What the worker is started with (`workerData`). */
export interface CsvWorkerData {
  options: Omit<CsvReadOptions, 'signal'>;
  /** Batches the worker may post before the reader takes them. */
  batchesAhead: number;
}

export type ToCsvWorker = { type: 'chunk'; chunk: Uint8Array } | { type: 'end' } | { type: 'ack' };

/** An error of the worker, as posted: a FileFormatError's parts, or any other error's name and message. */
export type CsvWorkerError =
  | { format: true; location: FileLocation; reason: string; message: string; cause?: string }
  | { format: false; name: string; message: string };

export type FromCsvWorker =
  | { type: 'taken' }
  | { type: 'open'; delimiter: string; encoding: string }
  | { type: 'batch'; values: string[][]; lines: number[] }
  | { type: 'done' }
  | { type: 'failed'; error: CsvWorkerError };

export interface CsvWorkerOptions {
  /** Parse CSV files in a worker thread (default true; false: always in the calling thread). */
  enabled?: boolean;
  /**
   * Files up to this many bytes are parsed in the calling thread (starting a thread costs more
   * than it saves on a small file). The reader reads this much first: when the file ends
   * within it, no thread is started. Default 1 MiB.
   */
  minBytes?: number;
  /**
   * Starts the thread (default: `csv.worker.js` beside this module, absent when running from the
   * TypeScript sources: then files are parsed in the calling thread). Tests give a loader of the
   * TypeScript entry.
   */
  createWorker?: (workerData: CsvWorkerData) => Worker;
}

/** Default `minBytes`. */
export const CSV_WORKER_MIN_BYTES = 1024 * 1024;
/** Input chunks posted ahead of the parser. */
const CHUNKS_AHEAD = 16;
/** Record batches the worker posts ahead of the reader (each up to 1,000 records): room to absorb the reader's pauses (GC, upload backpressure) without stopping the parse. */
const BATCHES_AHEAD = 8;

const DEFAULT_SCRIPT = path.join(__dirname, 'csv.worker.js');
let defaultScriptExists: boolean | undefined;

/** The thread starter to use, or undefined when CSV files are parsed in the calling thread. */
export function csvWorkerFactory(options: CsvWorkerOptions = {}): ((workerData: CsvWorkerData) => Worker) | undefined {
  if (options.enabled === false) return undefined;
  if (options.createWorker !== undefined) return options.createWorker;
  defaultScriptExists ??= existsSync(DEFAULT_SCRIPT);
  if (!defaultScriptExists) return undefined;
  // No inherited node options (a `--require` preload, an inspector): the thread only parses. V8's
  // heap flags (--max-old-space-size) are process-wide and apply to it anyway.
  return (workerData) => new Worker(DEFAULT_SCRIPT, { workerData, execArgv: [] });
}

/**
 * `openCsv`, with the parsing in a worker thread started by `createWorker` — unless the file is
 * smaller than `minBytes` (then `openCsv` in this thread).
 */
export async function openCsvInWorker(source: Readable, options: CsvReadOptions, createWorker: (workerData: CsvWorkerData) => Worker, minBytes = CSV_WORKER_MIN_BYTES): Promise<CsvSource> {
  const iterator = (source as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  let head: Buffer[];
  let ended: boolean;
  try {
    ({ chunks: head, ended } = await readHead(iterator, minBytes));
  } catch (err) {
    source.destroy();
    throw err;
  }
  if (ended || options.signal?.aborted) return openCsv(Readable.from(head, { objectMode: false }), options);
  return startWorker(source, iterator, head, options, createWorker);
}

async function startWorker(
  source: Readable,
  iterator: AsyncIterator<Buffer | string>,
  head: Buffer[],
  options: CsvReadOptions,
  createWorker: (workerData: CsvWorkerData) => Worker,
): Promise<CsvSource> {
  const { signal, ...workerOptions } = options;
  const worker = createWorker({ options: workerOptions, batchesAhead: BATCHES_AHEAD });

  // Messages from the worker, and the reader waiting for the next one.
  const inbox: FromCsvWorker[] = [];
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  let chunksAhead = 0;
  let creditWaiter: (() => void) | undefined;
  const credit = (): void => {
    creditWaiter?.();
    creditWaiter = undefined;
  };
  const fail = (error: unknown): void => {
    failure ??= { error };
    notify();
    credit();
  };
  worker.on('message', (message: FromCsvWorker) => {
    if (message.type === 'taken') {
      chunksAhead--;
      credit();
      return;
    }
    inbox.push(message);
    notify();
  });
  worker.on('error', (err) => fail(err));
  worker.on('exit', (code) => fail(new Error(`the CSV parser thread stopped (exit code ${code})`)));
  const onAbort = (): void => fail(new Error('aborted'));
  signal?.addEventListener('abort', onAbort, { once: true });

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    signal?.removeEventListener('abort', onAbort);
    credit();
    // Destroying the download first settles a pending read of the pump (an async iterator's
    // return() waits for it); then the iterator is closed without waiting.
    source.destroy();
    void iterator.return?.(undefined).catch(() => undefined);
    await worker.terminate().catch(() => undefined);
  };

  // Feeds the file to the worker, a few chunks ahead of the parser.
  const send = (chunk: Buffer): void => {
    // A chunk of a network stream may share its ArrayBuffer with others: copy (into a buffer of
    // its own, not from the pool and not zero-filled), then transfer the copy.
    const copy = Buffer.allocUnsafeSlow(chunk.byteLength);
    chunk.copy(copy);
    chunksAhead++;
    worker.postMessage({ type: 'chunk', chunk: copy } satisfies ToCsvWorker, [copy.buffer]);
  };
  const pump = async (): Promise<void> => {
    try {
      for (const chunk of head) send(chunk);
      for (;;) {
        while (chunksAhead >= CHUNKS_AHEAD && !failure && !stopped) await new Promise<void>((resolve) => (creditWaiter = resolve));
        if (failure || stopped) return;
        const next = await iterator.next();
        if (failure || stopped) return;
        if (next.done) break;
        send(typeof next.value === 'string' ? Buffer.from(next.value) : next.value);
      }
      worker.postMessage({ type: 'end' } satisfies ToCsvWorker);
    } catch (err) {
      // The download failed: the reader throws this error as is (as openCsv does).
      fail(err);
    }
  };
  void pump();

  const nextMessage = async (): Promise<FromCsvWorker> => {
    while (inbox.length === 0 && !failure) await new Promise<void>((resolve) => (wake = resolve));
    if (failure) throw failure.error;
    return inbox.shift() as FromCsvWorker;
  };

  let opened: FromCsvWorker;
  try {
    opened = await nextMessage();
    if (opened.type === 'failed') throw workerError(opened.error);
    if (opened.type !== 'open') throw new Error(`the CSV parser thread sent ${opened.type} before open`);
  } catch (err) {
    await stop();
    throw err;
  }

  async function* batches(): AsyncGenerator<RecordBatch<string>> {
    try {
      for (;;) {
        const message = await nextMessage();
        if (message.type === 'batch') {
          // Taken: the worker parses the next batch while this one is transformed and written.
          worker.postMessage({ type: 'ack' } satisfies ToCsvWorker);
          yield { values: message.values, lines: message.lines };
        } else if (message.type === 'done') {
          return;
        } else if (message.type === 'failed') {
          throw workerError(message.error);
        } else {
          throw new Error(`unexpected message from the CSV parser thread: ${message.type}`);
        }
      }
    } finally {
      await stop();
    }
  }
  return { delimiter: opened.delimiter, encoding: opened.encoding, batches: batches() };
}

/** The worker's error as the calling thread throws it (a FileFormatError stays one). */
function workerError(error: CsvWorkerError): Error {
  if (error.format) return new FileFormatError(error.location, error.reason, error.cause !== undefined ? { cause: new Error(error.cause) } : {});
  const err = new Error(error.message);
  err.name = error.name;
  return err;
}
