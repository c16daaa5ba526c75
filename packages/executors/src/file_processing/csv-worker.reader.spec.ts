import path from 'path';
import { PassThrough, Readable } from 'stream';
import type { Worker } from 'worker_threads';
import { caught } from '../../test/support';
import { startTsWorker } from '../../test/worker-support';
import { openCsv, type CsvReadOptions, type CsvSource } from './csv.reader';
import { csvWorkerFactory, openCsvInWorker, type CsvWorkerData } from './csv-worker.reader';
import { FileFormatError } from './file-processing.errors';

const ENTRY = path.join(__dirname, 'csv.worker.ts');

/** Starts the TypeScript worker entry; records every thread started and whether it exited. */
function workers(): { create: (data: CsvWorkerData) => Worker; started: Worker[]; exited: Promise<number>[] } {
  const started: Worker[] = [];
  const exited: Promise<number>[] = [];
  return {
    started,
    exited,
    create: (data) => {
      const worker = startTsWorker(ENTRY, { workerData: data });
      started.push(worker);
      exited.push(new Promise((resolve) => worker.once('exit', resolve)));
      return worker;
    },
  };
}

function options(overrides: Partial<CsvReadOptions> = {}): CsvReadOptions {
  return { file: 'jobs/j/executions/e/t.csv', delimiter: 'auto', quote: '"', escape: '"', encoding: 'auto', skipEmptyLines: true, trim: false, ...overrides };
}

/** `bytes` as a stream of `size`-byte chunks (characters and quoted fields split across chunks). */
function chunked(bytes: Buffer, size: number): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return Readable.from(chunks, { objectMode: false });
}

async function drain(csv: CsvSource): Promise<{ delimiter: string; encoding: string; values: string[][]; lines: number[] }> {
  const values: string[][] = [];
  const lines: number[] = [];
  for await (const batch of csv.batches) {
    values.push(...batch.values);
    lines.push(...batch.lines);
  }
  return { delimiter: csv.delimiter, encoding: csv.encoding, values, lines };
}

const SAMPLE =
  'mã;tên khách hàng;ghi chú\r\n' +
  Array.from({ length: 2500 }, (_v, i) => `${i};Nguyễn Văn Ấn ${i};"dòng 1\r\ndòng 2; ""trích dẫn"" ${i}"\r\n${i % 7 === 0 ? '\r\n' : ''}`).join('');

describe('openCsvInWorker', () => {
  jest.setTimeout(15_000);

  it.each([
    ['UTF-8 with a BOM, CRLF, quoted newlines, empty lines', Buffer.from(`\uFEFF${SAMPLE}`, 'utf8'), {}],
    ['UTF-16 LE with its BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(SAMPLE, 'utf16le')]), {}],
    ['a given delimiter, trim, empty lines kept', Buffer.from(SAMPLE.replace(/;/g, '|'), 'utf8'), { delimiter: '|', trim: true, skipEmptyLines: false }],
  ])('gives the same records, lines, delimiter and encoding as openCsv in this thread: %s', async (_name, bytes, overrides) => {
    const expected = await drain(await openCsv(chunked(bytes, 61), options(overrides)));
    const w = workers();
    const actual = await drain(await openCsvInWorker(chunked(bytes, 61), options(overrides), w.create, 0));
    expect(w.started).toHaveLength(1);
    expect(actual).toEqual(expected);
    expect(actual.values.length).toBeGreaterThan(2500);
    expect(actual.lines.at(-1)).toBe(expected.lines.at(-1));
    // The thread is stopped once the file is read.
    await expect(w.exited[0]).resolves.toBe(1);
  });

  it('parses a file smaller than minBytes in this thread (no worker started)', async () => {
    const w = workers();
    const out = await drain(await openCsvInWorker(chunked(Buffer.from('a,b\n1,2\n'), 3), options(), w.create, 1024));
    expect(out.values).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
    expect(w.started).toHaveLength(0);
  });

  it('throws the same FileFormatError (file, line, reason) as openCsv for an unterminated quote', async () => {
    const bytes = Buffer.from(`a,b\n${'1,2\n'.repeat(3000)}3,"open\n4,5\n`, 'utf8');
    const consume = async (csv: Promise<CsvSource>): Promise<unknown> => caught(() => csv.then(drain));
    const expected = await consume(openCsv(chunked(bytes, 64), options()));
    const w = workers();
    const actual = await consume(openCsvInWorker(chunked(bytes, 64), options(), w.create, 0));
    expect(expected).toBeInstanceOf(FileFormatError);
    expect(actual).toBeInstanceOf(FileFormatError);
    expect((actual as FileFormatError).message).toBe((expected as FileFormatError).message);
    expect((actual as FileFormatError).location).toEqual({ file: options().file, line: 3003 });
    expect((actual as FileFormatError).code).toBe('FILE_FORMAT_INVALID');
    await w.exited[0];
  });

  it('throws an error of the download as is and stops the thread', async () => {
    const body = new PassThrough();
    // More than the 64 KiB the reader takes before it knows the delimiter.
    body.write(`a,b\n${'1,2\n'.repeat(20_000)}`);
    const w = workers();
    const csv = await openCsvInWorker(body, options(), w.create, 0);
    const failure = new Error('connection reset');
    setImmediate(() => body.destroy(failure));
    await expect(drain(csv)).rejects.toBe(failure);
    await w.exited[0];
  });

  it('stops on abort: the batches reject, the thread and the download are stopped', async () => {
    const body = new PassThrough();
    body.write(`a,b\n${'1,2\n'.repeat(20_000)}`);
    const controller = new AbortController();
    const w = workers();
    const csv = await openCsvInWorker(body, options({ signal: controller.signal }), w.create, 0);
    const iterator = csv.batches[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    // The file never ends: only the abort can stop the read.
    controller.abort();
    const err = await caught(async () => {
      for (;;) if ((await iterator.next()).done) return;
    });
    expect((err as Error).message).toBe('aborted');
    await w.exited[0];
    expect(body.destroyed).toBe(true);
  });

  it('csvWorkerFactory: disabled, a given starter, or none when the compiled entry is absent (TypeScript sources)', () => {
    const create = (): Worker => {
      throw new Error('not called');
    };
    expect(csvWorkerFactory({ enabled: false, createWorker: create })).toBeUndefined();
    expect(csvWorkerFactory({ createWorker: create })).toBe(create);
    // Here the module runs from src/ (no csv.worker.js beside it).
    expect(csvWorkerFactory()).toBeUndefined();
  });
});
