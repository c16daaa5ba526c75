import { PassThrough, Readable } from 'stream';
import { executionFileKey, type ObjectStorage } from '@vecron/storage';
import { UnrecoverableStepError } from '../errors';

/**
 * Rows passed between steps (database results, file contents). Small results travel inline in
 * the step output, and so in the Job Context; large ones are written to object storage as NDJSON
 * (one JSON object per line) and the output carries only a reference, the way Kestra's FetchOutput
 * carries a URI: `{data_ref, row_count, columns, preview}`.
 *
 * - RowCollector: a producer adds rows one at a time; it keeps them in memory until a limit, then
 *   streams everything to one NDJSON object.
 * - readRows: a consumer reads inline rows or a reference the same way, as an async iterable.
 */

export type Row = Record<string, unknown>;

export interface RowLimits {
  /** Most rows kept inline. Default 10,000. */
  maxRows: number;
  /** Most bytes (UTF-8 JSON) kept inline. Default 10 MB. */
  maxBytes: number;
}

export const DEFAULT_ROW_LIMITS: RowLimits = { maxRows: 10_000, maxBytes: 10 * 1024 * 1024 };

/** Rows shown in the output next to a reference. */
export const ROW_PREVIEW_SIZE = 20;

export const NDJSON_MIME_TYPE = 'application/x-ndjson';

/** NDJSON text gathered before one write to the upload stream (a write per line costs more than the JSON). */
const FLUSH_CHARS = 64 * 1024;
/** Rows in a batch of readRowBatches. */
export const ROW_BATCH_SIZE = 1000;

/** What a RowCollector produced: the rows themselves, or a reference to where they were written. */
export type CollectedRows =
  | { inline: true; rows: Row[]; row_count: number; columns: string[] }
  | { inline: false; ref: string; row_count: number; columns: string[]; preview: Row[]; size: number };

export interface RowCollectorOptions {
  storage: ObjectStorage;
  /** Full object key of the NDJSON file, used only when the rows do not fit inline. */
  key: string;
  limits?: Partial<RowLimits>;
}

/**
 * Collects rows; past the inline limits, streams them (those already held, then each new one)
 * into one NDJSON object. `add` waits when the upload is behind, so memory stays flat.
 * Call `finish` on success, `abort` on failure (removes a partial object).
 */
export class RowCollector {
  private readonly limits: RowLimits;
  private readonly held: Row[] = [];
  private heldBytes = 0;
  private count = 0;
  private readonly columnSet = new Set<string>();
  private stream: PassThrough | null = null;
  private upload: Promise<void> | null = null;
  private uploadError: unknown = null;
  private bytesWritten = 0;
  private readonly preview: Row[] = [];
  /** NDJSON lines not yet written to the stream (written in chunks of about FLUSH_CHARS). */
  private pending = '';

  constructor(private readonly options: RowCollectorOptions) {
    this.limits = { ...DEFAULT_ROW_LIMITS, ...options.limits };
  }

  get rowCount(): number {
    return this.count;
  }

  /** Column names in the order first seen. */
  get columns(): string[] {
    return [...this.columnSet];
  }

  async add(row: Row): Promise<void> {
    if (this.uploadError) throw this.uploadError;
    this.count++;
    for (const key in row) this.columnSet.add(key);
    if (this.preview.length < ROW_PREVIEW_SIZE) this.preview.push(row);
    if (this.stream === null) {
      this.held.push(row);
      this.heldBytes += Buffer.byteLength(JSON.stringify(row)) + 1;
      if (this.held.length <= this.limits.maxRows && this.heldBytes <= this.limits.maxBytes) return;
      this.startUpload();
      for (const held of this.held.splice(0)) this.pending += JSON.stringify(held) + '\n';
      this.heldBytes = 0;
    } else {
      this.pending += JSON.stringify(row) + '\n';
    }
    if (this.pending.length >= FLUSH_CHARS) await this.flush();
  }

  /**
   * Adds a batch of rows (same as `add` on each, one await for the lot). `columns`: the keys all
   * these rows have (a file's header), which spares looking at each row's keys.
   */
  async addRows(rows: readonly Row[], columns?: readonly string[]): Promise<void> {
    if (this.stream === null || columns === undefined) {
      for (const row of rows) await this.add(row);
      return;
    }
    if (this.uploadError) throw this.uploadError;
    for (const c of columns) this.columnSet.add(c);
    let i = 0;
    for (; i < rows.length && this.preview.length < ROW_PREVIEW_SIZE; i++) this.preview.push(rows[i]!);
    this.count += rows.length;
    let text = this.pending;
    for (const row of rows) text += JSON.stringify(row) + '\n';
    this.pending = text;
    if (this.pending.length >= FLUSH_CHARS) await this.flush();
  }

  async finish(): Promise<CollectedRows> {
    if (this.stream === null) {
      return { inline: true, rows: this.held, row_count: this.count, columns: this.columns };
    }
    await this.flush();
    this.stream.end();
    await this.upload;
    if (this.uploadError) throw this.uploadError;
    return {
      inline: false,
      ref: this.options.key,
      row_count: this.count,
      columns: this.columns,
      preview: this.preview,
      size: this.bytesWritten,
    };
  }

  /** Stops a started upload and removes what was written. */
  async abort(): Promise<void> {
    if (this.stream === null) return;
    this.stream.destroy(new Error('aborted'));
    await this.upload?.catch(() => undefined);
    await this.options.storage.delete(this.options.key).catch(() => undefined);
  }

