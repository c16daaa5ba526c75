/**
 * Entry of the CSV parse thread (`worker_threads`), started by `openCsvInWorker`
 * (csv-worker.reader.ts): the file's bytes come in as transferred ArrayBuffers, `openCsv`
 * (decoding, delimiter detection, csv-parse) runs here, and the records go back in batches. The
 * protocol is in csv-worker.reader.ts.
 */
import { Readable } from 'stream';
import { parentPort, workerData } from 'worker_threads';
import { openCsv } from './csv.reader';
import type { CsvWorkerData, FromCsvWorker, ToCsvWorker } from './csv-worker.reader';
import { FileFormatError } from './file-processing.errors';

const port = parentPort;
if (port === null) throw new Error('csv.worker must run in a worker thread');
const data = workerData as CsvWorkerData;
const post = (message: FromCsvWorker): void => port.postMessage(message);

/** Input chunks received and not yet read by the parser; null marks the end of the file. */
const input: (Uint8Array | null)[] = [];
let inputWaiter: (() => void) | undefined;
/** Batches posted that the reading side has not taken yet. */
let batchesAhead = 0;
let ackWaiter: (() => void) | undefined;

port.on('message', (message: ToCsvWorker) => {
  if (message.type === 'chunk' || message.type === 'end') {
    input.push(message.type === 'chunk' ? message.chunk : null);
    inputWaiter?.();
    inputWaiter = undefined;
  } else {
    batchesAhead--;
    ackWaiter?.();
    ackWaiter = undefined;
  }
});

async function* chunks(): AsyncGenerator<Buffer> {
  for (;;) {
    while (input.length === 0) await new Promise<void>((resolve) => (inputWaiter = resolve));
    const chunk = input.shift() as Uint8Array | null;
    if (chunk === null) return;
    // Credit for the next chunk: the reading side keeps a few chunks ahead of the parser.
    post({ type: 'taken' });
    yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
}

async function main(): Promise<void> {
  try {
    const csv = await openCsv(Readable.from(chunks(), { objectMode: false }), data.options);
    post({ type: 'open', delimiter: csv.delimiter, encoding: csv.encoding });
    for await (const batch of csv.batches) {
      post({ type: 'batch', values: batch.values, lines: batch.lines });
      batchesAhead++;
      while (batchesAhead >= data.batchesAhead) await new Promise<void>((resolve) => (ackWaiter = resolve));
    }
    post({ type: 'done' });
  } catch (err) {
    if (err instanceof FileFormatError) {
      post({ type: 'failed', error: { format: true, location: err.location, reason: err.reason, message: err.message, cause: causeMessage(err.cause) } });
    } else {
      post({ type: 'failed', error: { format: false, name: (err as Error).name ?? 'Error', message: (err as Error).message ?? String(err) } });
    }
  }
  // The reading side terminates this thread once it has the last message.
}

function causeMessage(cause: unknown): string | undefined {
  return cause instanceof Error ? cause.message : undefined;
}

void main();
