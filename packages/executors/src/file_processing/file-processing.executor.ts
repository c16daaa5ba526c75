/** XLSX rows gathered before they go to the RowCollector (few: a batch that lives while exceljs parses many rows outlives young-generation GCs and piles up as old-space garbage). */
const XLSX_READ_BATCH = 32;
import type { Readable } from 'stream';
import type { Worker } from 'worker_threads';
import type { FileEntry } from '@vecron/context';
import { executionFileKey, executionOutputKey, ObjectNotFoundError, type ObjectStorage } from '@vecron/storage';
import { StepAbortedError, StepTimeoutError, UnrecoverableStepError } from '../errors';
import { DEFAULT_ROW_LIMITS, readRowBatches, RowCollector, type Row, type RowLimits } from '../rows/row-data';
import type { StepExecutor, StepRunContext } from '../step-executor';
import { openCsv, type CsvSource, type RecordBatch } from './csv.reader';
import { csvWorkerFactory, openCsvInWorker, type CsvWorkerData, type CsvWorkerOptions } from './csv-worker.reader';
import { FileProcessingStepConfig, type FileProcessingOptions } from './file-processing.config';
import { FileColumnsDifferError, FileFormatError, FileNotFoundError, FileRowError, FileSheetNotFoundError, quoteValue } from './file-processing.errors';
import type {
  FileProcessingOutput,
  FileReadAllSheetsOutput,
  FileReadOutput,
  FileReadToFileOutput,
  FileRowsOutput,
  FileWriteOutput,
  RejectedRow,
} from './file-processing.output';
import { openOutputFile, type OutputFile, type OutputFileOptions } from './output-file.writer';
import { PARSE_THREAD_MIN_BYTES } from './parse-thread.channel';
import { RowTransformer } from './row-transformer';
import { readXlsxSheetsInWorker, xlsxWorkerFactory, type XlsxWorkerData, type XlsxWorkerOptions } from './xlsx-worker.reader';
import { readXlsxSheets, type SheetHandle, type SheetRow } from './xlsx.reader';

export { CSV_MIME_TYPE, XLSX_MIME_TYPE } from './output-file.writer';
/** Rejected rows listed in the output (all are counted). */
export const MAX_LISTED_REJECTS = 100;
/** Rows between two checks of the abort signal. */
const ABORT_CHECK_EVERY = 1024;

export interface FileProcessingExecutorOptions {
  /** Default inline limits of a read's output (a step's `options.inline_limit` overrides them). */
  inlineLimits?: Partial<RowLimits>;
  /** Where CSV files are parsed: in a worker thread (default, files over 1 MiB) or in the calling thread. */
  csvWorker?: CsvWorkerOptions;
  /** Reading XLSX files in a worker thread (default: on for files over 1 MiB). */
  xlsxWorker?: XlsxWorkerOptions;
}

/** A source of rows: the values of each record in order, with the position they come from. */
interface RecordSource {
  /** Records in batches (one await per batch). */
  batches: AsyncIterable<RecordBatch>;
  /** CSV: a record must have exactly as many fields as the header. */
  strictWidth: boolean;
  sheet?: string;
}

/**
 * The `file_processing` step: reads a CSV or XLSX from object storage into rows (transformed as
 * they stream; inline up to a limit, beyond it an NDJSON `data_ref`), or writes rows to a CSV or
 * XLSX in the execution's output folder (streamed upload, registered with `run.addFile`).
 * Memory stays flat whatever the file size.
 */
export class FileProcessingExecutor implements StepExecutor<FileProcessingStepConfig, FileProcessingOutput> {
  readonly type = 'file_processing';
  readonly configClass = FileProcessingStepConfig;
  private readonly inlineLimits: RowLimits;
  private readonly createCsvWorker: ((workerData: CsvWorkerData) => Worker) | undefined;
  private readonly csvWorkerMinBytes: number;
  private readonly createXlsxWorker: ((workerData: XlsxWorkerData) => Worker) | undefined;
  private readonly xlsxWorkerMinBytes: number;

  constructor(options: FileProcessingExecutorOptions = {}) {
    this.inlineLimits = { ...DEFAULT_ROW_LIMITS, ...options.inlineLimits };
    this.createCsvWorker = csvWorkerFactory(options.csvWorker);
    this.csvWorkerMinBytes = options.csvWorker?.minBytes ?? PARSE_THREAD_MIN_BYTES;
    this.createXlsxWorker = xlsxWorkerFactory(options.xlsxWorker);
    this.xlsxWorkerMinBytes = options.xlsxWorker?.minBytes ?? PARSE_THREAD_MIN_BYTES;
  }

