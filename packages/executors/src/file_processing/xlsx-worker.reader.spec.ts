import { existsSync } from 'fs';
import path from 'path';
import { PassThrough, Readable } from 'stream';
import type { Worker } from 'worker_threads';
import ExcelJS from 'exceljs';
import { caught } from '../../test/support';
import { startTsWorker } from '../../test/worker-support';
import { FileFormatError } from './file-processing.errors';
import { readXlsxSheetsInWorker, xlsxWorkerFactory, type XlsxSheetSelection, type XlsxWorkerData } from './xlsx-worker.reader';
import { readXlsxSheets, type SheetHandle, type SheetRow } from './xlsx.reader';

const ENTRY = path.join(__dirname, 'xlsx.worker.ts');
const FILE = 'jobs/j/executions/e/t.xlsx';

/** Starts the TypeScript worker entry; records every thread started and whether it exited. */
function workers(): { create: (data: XlsxWorkerData) => Worker; started: Worker[]; exited: Promise<number>[]; tempRoots: string[] } {
  const started: Worker[] = [];
  const exited: Promise<number>[] = [];
  const tempRoots: string[] = [];
  return {
    started,
    exited,
    tempRoots,
    create: (data) => {
      tempRoots.push(data.data.tempRoot);
      const worker = startTsWorker(ENTRY, { workerData: data });
      started.push(worker);
      exited.push(new Promise((resolve) => worker.once('exit', resolve)));
      return worker;
    },
  };
}

/** `bytes` as a stream of `size`-byte chunks. */
function chunked(bytes: Buffer, size: number): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return Readable.from(chunks, { objectMode: false });
}

