import type { Writable } from 'stream';

/** A row to write: values in column order. */
export type RowValues = unknown[];

/**
 * Writes rows into a byte stream; `end` finishes the file. Both wait on backpressure. `writeRows`
 * takes a batch (one stringify call and one stream write for the lot): the fast path for files.
 * The CSV writer turns the values of the arrays it is given into their text in place.
 */
export interface FileWriter {
  write(values: RowValues): Promise<void>;
  writeRows(rows: readonly RowValues[]): Promise<void>;
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

/** Writes `chunk`; when the stream is over its mark, resolves once it drained. */
export async function writeChunk(stream: Writable, chunk: Buffer | string): Promise<void> {
  if (stream.destroyed) throw stream.errored ?? new Error('output stream closed');
  if (!stream.write(chunk)) await waitForDrain(stream);
}