  /** The sheets of an XLSX: read in a worker thread when enabled and the file is big enough, else here. Only the selected sheets' rows are read. */
  private readXlsx(source: Readable, key: string, options: FileProcessingOptions, signal: AbortSignal): AsyncGenerator<SheetHandle> {
    if (this.createXlsxWorker === undefined) return readXlsxSheets(source, key);
    const select = options.all_sheets ? ({ all: true } as const) : { all: false as const, name: options.sheet_name, index: options.sheet_index ?? 0 };
    return readXlsxSheetsInWorker(source, key, select, this.createXlsxWorker, this.xlsxWorkerMinBytes, signal);
  }

  /** The records of a CSV: parsed in a worker thread when enabled and the file is big enough, else here. */
  private openCsv(source: Readable, key: string, options: FileProcessingOptions, signal: AbortSignal): Promise<CsvSource> {
    const readOptions = csvOptions(key, options, signal);
    return this.createCsvWorker === undefined ? openCsv(source, readOptions) : openCsvInWorker(source, readOptions, this.createCsvWorker, this.csvWorkerMinBytes);
  }

  async execute(config: FileProcessingStepConfig, run: StepRunContext): Promise<FileProcessingOutput> {
    if (run.signal.aborted) throw new StepAbortedError(run.signal.reason);
    const timeout = AbortSignal.timeout(config.timeout_seconds * 1000);
    const signal = AbortSignal.any([run.signal, timeout]);
    try {
      return config.operation === 'read' ? await this.read(config, run, signal) : await this.write(config, run, signal);
    } catch (err) {
      if (run.signal.aborted) throw new StepAbortedError(run.signal.reason, { cause: err });
      if (timeout.aborted) throw new StepTimeoutError(config.timeout_seconds, { cause: err });
      throw err;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // read

  private async read(config: FileProcessingStepConfig, run: StepRunContext, signal: AbortSignal): Promise<FileReadOutput | FileReadAllSheetsOutput | FileReadToFileOutput> {
    const options: FileProcessingOptions = config.options ?? {};
    const limits: RowLimits = {
      maxRows: options.inline_limit?.max_rows ?? this.inlineLimits.maxRows,
      maxBytes: options.inline_limit?.max_bytes ?? this.inlineLimits.maxBytes,
    };
    if (config.source_files !== undefined && config.source_files !== null) return this.readMany(config, run, signal, limits);
    const key = fileKey(run, config.source_path as string);
    const source = await openObject(run.storage, key);
    const started = Date.now();
    if (config.format === 'csv') {
      const csv = await this.openCsv(source, key, options, signal);
      const output = await this.collect(key, { batches: csv.batches, strictWidth: true }, config, limits, run, signal, outputKey(run, `${run.stepId}-data.ndjson`));
      run.logger.info(
        { file: key, delimiter: csv.delimiter, encoding: csv.encoding, rows: output.row_count, rejected: output.rejected.count, ms: Date.now() - started },
        'file_processing read csv',
      );
      return output;
    }

    const seen: string[] = [];
    const wanted = options.sheet_name !== undefined ? `"${options.sheet_name}"` : `at index ${options.sheet_index ?? 0}`;
    const all: FileReadAllSheetsOutput = { sheets: {}, row_count: 0 };
    for await (const sheet of this.readXlsx(source, key, options, signal)) {
      seen.push(sheet.name);
      if (options.all_sheets) {
        // all_sheets cannot be combined with destination_path (refused by the config): rows out.
        const rows = (await this.collect(key, { batches: sheetBatches(sheet.batches(), XLSX_READ_BATCH), strictWidth: false, sheet: sheet.name }, config, limits, run, signal, outputKey(run, `${run.stepId}-sheet${sheet.index + 1}-data.ndjson`))) as FileRowsOutput;
        all.sheets[sheet.name] = rows;
        all.row_count += rows.row_count;
        continue;
      }
      const match = options.sheet_name !== undefined ? sheet.name === options.sheet_name : sheet.index === (options.sheet_index ?? 0);
      if (!match) continue;
      const output = await this.collect(key, { batches: sheetBatches(sheet.batches(), XLSX_READ_BATCH), strictWidth: false, sheet: sheet.name }, config, limits, run, signal, outputKey(run, `${run.stepId}-data.ndjson`));
      output.sheet = sheet.name;
      run.logger.info({ file: key, sheet: sheet.name, rows: output.row_count, rejected: output.rejected.count, ms: Date.now() - started }, 'file_processing read xlsx');
      return output;
    }
    if (options.all_sheets) {
      if (seen.length === 0) throw new FileFormatError({ file: key }, 'the workbook has no worksheet');
      return all;
    }
    throw new FileSheetNotFoundError(key, wanted, seen);
  }

  /**
   * Header, width check, transformations and on_error over one stream of records; rows go to a
   * RowCollector, or with `destination_path` straight into the file written (single pass).
   */
  private async collect(
    file: string,
    source: RecordSource,
    config: FileProcessingStepConfig,
    limits: RowLimits,
    run: StepRunContext,
    signal: AbortSignal,
    spillKey: string,
  ): Promise<FileReadOutput | FileReadToFileOutput> {
    const options: FileProcessingOptions = config.options ?? {};
    const state = newReadState(run, config, limits, spillKey);
    try {
      const columns = await this.feed(file, source, options, state, signal, false);
      return await this.finishRead(state, columns, run, signal, file, source.sheet);
    } catch (err) {
      await abortRead(state, err);
      throw err;
    }
  }

  /**
   * Reads one stream of records into `state`: header, width check, transformations and
   * on_error. Returns the file's columns after transformations (undefined: no header line).
   */
  private async feed(file: string, source: RecordSource, options: FileProcessingOptions, state: ReadState, signal: AbortSignal, tagFile: boolean): Promise<string[] | undefined> {
    const hasHeader = options.has_header ?? true;
    const skipErrors = options.on_error === 'skip';
    const skipEmpty = options.skip_empty_lines ?? true;
    const where = { file, ...(source.sheet !== undefined ? { sheet: source.sheet } : {}) };
    let rowsRead = 0;
    let columns: string[] | undefined;
    let transformer: RowTransformer | undefined;
    /** Single pass: the file's values in the order of the file being written (set when this file's columns come in another order). */
    let order: number[] | undefined;
    const setColumns = (names: string[]): void => {
      columns = uniqueColumnNames(names);
      transformer = new RowTransformer(options.transformations ?? [], columns, where);
      order = adoptColumns(state, file, transformer.columns);
    };
    if (!hasHeader && options.columns) setColumns(options.columns);
    const target = state.target;
    let out: Row[] = [];
    let outValues: unknown[][] = [];
    // One position object, updated per record (errors copy it).
    const position = { row: 0, line: 0 };
    for await (const batch of source.batches) {
      for (let r = 0; r < batch.values.length; r++) {
        const record = batch.values[r]!;
        if (!source.strictWidth && skipEmpty && record.every((v) => v === null || v === '')) continue;
        if (columns === undefined) {
          if (hasHeader) {
            setColumns(record.map((v) => (v === null || v === undefined ? '' : String(v).trim())));
            continue;
          }
          setColumns(record.map((_v, i) => `column_${i + 1}`));
        }
        rowsRead++;
        state.rowsRead++;
        if (state.rowsRead % ABORT_CHECK_EVERY === 0 && signal.aborted) throw new StepAbortedError(signal.reason);
        position.row = rowsRead;
        position.line = batch.lines[r]!;
        try {
          const values = fitWidth(record, (columns as string[]).length, source.strictWidth, where, position);
          if (target !== undefined) {
            const result = (transformer as RowTransformer).transformValues(values, position);
            if (result !== null) outValues.push(order === undefined ? result : order.map((i) => result[i]));
          } else {
            const row = (transformer as RowTransformer).transform(values, position);
            if (row !== null) out.push(row);
          }
        } catch (err) {
          if (!(err instanceof FileRowError) || !skipErrors) throw err;
          state.rejectedCount++;
          if (state.rejected.length < MAX_LISTED_REJECTS) state.rejected.push(tagFile ? { file, ...rejectOf(err) } : rejectOf(err));
        }
      }
      if (out.length > 0) {
        await (state.collector as RowCollector).addRows(out, (transformer as RowTransformer).columns);
        out = [];
      }
      if (outValues.length > 0) {
        await (target?.file as OutputFile).writeRows(outValues);
        state.rowsWritten += outValues.length;
        outValues = [];
      }
    }
    return transformer?.columns;
  }

  private async finishRead(state: ReadState, columns: string[] | undefined, run: StepRunContext, signal: AbortSignal, file: string, sheet?: string): Promise<FileReadOutput | FileReadToFileOutput> {
    if (signal.aborted) throw new StepAbortedError(signal.reason);
    if (state.rejectedCount > 0) run.logger.warn({ file, sheet, rejected: state.rejectedCount }, 'file_processing: rows rejected (on_error: skip)');
    const rejected = { count: state.rejectedCount, first: state.rejected };
    if (state.target !== undefined) {
      // A source without any line still gives a (header-less, empty) file.
      const target = state.target;
      target.file ??= target.open(columns ?? []);
      const size = await target.file.finish();
      const entry: FileEntry = {
        path: target.file.key,
        filename: target.file.key.split('/').pop() as string,
        size,
        mime_type: target.file.mimeType,
        row_count: state.rowsWritten,
        created_at: new Date().toISOString(),
      };
      run.addFile(entry);
      run.logger.info({ file: entry.path, rows: state.rowsWritten, size }, 'file_processing wrote file');
      return { files: [entry], row_count: state.rowsWritten, rows_read: state.rowsRead, columns: columns ?? [], rejected };
    }
    const result = await (state.collector as RowCollector).finish();
    const base = { row_count: result.row_count, rows_read: state.rowsRead, columns: columns ?? [], rejected };
    return result.inline ? { data: result.rows, ...base } : { data_ref: result.ref, preview: result.preview, ...base };
  }

  /**
   * `source_files`: every file read as one, in list order, into one output. Each file has its own
   * header; after transformations every file must give the same columns as the first.
   */
  private async readMany(config: FileProcessingStepConfig, run: StepRunContext, signal: AbortSignal, limits: RowLimits): Promise<FileReadOutput | FileReadToFileOutput> {
    const options: FileProcessingOptions = config.options ?? {};
    const keys = (config.source_files ?? []).map((item) => fileKey(run, typeof item === 'string' ? item : item.path, 'source_files'));
    const state = newReadState(run, config, limits, outputKey(run, `${run.stepId}-data.ndjson`));
    const started = Date.now();
    let columns: string[] | undefined;
    let first = '';
    let sheetRead: string | undefined;
    try {
      for (const key of keys) {
        const source = await openObject(run.storage, key);
        let fileColumns: string[] | undefined;
        if (config.format === 'csv') {
          const csv = await this.openCsv(source, key, options, signal);
          fileColumns = await this.feed(key, { batches: csv.batches, strictWidth: true }, options, state, signal, true);
        } else {
          const seen: string[] = [];
          let found = false;
          for await (const sheet of this.readXlsx(source, key, options, signal)) {
            seen.push(sheet.name);
            const match = options.sheet_name !== undefined ? sheet.name === options.sheet_name : sheet.index === (options.sheet_index ?? 0);
            if (!match) continue;
            found = true;
            sheetRead ??= sheet.name;
            fileColumns = await this.feed(key, { batches: sheetBatches(sheet.batches(), XLSX_READ_BATCH), strictWidth: false, sheet: sheet.name }, options, state, signal, true);
            break;
          }
          if (!found) throw new FileSheetNotFoundError(key, options.sheet_name !== undefined ? `"${options.sheet_name}"` : `at index ${options.sheet_index ?? 0}`, seen);
        }
        if (fileColumns === undefined) continue;
        if (columns === undefined) {
          columns = fileColumns;
          first = key;
        } else if (!sameColumns(columns, fileColumns)) {
          throw new FileColumnsDifferError(key, fileColumns, first, columns);
        }
      }
      const output = await this.finishRead(state, columns, run, signal, keys.join(', '));
      if (sheetRead !== undefined) output.sheet = sheetRead;
      run.logger.info({ files: keys, rows: output.row_count, rejected: output.rejected.count, ms: Date.now() - started }, 'file_processing read files');
      return output;
    } catch (err) {
      await abortRead(state, err);
      throw err;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // write

  private async write(config: FileProcessingStepConfig, run: StepRunContext, signal: AbortSignal): Promise<FileWriteOutput> {
    const options: FileProcessingOptions = config.options ?? {};
    const destination = config.destination_path as string;
    const key = outputKey(run, destination);
    const filename = destination.split('/').pop() as string;
    const source = rowSource(config.data_source);
    const batches = readRowBatches(source.rows, { storage: run.storage, jobId: run.jobId, executionId: run.executionId })[Symbol.asyncIterator]();

    // Columns: the option, else the source's columns, else the keys of the first row.
    let next = await batches.next();
    const inputColumns = options.columns ?? source.columns ?? (next.done || next.value.length === 0 ? [] : Object.keys(next.value[0]!));
    const transformer = new RowTransformer(options.transformations ?? [], inputColumns, { file: key });
    const columns = transformer.columns;

    const file = openOutputFile(run.storage, key, columns, {
      ...writeOptions(options, config.format),
      header: options.has_header ?? true,
      delimiter: options.delimiter === undefined || options.delimiter === 'auto' ? ',' : options.delimiter,
      sheetName: options.sheet_name ?? 'Sheet1',
    });

    let rowCount = 0;
    let size = 0;
    let n = 0;
    try {
      while (!next.done) {
        const out: unknown[][] = [];
        for (const row of next.value) {
          n++;
          if (n % ABORT_CHECK_EVERY === 0 && signal.aborted) throw new StepAbortedError(signal.reason);
          const values = new Array<unknown>(inputColumns.length);
          for (let i = 0; i < inputColumns.length; i++) values[i] = row[inputColumns[i]!];
          const result = transformer.transformValues(values, { row: n });
          if (result !== null) out.push(result);
        }
        if (out.length > 0) {
          await file.writeRows(out);
          rowCount += out.length;
        }
        next = await batches.next();
      }
      if (signal.aborted) throw new StepAbortedError(signal.reason);
      size = await file.finish();
    } catch (err) {
      await batches.return?.(undefined);
      await file.abort(err);
      throw err;
    }
    const entry: FileEntry = { path: key, filename, size, mime_type: file.mimeType, row_count: rowCount, created_at: new Date().toISOString() };
    run.addFile(entry);
    run.logger.info({ file: key, rows: rowCount, size }, 'file_processing wrote file');
    return { files: [entry], row_count: rowCount };
  }
}

function fileKey(run: StepRunContext, path: string, field = 'source_path'): string {
  try {
    return executionFileKey(run.jobId, run.executionId, path);
  } catch (err) {
    throw new UnrecoverableStepError(`${field} ${JSON.stringify(path)}: ${(err as Error).message}`, 'FILE_PATH_INVALID', { cause: err });
  }
}

/** Single pass (a read with `destination_path`): the file the rows are written to, opened once the columns are known. */
interface FileTarget {
  open(columns: readonly string[]): OutputFile;
  file?: OutputFile;
}

/** What a read accumulates over one or several files: rows (inline or NDJSON) or, with `destination_path`, a file written as it reads. */
interface ReadState {
  collector?: RowCollector;
  target?: FileTarget;
  /** Columns (after transformations) of the first file with a header, and that file. */
  columns?: readonly string[];
  firstFile?: string;
  rejected: RejectedRow[];
  rejectedCount: number;
  rowsRead: number;
  rowsWritten: number;
}

function newReadState(run: StepRunContext, config: FileProcessingStepConfig, limits: RowLimits, spillKey: string): ReadState {
  const state: ReadState = { rejected: [], rejectedCount: 0, rowsRead: 0, rowsWritten: 0 };
  const destination = config.destination_path;
  if (destination === undefined || destination === null) {
    state.collector = new RowCollector({ storage: run.storage, key: spillKey, limits });
    return state;
  }
  const options: FileProcessingOptions = config.options ?? {};
  const key = outputKey(run, destination);
  const fileOptions: OutputFileOptions = {
    ...writeOptions(options, config.destination_format ?? config.format),
    header: true,
    delimiter: options.output_delimiter ?? ',',
    sheetName: options.output_sheet_name ?? 'Sheet1',
  };
  state.target = { open: (columns) => openOutputFile(run.storage, key, columns, fileOptions) };
  return state;
}

async function abortRead(state: ReadState, err: unknown): Promise<void> {
  await state.collector?.abort();
  await state.target?.file?.abort(err);
}

/**
 * A file's columns (after transformations) against those of the read so far: the first file's
 * set them (and open the file written, single pass); a later file must have the same set
 * (FILE_COLUMNS_DIFFER, before any of its rows). Single pass: returns where each written column
 * is among this file's when the order differs.
 */
function adoptColumns(state: ReadState, file: string, columns: readonly string[]): number[] | undefined {
  if (state.columns === undefined) {
    state.columns = columns;
    state.firstFile = file;
    if (state.target !== undefined) state.target.file = state.target.open(columns);
    return undefined;
  }
  if (!sameColumns(state.columns, columns)) throw new FileColumnsDifferError(file, columns, state.firstFile as string, state.columns);
  if (state.target === undefined || state.columns.every((c, i) => columns[i] === c)) return undefined;
  return state.columns.map((c) => columns.indexOf(c));
}

/** Options every written file takes from `config.options`. */
function writeOptions(options: FileProcessingOptions, format: FileProcessingStepConfig['format']): Pick<OutputFileOptions, 'format' | 'lineEnding' | 'bom' | 'columnFormats'> {
  return { format, lineEnding: options.line_ending ?? 'lf', bom: options.bom ?? false, columnFormats: options.column_formats ?? {} };
}

function csvOptions(key: string, options: FileProcessingOptions, signal: AbortSignal): Parameters<typeof openCsv>[1] {
  return {
    file: key,
    delimiter: options.delimiter ?? 'auto',
    quote: options.quote ?? '"',
    escape: options.escape ?? '"',
    encoding: options.encoding ?? 'auto',
    skipEmptyLines: options.skip_empty_lines ?? true,
    trim: options.trim ?? false,
    signal,
  };
}

/** The same column names, in any order (rows are objects). */
function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((c) => set.has(c));
}

function outputKey(run: StepRunContext, filename: string): string {
  try {
    return executionOutputKey(run.jobId, run.executionId, filename);
  } catch (err) {
    throw new UnrecoverableStepError(`destination_path ${JSON.stringify(filename)}: ${(err as Error).message}`, 'FILE_PATH_INVALID', { cause: err });
  }
}

async function openObject(storage: ObjectStorage, key: string): Promise<Readable> {
  try {
    return await storage.getStream(key);
  } catch (err) {
    if (err instanceof ObjectNotFoundError) throw new FileNotFoundError(key);
    throw err;
  }
}

/**
 * `data_source` → what readRows takes (it unwraps a step output itself), and the columns the
 * source declares (a read output's or a query result's non-empty `columns`).
 */
function rowSource(value: unknown): { rows: unknown; columns?: string[] } {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const v = value as { columns?: unknown };
    const columns =
      Array.isArray(v.columns) && v.columns.length > 0 && v.columns.every((c) => typeof c === 'string') ? (v.columns as string[]) : undefined;
    return { rows: value, ...(columns ? { columns } : {}) };
  }
  return { rows: value };
}

/** Pads a short XLSX row with nulls; refuses a CSV record of the wrong width, or XLSX values beyond the header. */
function fitWidth(values: unknown[], width: number, strict: boolean, where: { file: string; sheet?: string }, position: { row: number; line: number }): unknown[] {
  if (values.length === width) return values;
  const location = { ...where, ...position };
  if (strict) {
    throw new FileRowError(location, `has ${values.length} field${values.length === 1 ? '' : 's'}, expected ${width} (the header's count)`);
  }
  if (values.length < width) {
    for (let i = values.length; i < width; i++) values.push(null);
    return values;
  }
  const extra = values.slice(width).findIndex((v) => v !== null && v !== '');
  if (extra >= 0) {
    throw new FileRowError({ ...location, value: values[width + extra] }, `has a value in column ${width + extra + 1}, beyond the ${width} columns of the header`);
  }
  return values.slice(0, width);
}

/** Empty names become `column_N`; repeated names get `_2`, `_3`, … */
function uniqueColumnNames(names: readonly string[]): string[] {
  const used = new Set<string>();
  return names.map((raw, i) => {
    const base = raw === '' ? `column_${i + 1}` : raw;
    let name = base;
    for (let k = 2; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    return name;
  });
}

function rejectOf(err: FileRowError): RejectedRow {
  const { location } = err;
  const reject: RejectedRow = { row: location.row ?? 0, reason: err.reason };
  if (location.line !== undefined) reject.line = location.line;
  if (location.sheet !== undefined) reject.sheet = location.sheet;
  if (location.column !== undefined) reject.column = location.column;
  if (location.value !== undefined) reject.value = quoteValue(location.value);
  return reject;
}

/** Regroups the rows of a sheet (in the reader's batches) in batches of up to `size`. */
async function* sheetBatches(source: AsyncIterable<SheetRow[]>, size: number): AsyncGenerator<RecordBatch> {
  let batch: RecordBatch = { values: [], lines: [] };
  for await (const rows of source) {
    for (const row of rows) {
      batch.values.push(row.values);
      batch.lines.push(row.line);
      if (batch.values.length >= size) {
        yield batch;
        batch = { values: [], lines: [] };
      }
    }
  }
  if (batch.values.length > 0) yield batch;
}
