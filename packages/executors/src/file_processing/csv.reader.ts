import { Readable } from 'stream';
import { Parser, type CsvError, type Options as CsvParseOptions } from 'csv-parse';
import type { FileEncoding } from './file-processing.config';
import { FileFormatError } from './file-processing.errors';
import { decodeToUtf8, detectDelimiter } from './text-decoder';

/** Largest CSV record accepted (guards memory against an unterminated quote in a big file). */
export const MAX_CSV_RECORD_BYTES = 16 * 1024 * 1024;

export interface CsvReadOptions {
  /** Shown in errors (the object key). */
  file: string;
  /** A delimiter, or `auto`. */
  delimiter: string;
  quote: string;
  escape: string;
  encoding: FileEncoding;
  skipEmptyLines: boolean;
  trim: boolean;
  signal?: AbortSignal;
}

/** Records in a batch: their fields, and the line of the file where each ends (same index). */
export interface RecordBatch<V = unknown> {
  values: V[][];
  lines: number[];
}

export interface CsvSource {
  /** The delimiter used (detected when `auto`). */
  delimiter: string;
  encoding: string;
  /** The records in batches (what the parser has ready, up to RECORD_BATCH_SIZE). */
  batches: AsyncGenerator<RecordBatch<string>>;
}

/** Most records in one batch. */
const RECORD_BATCH_SIZE = 1000;

const REASONS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'unterminated quote: a quoted field is still open at the end of the file',
  CSV_INVALID_CLOSING_QUOTE: 'invalid closing quote: a quoted field is followed by something other than a delimiter or a line end',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'invalid closing quote: characters after a quoted field',
  CSV_MAX_RECORD_SIZE: `a record is larger than ${MAX_CSV_RECORD_BYTES / 1024 / 1024} MiB (an unterminated quote?)`,
};

/**
 * Streams the records of a CSV (csv-parse, with backpressure), in batches: each batch is what the
 * parser has ready (read synchronously from its buffer), so that the consumer awaits once per
 * batch rather than once per record. Quote and
 * structure errors become FileFormatError naming the file, line and reason. Column counts are
 * not checked here (the caller knows the header).
 */
export async function openCsv(source: Readable, options: CsvReadOptions): Promise<CsvSource> {
  const decoded = await decodeToUtf8(source, options.encoding);
  const delimiter = options.delimiter === 'auto' ? detectDelimiter(decoded.head, options.quote) : options.delimiter;
  const parser = new LineTrackingParser({
    delimiter,
    quote: options.quote,
    escape: options.escape,
    relax_column_count: true,
    skip_empty_lines: options.skipEmptyLines,
    trim: options.trim,
    max_record_size: MAX_CSV_RECORD_BYTES,
  });
  const input = Readable.from(decoded.chunks, { objectMode: false });
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);
  // Errors are read from `parser.errored` by the batch loop; this listener keeps an error raised
  // between two reads from being an unhandled 'error' event.
  parser.on('error', () => undefined);
  const onAbort = (): void => {
    input.destroy();
    parser.destroy(new Error('aborted'));
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });

  async function* batches(): AsyncGenerator<RecordBatch<string>> {
    try {
      for (;;) {
        const values: string[][] = [];
        const lines: number[] = [];
        let record: string[] | null;
        while (values.length < RECORD_BATCH_SIZE && (record = parser.read() as string[] | null) !== null) {
          values.push(record);
          lines.push(parser.nextLine());
        }
        if (values.length > 0) {
          yield { values, lines };
          continue;
        }
        if (parser.errored) throw parser.errored;
        if (parser.readableEnded) return;
        if (parser.destroyed) throw new Error('the CSV parser closed before the end of the file');
        await readableOrEnd(parser);
      }
    } catch (err) {
      const code = (err as Partial<CsvError>).code;
      if (code !== undefined && code in REASONS) {
        const line = (err as { lines?: number }).lines;
        throw new FileFormatError({ file: options.file, ...(line !== undefined ? { line } : {}) }, REASONS[code]!, { cause: err });
      }
      if (code !== undefined && code.startsWith('CSV_')) {
        throw new FileFormatError({ file: options.file }, (err as Error).message, { cause: err });
      }
      throw err;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      input.destroy();
      source.destroy();
    }
  }
  return { delimiter, encoding: decoded.encoding, batches: batches() };
}

/**
 * csv-parse's stream, which also remembers the line where each record ends (`info.lines` when
 * the record is pushed), in push order: what `info: true` gives, without the per-record info
 * object it builds (a spread of the parser's counters for every record: a tenth of the CPU and
 * much of the garbage of a large file).
 */
class LineTrackingParser extends Parser {
  private lines: number[] = [];
  private head = 0;

  constructor(options: CsvParseOptions) {
    super(options);
  }

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk !== null) this.lines.push(this.info.lines);
    return super.push(chunk, encoding);
  }

  /** The line of the record `read()` returned last (records are read in push order). */
  nextLine(): number {
    const line = this.lines[this.head++]!;
    if (this.head === this.lines.length) {
      this.lines = [];
      this.head = 0;
    } else if (this.head >= 65_536) {
      this.lines = this.lines.slice(this.head);
      this.head = 0;
    }
    return line;
  }
}

/** Resolves when `stream` has data to read, has ended, or has failed (the caller then checks which). */
function readableOrEnd(stream: Readable): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      stream.off('readable', done);
      stream.off('end', done);
      stream.off('error', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('readable', done);
    stream.on('end', done);
    stream.on('error', done);
    stream.on('close', done);
  });
}
