import path from 'path';
import { Readable } from 'stream';
import type { Worker } from 'worker_threads';
import { openCsv, type CsvReadOptions, type CsvSource, type RecordBatch } from './csv.reader';
import { PARSE_THREAD_MIN_BYTES, parseThreadFactory, readSourceHead, startParseThread, type ParseThreadData } from './parse-thread.channel';

/**
 * Parsing a CSV in a worker thread (the machinery is in parse-thread.channel.ts): the thread
 * runs `openCsv` — decoding, delimiter detection, csv-parse — and posts `open` (delimiter and
 * encoding), then the records in batches of plain string arrays. Same records, line numbers and
 * errors as `openCsv`.
 */

/** The parser's options in the thread. */
export type CsvWorkerOptionsData = Omit<CsvReadOptions, 'signal'>;
/** What the CSV thread is started with (`workerData`). */
export type CsvWorkerData = ParseThreadData<CsvWorkerOptionsData>;

/** The CSV thread's messages. */
export type CsvThreadMessage = { type: 'open'; delimiter: string; encoding: string } | { type: 'batch'; values: string[][]; lines: number[] };

export interface CsvWorkerOptions {
  /** Parse CSV files in a worker thread (default true; false: always in the calling thread). */
  enabled?: boolean;
  /**
   * Files up to this many bytes are parsed in the calling thread (starting a thread costs more
   * than it saves on a small file). The reader reads this much first: when the file ends
   * within it, no thread is started. Default 1 MiB (`PARSE_THREAD_MIN_BYTES`).
   */
  minBytes?: number;
  /**
   * Starts the thread (default: `csv.worker.js` beside this module, absent when running from the
   * TypeScript sources: then files are parsed in the calling thread). Tests give a loader of the
   * TypeScript entry.
   */
  createWorker?: (workerData: CsvWorkerData) => Worker;
}

const DEFAULT_SCRIPT = path.join(__dirname, 'csv.worker.js');

/** The thread starter to use, or undefined when CSV files are parsed in the calling thread. */
export function csvWorkerFactory(options: CsvWorkerOptions = {}): ((workerData: CsvWorkerData) => Worker) | undefined {
  return parseThreadFactory<CsvWorkerOptionsData>(DEFAULT_SCRIPT, options);
}

/**
 * `openCsv`, with the parsing in a worker thread started by `createWorker` — unless the file is
 * smaller than `minBytes` (then `openCsv` in this thread).
 */
export async function openCsvInWorker(source: Readable, options: CsvReadOptions, createWorker: (workerData: CsvWorkerData) => Worker, minBytes = PARSE_THREAD_MIN_BYTES): Promise<CsvSource> {
  const { iterator, head, ended } = await readSourceHead(source, minBytes);
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
  const { signal, ...data } = options;
  const thread = startParseThread<CsvWorkerOptionsData, CsvThreadMessage>(source, iterator, head, { data, signal, label: 'the CSV parser thread' }, createWorker);

  let opened: CsvThreadMessage | undefined;
  try {
    opened = await thread.next();
    if (opened?.type !== 'open') throw new Error(`the CSV parser thread sent ${opened?.type ?? 'done'} before open`);
  } catch (err) {
    await thread.stop();
    throw err;
  }

  async function* batches(): AsyncGenerator<RecordBatch<string>> {
    try {
      for (;;) {
        const message = await thread.next();
        if (message === undefined) return;
        if (message.type !== 'batch') throw new Error(`unexpected message from the CSV parser thread: ${message.type}`);
        yield { values: message.values, lines: message.lines };
      }
    } finally {
      await thread.stop();
    }
  }
  return { delimiter: opened.delimiter, encoding: opened.encoding, batches: batches() };
}