/** A workbook of three sheets: dates, formulas with cached results, a merged range, empty cells, Vietnamese text; 3,000 rows in the second. */
async function workbook(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const first = wb.addWorksheet('Đầu');
  first.addRow(['k', 'v']);
  first.addRow([1, 'một']);
  const main = wb.addWorksheet('Giao dịch');
  main.addRow(['Mã', 'Khách hàng', 'Số tiền', 'Ngày', 'Gấp đôi', 'Ghi chú']);
  for (let i = 1; i <= 3000; i++) {
    const row = main.addRow([i, `Nguyễn Văn Ấn ${i}`, i / 10, new Date(Date.UTC(2024, 0, 1 + (i % 365))), { formula: `C${i + 1}*2`, result: i / 5 }, i % 7 === 0 ? null : `ghi chú ${i}`]);
    row.getCell(4).numFmt = 'dd/mm/yyyy';
  }
  main.mergeCells('B50:C50');
  main.getRow(3003).values = [null, null, 'sau dòng trống'];
  const last = wb.addWorksheet('Cuối');
  last.addRow(['x']);
  last.addRow([{ formula: '1/0', result: { error: '#DIV/0!' } }]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

interface Read {
  sheets: { name: string; index: number; rows?: SheetRow[] }[];
}

/** Drains sheets as the executor does: rows of the selected ones only, stopping after the one wanted unless all. */
async function drain(sheets: AsyncGenerator<SheetHandle>, select: XlsxSheetSelection): Promise<Read> {
  const out: Read = { sheets: [] };
  for await (const sheet of sheets) {
    const selected = select.all || (select.name !== undefined ? sheet.name === select.name : sheet.index === select.index);
    if (!selected) {
      out.sheets.push({ name: sheet.name, index: sheet.index });
      continue;
    }
    const rows: SheetRow[] = [];
    for await (const batch of sheet.batches()) rows.push(...batch);
    out.sheets.push({ name: sheet.name, index: sheet.index, rows });
    if (!select.all) break;
  }
  return out;
}

describe('readXlsxSheetsInWorker', () => {
  jest.setTimeout(15_000);
  let bytes: Buffer;
  beforeAll(async () => {
    bytes = await workbook();
  });

  it.each<[string, XlsxSheetSelection]>([
    ['all sheets', { all: true }],
    ['a sheet by name', { all: false, name: 'Giao dịch', index: 0 }],
    ['a sheet by index', { all: false, index: 1 }],
    ['a sheet that is not there (every sheet reached, none read)', { all: false, name: 'Không có', index: 0 }],
  ])('gives the same sheets, rows and row numbers as readXlsxSheets in this thread: %s', async (_name, select) => {
    const expected = await drain(readXlsxSheets(chunked(bytes, 4096), FILE), select);
    const w = workers();
    const actual = await drain(readXlsxSheetsInWorker(chunked(bytes, 4096), FILE, select, w.create, 0), select);
    expect(w.started).toHaveLength(1);
    expect(actual).toEqual(expected);
    if (select.all || select.name === 'Giao dịch') {
      const main = actual.sheets.find((s) => s.name === 'Giao dịch');
      expect(main?.rows).toHaveLength(3002);
      expect(main?.rows?.[1]).toEqual({ values: [1, 'Nguyễn Văn Ấn 1', 0.1, '2024-01-02', 0.2, 'ghi chú 1'], line: 2 });
      expect(main?.rows?.at(-1)).toEqual({ values: [null, null, 'sau dòng trống'], line: 3003 });
    }
    if (select.all) expect(actual.sheets.map((s) => s.name)).toEqual(['Đầu', 'Giao dịch', 'Cuối']);
    // The thread is stopped once the file is read.
    await expect(w.exited[0]).resolves.toBe(1);
  });

  it('reads a file smaller than minBytes in this thread (no worker started)', async () => {
    const w = workers();
    const out = await drain(readXlsxSheetsInWorker(chunked(bytes, 4096), FILE, { all: false, index: 0 }, w.create, bytes.length + 1), { all: false, index: 0 });
    expect(out.sheets[0]?.rows).toEqual([
      { values: ['k', 'v'], line: 1 },
      { values: [1, 'một'], line: 2 },
    ]);
    expect(w.started).toHaveLength(0);
  });

  it('throws the same FileFormatError as readXlsxSheets for a file that is not an XLSX', async () => {
    const bad = Buffer.from('id,name\n1,x\n'.repeat(1000));
    const select: XlsxSheetSelection = { all: true };
    const expected = await caught(() => drain(readXlsxSheets(chunked(bad, 4096), FILE), select));
    const w = workers();
    const actual = await caught(() => drain(readXlsxSheetsInWorker(chunked(bad, 4096), FILE, select, w.create, 0), select));
    expect(expected).toBeInstanceOf(FileFormatError);
    expect(actual).toBeInstanceOf(FileFormatError);
    expect((actual as FileFormatError).message).toBe((expected as FileFormatError).message);
    expect((actual as FileFormatError).message).toContain('not an XLSX file');
    expect((actual as FileFormatError).location).toEqual({ file: FILE });
    await w.exited[0];
  });

  it('throws an error of the download as is and stops the thread', async () => {
    const body = new PassThrough();
    body.write(bytes.subarray(0, 30_000));
    const w = workers();
    const sheets = readXlsxSheetsInWorker(body, FILE, { all: true }, w.create, 0);
    const failure = new Error('connection reset');
    setImmediate(() => body.destroy(failure));
    await expect(drain(sheets, { all: true })).rejects.toBe(failure);
    await w.exited[0];
  });

  it('stops on abort: the rows reject, the thread and the download are stopped', async () => {
    const body = new PassThrough();
    // The whole workbook but no end: only the abort can stop the read.
    body.write(bytes);
    const controller = new AbortController();
    const w = workers();
    const sheets = readXlsxSheetsInWorker(body, FILE, { all: true }, w.create, 0, controller.signal);
    const err = await caught(async () => {
      for await (const sheet of sheets) {
        for await (const _batch of sheet.batches()) controller.abort();
      }
    });
    expect((err as Error).message).toBe('aborted');
    await w.exited[0];
    expect(body.destroyed).toBe(true);
    expect(existsSync(w.tempRoots[0]!)).toBe(false);
  });

  it('fails a file cut short inside its sheet as the calling thread does (FILE_ENDED), and removes the temp folder it gave the thread', async () => {
    // exceljs' streaming writer puts the sheet first: the reader inflates it into a temp file.
    const out = new PassThrough();
    const parts: Buffer[] = [];
    out.on('data', (c: Buffer) => parts.push(c));
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false });
    const ws = wb.addWorksheet('Giao dịch');
    for (let i = 1; i <= 20_000; i++) ws.addRow([i, `Nguyễn Văn Ấn ${i}`, i / 4]).commit();
    ws.commit();
    await wb.commit();
    const whole = Buffer.concat(parts);
    const cut = whole.subarray(0, Math.floor(whole.length / 2));
    const select: XlsxSheetSelection = { all: false, index: 0 };
    const expected = await caught(() => drain(readXlsxSheets(chunked(cut, 16_384), FILE), select));
    const w = workers();
    const actual = await caught(() => drain(readXlsxSheetsInWorker(chunked(cut, 16_384), FILE, select, w.create, 0), select));
    expect(expected).toBeInstanceOf(FileFormatError);
    expect((expected as FileFormatError).message).toBe(`${FILE}: not a readable XLSX file: the file is cut short, it ends inside its ZIP archive (FILE_ENDED)`);
    expect(actual).toBeInstanceOf(FileFormatError);
    expect((actual as FileFormatError).message).toBe((expected as FileFormatError).message);
    await w.exited[0];
    expect(w.tempRoots).toHaveLength(1);
    expect(existsSync(w.tempRoots[0]!)).toBe(false);
  });

  it('xlsxWorkerFactory: disabled, a given starter, or none when the compiled entry is absent (TypeScript sources)', () => {
    const create = (): Worker => {
      throw new Error('not called');
    };
    expect(xlsxWorkerFactory({ enabled: false, createWorker: create })).toBeUndefined();
    expect(xlsxWorkerFactory({ createWorker: create })).toBe(create);
    expect(xlsxWorkerFactory()).toBeUndefined();
  });
});