  private startUpload(): void {
    this.stream = new PassThrough({ highWaterMark: 1024 * 1024 });
    this.upload = this.options.storage
      .putStream(this.options.key, this.stream, { contentType: NDJSON_MIME_TYPE })
      .catch((err: unknown) => {
        this.uploadError = err;
      });
  }

  /** Writes the pending lines as one chunk; waits while the upload is behind. */
  private async flush(): Promise<void> {
    if (this.pending === '') return;
    const stream = this.stream as PassThrough;
    const chunk = Buffer.from(this.pending, 'utf8');
    this.pending = '';
    this.bytesWritten += chunk.length;
    if (stream.write(chunk)) return;
    await new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        stream.off('error', onError);
        resolve();
      };
      const onError = (err: Error): void => {
        stream.off('drain', onDrain);
        reject(err);
      };
      stream.once('drain', onDrain);
      stream.once('error', onError);
      // The upload may fail while we wait for a drain that never comes.
      void this.upload?.then(() => {
        if (this.uploadError) onError(this.uploadError as Error);
      });
    });
  }
}

/** A reference to rows in object storage, as step outputs carry it (`data_ref` or `rows_ref`). */
export interface RowRef {
  data_ref?: string;
  rows_ref?: string;
}

/** The key a value refers to, when it is a `{data_ref}` / `{rows_ref}` object; otherwise undefined. */
export function rowRefKey(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const ref = (value as RowRef).data_ref ?? (value as RowRef).rows_ref;
  return typeof ref === 'string' ? ref : undefined;
}

/**
 * The rows of a step output, whatever their size: a file read's output (`{data: [...]}` inline,
 * `{data_ref}` past the inline limits) or a database result (`{rows: [...]}` / `{rows_ref}`),
 * so that `{{steps.x.output}}` keeps working when a file or a result grows past the limits.
 * A reference wins over inline rows; anything else is returned as it is.
 */
export function unwrapRowSource(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || rowRefKey(value) !== undefined) return value;
  const { data, rows } = value as { data?: unknown; rows?: unknown };
  if (Array.isArray(data)) return data;
  if (Array.isArray(rows)) return rows;
  return value;
}

/**
 * Whether `value` is something readRows accepts: an array of rows, a row reference
 * (`{data_ref}` / `{rows_ref}`), or a step output holding either (`{data: [...]}`, `{rows: [...]}`).
 */
export function isRowSource(value: unknown): boolean {
  const source = unwrapRowSource(value);
  return Array.isArray(source) || rowRefKey(source) !== undefined;
}

export interface ReadRowsOptions {
  storage: ObjectStorage;
  jobId: string;
  executionId: string;
}

/**
 * Rows from inline data (an array of objects), a reference (`{data_ref}` or `{rows_ref}`,
 * a key inside this job's folder, streamed line by line), or a step output holding either
 * (`{data: [...]}` of a file read, `{rows: [...]}` of a database step; see unwrapRowSource). Anything else fails the step, not
 * retryable. An array item that is not an object is reported with its index.
 */
export async function* readRows(source: unknown, options: ReadRowsOptions): AsyncGenerator<Row> {
  for await (const batch of readRowBatches(source, options)) yield* batch;
}

/**
 * readRows in batches of up to ROW_BATCH_SIZE rows (one await per batch rather than per row;
 * the NDJSON is split on line feeds chunk by chunk, memory stays flat).
 */
export async function* readRowBatches(value: unknown, options: ReadRowsOptions): AsyncGenerator<Row[]> {
  const source = unwrapRowSource(value);
  if (Array.isArray(source)) {
    for (let start = 0; start < source.length; start += ROW_BATCH_SIZE) {
      const end = Math.min(source.length, start + ROW_BATCH_SIZE);
      const batch = new Array<Row>(end - start);
      for (let i = start; i < end; i++) batch[i - start] = asRow(source[i], i + 1, 'data');
      yield batch;
    }
    return;
  }
  const ref = rowRefKey(source);
  if (ref === undefined) {
    throw new UnrecoverableStepError('rows must be an array of objects, a {data_ref}/{rows_ref} or a step output holding rows ({data} or {rows})', 'ROWS_INVALID');
  }
  let key: string;
  try {
    key = executionFileKey(options.jobId, options.executionId, ref);
  } catch (err) {
    throw new UnrecoverableStepError(`data_ref ${JSON.stringify(ref)}: ${(err as Error).message}`, 'ROWS_INVALID');
  }
  const stream: Readable = await options.storage.getStream(key);
  let n = 0;
  let batch: Row[] = [];
  const parseLine = (line: string): void => {
    n++;
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new UnrecoverableStepError(`${key} line ${n}: not valid JSON`, 'ROWS_INVALID');
    }
    batch.push(asRow(value, n, key));
  };
  // Bytes after the last line feed seen (a line split across chunks, maybe inside a character).
  let rest: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      const last = bytes.lastIndexOf(0x0a);
      if (last < 0) {
        rest = rest.length === 0 ? bytes : Buffer.concat([rest, bytes]);
        continue;
      }
      const head = rest.length === 0 ? bytes.subarray(0, last) : Buffer.concat([rest, bytes.subarray(0, last)]);
      rest = bytes.subarray(last + 1);
      for (const line of head.toString('utf8').split('\n')) {
        parseLine(line);
        if (batch.length >= ROW_BATCH_SIZE) {
          yield batch;
          batch = [];
        }
      }
    }
    if (rest.length > 0) parseLine(rest.toString('utf8'));
    if (batch.length > 0) yield batch;
  } finally {
    stream.destroy();
  }
}

function asRow(value: unknown, n: number, where: string): Row {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UnrecoverableStepError(`${where} row ${n}: must be an object`, 'ROWS_INVALID');
  }
  return value as Row;
}
