import { PassThrough, Transform } from 'stream';
import type { ObjectStorage } from '@vecron/storage';
import type { FileFormat, LineEnding } from './file-processing.config';
import { createCsvWriter } from './csv.writer';
import type { FileWriter, RowValues } from './file-writer';
import { createXlsxWriter } from './xlsx.writer';

export const CSV_MIME_TYPE = 'text/csv';
export const XLSX_MIME_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** How a file is written: the format and its options (the columns are given when the file is opened). */
export interface OutputFileOptions {
  format: FileFormat;
  header: boolean;
  /** CSV */
  delimiter: string;
  lineEnding: LineEnding;
  bom: boolean;
  /** Excel */
  sheetName: string;
  columnFormats: Record<string, string>;
}

/** A file being streamed into object storage: rows in, then `finish` (its size) or `abort` (nothing left). */
export interface OutputFile {
  readonly key: string;
  readonly mimeType: string;
  readonly columns: readonly string[];
  writeRows(rows: readonly RowValues[]): Promise<void>;
  /** Ends the file and waits for the upload; resolves to the size in bytes. */
  finish(): Promise<number>;
  /** Stops the upload and removes whatever was stored. Never throws. */
  abort(err?: unknown): Promise<void>;
}

/**
 * Opens `key` for writing: rows → CSV (csv-stringify) or XLSX (exceljs) → a streamed upload
 * (`storage.putStream`, multipart beyond one part). Memory is bounded by the stream marks and
 * the storage's part buffers whatever the file size.
 */
export function openOutputFile(storage: ObjectStorage, key: string, columns: readonly string[], options: OutputFileOptions): OutputFile {
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      callback(null, chunk);
    },
  });
  const body = new PassThrough({ highWaterMark: 1024 * 1024 });
  counter.pipe(body);
  const mimeType = options.format === 'csv' ? CSV_MIME_TYPE : XLSX_MIME_TYPE;
  const upload = storage.putStream(key, body, { contentType: mimeType });
  upload.catch((err: unknown) => counter.destroy(err instanceof Error ? err : new Error(String(err))));
  const writer: FileWriter =
    options.format === 'csv'
      ? createCsvWriter(counter, { delimiter: options.delimiter, header: options.header, columns: [...columns], lineEnding: options.lineEnding, bom: options.bom })
      : createXlsxWriter(counter, { sheetName: options.sheetName, header: options.header, columns: [...columns], columnFormats: options.columnFormats });
  return {
    key,
    mimeType,
    columns,
    writeRows: (rows) => writer.writeRows(rows),
    async finish() {
      await writer.end();
      await upload;
      return size;
    },
    async abort(err?: unknown) {
      counter.destroy();
      body.destroy(err instanceof Error ? err : new Error(err === undefined ? 'aborted' : String(err)));
      await upload.catch(() => undefined);
      await storage.delete(key).catch(() => undefined);
    },
  };
}
