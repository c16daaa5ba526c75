import { Readable } from 'stream';
import { parse, type CsvError } from 'csv-parse';
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

/** One CSV record: its fields and the line of the file where it ends. */
export interface CsvRecord {
  values: string[];
  line: number;
}

export interface CsvSource {
  /** The delimiter used (detected when `auto`). */
  delimiter: string;
  encoding: string;
  records: AsyncGenerator<CsvRecord>;
}

const REASONS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'unterminated quote: a quoted field is still open at the end of the file',
  CSV_INVALID_CLOSING_QUOTE: 'invalid closing quote: a quoted field is followed by something other than a delimiter or a line end',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'invalid closing quote: characters after a quoted field',
  CSV_MAX_RECORD_SIZE: `a record is larger than ${MAX_CSV_RECORD_BYTES / 1024 / 1024} MiB (an unterminated quote?)`,
};

/**
 * Streams the records of a CSV (csv-parse, one record at a time, with backpressure). Quote and
 * structure errors become FileFormatError naming the file, line and reason. Column counts are
 * not checked here (the caller knows the header).
 */
export async function openCsv(source: Readable, options: CsvReadOptions): Promise<CsvSource> {
  const decoded = await decodeToUtf8(source, options.encoding);
  const delimiter = options.delimiter === 'auto' ? detectDelimiter(decoded.head, options.quote) : options.delimiter;
  const parser = parse({
    delimiter,
    quote: options.quote,
    escape: options.escape,
    relax_column_count: true,
    skip_empty_lines: options.skipEmptyLines,
    trim: options.trim,
    info: true,
    max_record_size: MAX_CSV_RECORD_BYTES,
  });
  const input = Readable.from(decoded.chunks, { objectMode: false });
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);
  const onAbort = (): void => {
    input.destroy();
    parser.destroy(new Error('aborted'));
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });

  async function* records(): AsyncGenerator<CsvRecord> {
    try {
      for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
        yield { values: item.record, line: item.info.lines };
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
  return { delimiter, encoding: decoded.encoding, records: records() };
}
