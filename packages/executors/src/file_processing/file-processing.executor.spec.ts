import path from 'path';
import { PassThrough, Readable } from 'stream';
import type { Worker } from 'worker_threads';
import ExcelJS from 'exceljs';
import type { FileEntry } from '@vecron/context';
import { InMemoryObjectStorage } from '@vecron/storage';
import { caught, runContext } from '../../test/support';
import { startTsWorker } from '../../test/worker-support';
import { StepAbortedError, StepError } from '../errors';
import { readRows, type Row } from '../rows/row-data';
import type { StepRunContext } from '../step-executor';
import { validateStepConfig } from '../validate-step-config';
import type { CsvWorkerData } from './csv-worker.reader';
import { FileProcessingExecutor } from './file-processing.executor';
import type { FileReadAllSheetsOutput, FileReadOutput, FileReadToFileOutput, FileWriteOutput } from './file-processing.output';
import type { XlsxWorkerData } from './xlsx-worker.reader';
import { readXlsxSheets } from './xlsx.reader';

const JOB = 'job-1';
const EXEC = 'exec-1';
const DIR = `jobs/${JOB}/executions/${EXEC}`;

const executor = new FileProcessingExecutor();

interface Harness {
  storage: InMemoryObjectStorage;
  files: FileEntry[];
  run: StepRunContext;
}

function harness(overrides: Partial<StepRunContext> = {}): Harness {
  const storage = new InMemoryObjectStorage({ readChunkSize: 7 });
  const files: FileEntry[] = [];
  const run = runContext({ storage, jobId: JOB, executionId: EXEC, stepId: 'read', addFile: (f) => void files.push(f), ...overrides });
  return { storage, files, run };
}

async function exec<T>(h: Harness, raw: Record<string, unknown>): Promise<T> {
  const config = validateStepConfig(executor, raw);
  return (await executor.execute(config, h.run)) as T;
}

async function readCsv(h: Harness, content: Buffer | string, options: Record<string, unknown> = {}): Promise<FileReadOutput> {
  await h.storage.put(`${DIR}/input/t.csv`, content);
  return exec<FileReadOutput>(h, { operation: 'read', format: 'csv', source_path: 'input/t.csv', options });
}

async function allRows(h: Harness, source: unknown): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const r of readRows(source, { storage: h.storage, jobId: JOB, executionId: EXEC })) rows.push(r);
  return rows;
}

interface Threaded {
  executor: FileProcessingExecutor;
  started: Worker[];
  exited: Promise<number>[];
}

/** An executor that reads every CSV or XLSX (minBytes 0) in a thread started from the TypeScript entry; `started` lists the threads. */
function threadedExecutor(kind: 'csv' | 'xlsx', onStart?: (worker: Worker) => void): Threaded {
  const started: Worker[] = [];
  const exited: Promise<number>[] = [];
  const createWorker = (workerData: CsvWorkerData | XlsxWorkerData): Worker => {
    const worker = startTsWorker(path.join(__dirname, `${kind}.worker.ts`), { workerData });
    started.push(worker);
    exited.push(new Promise((resolve) => worker.once('exit', resolve)));
    onStart?.(worker);
    return worker;
  };
  const thread = { createWorker, minBytes: 0 };
  const executor = new FileProcessingExecutor({ ...(kind === 'csv' ? { csvWorker: thread } : { xlsxWorker: thread }), inlineLimits: { maxRows: 500 } });
  return { executor, started, exited };
}

async function run<T>(ex: FileProcessingExecutor, h: Harness, raw: Record<string, unknown>): Promise<T> {
  return (await ex.execute(validateStepConfig(ex, raw), h.run)) as T;
}

/** Serves `bytes` as `input/<name>` in a stream that never ends: only an abort stops its read. */
async function endlessInput(h: Harness, name: string, bytes: Buffer | string): Promise<PassThrough> {
  const body = new PassThrough();
  body.write(bytes);
  const getStream = h.storage.getStream.bind(h.storage);
  h.storage.getStream = async (key: string): Promise<Readable> => (key.endsWith(`/input/${name}`) ? body : getStream(key));
  await h.storage.put(`${DIR}/input/${name}`, 'placeholder');
  return body;
}

describe('file_processing read csv', () => {
  it('reads Windows line endings, a UTF-8 BOM, quoted newlines and Vietnamese text untouched', async () => {
    const h = harness();
    const text = '\uFEFFmã,tên khách hàng,ghi chú\r\n1,Nguyễn Văn Ấn,"dòng 1\r\ndòng 2"\r\n2,Trần Thị Bích,"có ""trích dẫn"", dấu phẩy"\r\n';
    const out = await readCsv(h, Buffer.from(text, 'utf8'));
    expect(out.columns).toEqual(['mã', 'tên khách hàng', 'ghi chú']);
    expect(out.data).toEqual([
      { mã: '1', 'tên khách hàng': 'Nguyễn Văn Ấn', 'ghi chú': 'dòng 1\r\ndòng 2' },
      { mã: '2', 'tên khách hàng': 'Trần Thị Bích', 'ghi chú': 'có "trích dẫn", dấu phẩy' },
    ]);
    expect(out.row_count).toBe(2);
    expect(out.rejected).toEqual({ count: 0, first: [] });
  });

  it.each([
    ['utf-16le', (s: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')])],
    ['utf-16be', (s: string) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(s, 'utf16le').swap16()])],
  ])('reads %s with a BOM (chunks split mid-character)', async (_name, encode) => {
    const h = harness();
    const out = await readCsv(h, encode('tên;số tiền\nĐặng Thị Ửng;1.234,50\n'));
    expect(out.columns).toEqual(['tên', 'số tiền']);
    expect(out.data).toEqual([{ tên: 'Đặng Thị Ửng', 'số tiền': '1.234,50' }]);
  });

  it('reads windows-1258 when told', async () => {
    const h = harness();
    // "Ð" (0xD0) is Đ in windows-1258.
    const out = await readCsv(h, Buffer.from([0x61, 0x0a, 0xd0, 0x0a]), { encoding: 'windows-1258' });
    expect(out.data).toEqual([{ a: 'Đ' }]);
  });

  it.each([
    [';', 'a;b;c\n1;2,5;x\n'],
    ['\t', 'a\tb\tc\n1\t2;5\tx\n'],
    ['|', 'a|b|c\n1|2,5|x\n'],
    [',', 'a,b,c\n1,"2;5",x\n'],
  ])('detects the delimiter %j from the first lines', async (delimiter, content) => {
    const h = harness();
    const out = await readCsv(h, content);
    expect(out.columns).toEqual(['a', 'b', 'c']);
    expect(out.data![0]!.a).toBe('1');
    expect(out.data![0]!.c).toBe('x');
    expect(delimiter).toBeDefined();
  });

  it('without a header names columns column_N or uses options.columns; skips empty lines', async () => {
    const h = harness();
    expect((await readCsv(h, '1,x\n\n2,y\n', { has_header: false })).data).toEqual([
      { column_1: '1', column_2: 'x' },
      { column_1: '2', column_2: 'y' },
    ]);
    expect((await readCsv(h, '1,x\n', { has_header: false, columns: ['id', 'name'] })).data).toEqual([{ id: '1', name: 'x' }]);
  });

  it('an unterminated quote fails naming the file, line and reason', async () => {
    const h = harness();
    const err = (await caught(() => readCsv(h, 'a,b\n1,x\n2,"open\n3,z\n'))) as StepError;
    expect(err).toBeInstanceOf(StepError);
    expect(err.code).toBe('FILE_FORMAT_INVALID');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(`${DIR}/input/t.csv`);
    expect(err.message).toContain('unterminated quote');
    expect(err.message).toMatch(/line \d+/);
  });

  it('a row with the wrong column count fails with its row, line and counts; on_error skip lists it', async () => {
    const h = harness();
    const content = 'a,b\n1,x\n2,y,extra\n3,z\n';
    const err = (await caught(() => readCsv(h, content))) as StepError;
    expect(err.code).toBe('FILE_ROW_INVALID');
    expect(err.message).toBe(`${DIR}/input/t.csv row 2 (line 3): has 3 fields, expected 2 (the header's count)`);
    const out = await readCsv(h, content, { on_error: 'skip' });
    expect(out.data).toEqual([
      { a: '1', b: 'x' },
      { a: '3', b: 'z' },
    ]);
    expect(out.rows_read).toBe(3);
    expect(out.rejected).toEqual({ count: 1, first: [{ row: 2, line: 3, reason: "has 3 fields, expected 2 (the header's count)" }] });
  });

  it('applies mapping, decimal (exact), integer, date and filter as the rows stream', async () => {
    const h = harness();
    const content = 'Mã GD;Số tiền;Ngày;Trạng thái\n1;0,10;31/01/2024;paid\n2;0,20;01/02/2024;void\n3;1.234.567,05;29/02/2024;paid\n';
    const out = await readCsv(h, content, {
      transformations: [
        { type: 'column_mapping', from: 'Mã GD', to: 'id' },
        { type: 'column_mapping', from: 'Số tiền', to: 'amount' },
        { type: 'rename_all', style: 'snake_case' },
        { type: 'type_conversion', column: 'id', target_type: 'integer' },
        { type: 'type_conversion', column: 'amount', target_type: 'decimal', decimal_separator: ',', thousands_separator: '.' },
        { type: 'type_conversion', column: 'ngày', target_type: 'date', format: 'DD/MM/YYYY' },
        { type: 'filter', condition: "['trạng_thái'] == 'paid' && id >= 1" },
        { type: 'select', columns: ['id', 'amount', 'ngày'] },
      ],
    });
    expect(out.columns).toEqual(['id', 'amount', 'ngày']);
    expect(out.data).toEqual([
      { id: 1, amount: '0.10', ngày: '2024-01-31' },
      { id: 3, amount: '1234567.05', ngày: '2024-02-29' },
    ]);
    expect(out.rows_read).toBe(3);
  });

  it('a value that does not convert fails with row, column and value; skip counts and lists the first 100', async () => {
    const h = harness();
    const lines = ['id,amount'];
    for (let i = 1; i <= 150; i++) lines.push(`${i},${i % 2 === 0 ? 'n/a' : '12.5'}`);
    const content = lines.join('\n');
    const options = { transformations: [{ type: 'type_conversion', column: 'amount', target_type: 'decimal' }] };
    const err = (await caught(() => readCsv(h, content, options))) as StepError;
    expect(err.message).toBe(`${DIR}/input/t.csv row 2 (line 3) column "amount" value "n/a": is not a number (decimal)`);
    expect(err.details).toMatchObject({ row: 2, line: 3, column: 'amount', value: '"n/a"' });
    const out = await readCsv(h, content, { ...options, on_error: 'skip' });
    expect(out.row_count).toBe(75);
    expect(out.rejected.count).toBe(75);
    expect(out.rejected.first).toHaveLength(75);
    expect(out.rejected.first[0]).toEqual({ row: 2, line: 3, column: 'amount', value: '"n/a"', reason: 'is not a number (decimal)' });
  });

  it('a transformation naming a missing column fails before any row', async () => {
    const h = harness();
    const err = (await caught(() => readCsv(h, 'a,b\n1,2\n', { transformations: [{ type: 'column_mapping', from: 'x', to: 'y' }] }))) as StepError;
    expect(err.code).toBe('FILE_COLUMN_NOT_FOUND');
    expect(err.message).toContain('"x"');
    expect(err.message).toContain('"a", "b"');
  });

  it('beyond the inline limit writes NDJSON and returns {data_ref, preview}; the rows read back the same', async () => {
    const h = harness();
    const lines = ['n,text'];
    for (let i = 0; i < 60; i++) lines.push(`${i},Ngô ${i}`);
    const out = await readCsv(h, lines.join('\n'), { inline_limit: { max_rows: 10 } });
    expect(out.data).toBeUndefined();
    expect(out.data_ref).toBe(`${DIR}/output/read-data.ndjson`);
    expect(out.row_count).toBe(60);
    expect(out.preview).toHaveLength(20);
    const rows = await allRows(h, { data_ref: out.data_ref });
    expect(rows).toHaveLength(60);
    expect(rows[59]).toEqual({ n: '59', text: 'Ngô 59' });
  });

  it('source_files: reads several files (each with its own header, BOM or not) as one output, in list order', async () => {
    const h = harness();
    await h.storage.put(`${DIR}/in/a.csv`, Buffer.from('\uFEFFid,Số tiền,st\r\n1,0.10,ok\r\n2,5,no\r\n', 'utf8'));
    await h.storage.put(`${DIR}/in/b.csv`, 'st,id,Số tiền\nok,3,0.20\n');
    const options = {
      transformations: [
        { type: 'column_mapping', from: 'Số tiền', to: 'amount' },
        { type: 'type_conversion', column: 'amount', target_type: 'decimal' },
        { type: 'filter', condition: "st == 'ok'" },
      ],
    };
    // File entries as an sftp download lists them, or plain keys.
    const out = await exec<FileReadOutput>(h, { operation: 'read', format: 'csv', source_files: [{ path: `${DIR}/in/a.csv`, filename: 'a.csv' }, 'in/b.csv'], options });
    expect(out).toEqual({ data: [{ id: '1', amount: '0.10', st: 'ok' }, { st: 'ok', id: '3', amount: '0.20' }], row_count: 2, rows_read: 3, columns: ['id', 'amount', 'st'], rejected: { count: 0, first: [] } });

    // A row error names its own file and row; with on_error: skip the reject carries the file.
    await h.storage.put(`${DIR}/in/c.csv`, 'id,Số tiền,st\n4,x1,ok\n');
    const err = (await caught(() => exec(h, { operation: 'read', format: 'csv', source_files: ['in/a.csv', 'in/c.csv'], options }))) as StepError;
    expect(err.code).toBe('FILE_ROW_INVALID');
    expect(err.message).toContain(`${DIR}/in/c.csv row 1 (line 2) column "amount" value "x1"`);
    const skipped = await exec<FileReadOutput>(h, { operation: 'read', format: 'csv', source_files: ['in/a.csv', 'in/c.csv'], options: { ...options, on_error: 'skip' } });
    expect(skipped.rejected.first).toEqual([expect.objectContaining({ file: `${DIR}/in/c.csv`, row: 1, line: 2, column: 'amount' })]);
    expect(skipped.row_count).toBe(1);

    // Different columns after transformations: refused, naming both files.
    await h.storage.put(`${DIR}/in/d.csv`, 'id,Số tiền,st,note\n5,1,ok,x\n');
    const differ = (await caught(() => exec(h, { operation: 'read', format: 'csv', source_files: ['in/a.csv', 'in/d.csv'], options }))) as StepError;
    expect(differ.code).toBe('FILE_COLUMNS_DIFFER');
    expect(differ.message).toContain(`${DIR}/in/d.csv: columns "id", "amount", "st", "note" differ from those of ${DIR}/in/a.csv ("id", "amount", "st")`);
    expect(await h.storage.exists(`${DIR}/output/read-data.ndjson`)).toBe(false);

    // No file: no rows, not a failure. A missing one: FILE_NOT_FOUND.
    expect(await exec<FileReadOutput>(h, { operation: 'read', format: 'csv', source_files: [] })).toEqual({ data: [], row_count: 0, rows_read: 0, columns: [], rejected: { count: 0, first: [] } });
    expect(((await caught(() => exec(h, { operation: 'read', format: 'csv', source_files: ['in/none.csv'] }))) as StepError).code).toBe('FILE_NOT_FOUND');
    expect(((await caught(() => exec(h, { operation: 'read', format: 'csv', source_files: ['jobs/other/x.csv'] }))) as StepError).message).toContain('source_files');
  });

  it('XLSX: a UTF-8 character split between two chunks stays whole (sheet names, shared strings, inline strings, styles)', async () => {
    // exceljs' streaming reader decodes each inflated chunk on its own; the harness reads in 7-byte chunks.
    const h = harness();
    const names = Array.from({ length: 300 }, (_, i) => `Nguyễn Thị Ánh Tuyết ${i}, Đường Lê Lợi, Phường Bến Nghé — 東京 🏦`);
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Giao dịch tháng 11');
    ws.addRow(['Mã', 'Khách hàng', 'Số tiền']);
    names.forEach((n, i) => ws.addRow([i, n, i + 0.5]));
    ws.getColumn(3).numFmt = '#,##0.00 "₫"';
    await h.storage.put(`${DIR}/input/vn.xlsx`, Buffer.from(await wb.xlsx.writeBuffer()));
    const out = await exec<FileReadOutput>(h, { operation: 'read', format: 'excel', source_path: 'input/vn.xlsx' });
    expect(out.sheet).toBe('Giao dịch tháng 11');
    expect(out.columns).toEqual(['Mã', 'Khách hàng', 'Số tiền']);
    expect(out.data!.map((r) => r['Khách hàng'])).toEqual(names);
    // The same through the writer's inline strings.
    await exec(h, { operation: 'write', format: 'excel', destination_path: 'vn2.xlsx', data_source: out, options: { sheet_name: 'Bản sao' } });
    const again = await exec<FileReadOutput>(h, { operation: 'read', format: 'excel', source_path: 'output/vn2.xlsx' });
    expect(again.data).toEqual(out.data);
  });

  it('source_files: excel files, the sheet chosen the same way in each; spills past the inline limit', async () => {
    const h = harness();
    for (const [name, rows] of [['x', [[1, 'Ấn']]], ['y', [[2, 'Bích'], [3, 'Cường']]]] as const) {
      const wb = new ExcelJS.Workbook();
      wb.addWorksheet('Bìa');
      const ws = wb.addWorksheet('Dữ liệu');
      ws.addRow(['id', 'tên']);
      for (const r of rows) ws.addRow([...r]);
      await h.storage.put(`${DIR}/in/${name}.xlsx`, Buffer.from(await wb.xlsx.writeBuffer()));
    }
    const out = await exec<FileReadOutput>(h, { operation: 'read', format: 'excel', source_files: ['in/x.xlsx', 'in/y.xlsx'], options: { sheet_name: 'Dữ liệu', inline_limit: { max_rows: 2 } } });
    expect(out).toMatchObject({ data_ref: `${DIR}/output/read-data.ndjson`, row_count: 3, rows_read: 3, columns: ['id', 'tên'], sheet: 'Dữ liệu' });
    expect(await allRows(h, out)).toEqual([{ id: 1, tên: 'Ấn' }, { id: 2, tên: 'Bích' }, { id: 3, tên: 'Cường' }]);
    const missing = (await caught(() => exec(h, { operation: 'read', format: 'excel', source_files: ['in/x.xlsx'], options: { sheet_name: 'Khác' } }))) as StepError;
    expect(missing.code).toBe('FILE_SHEET_NOT_FOUND');
  });

  it('a missing file is FILE_NOT_FOUND; another job’s key is refused', async () => {
    const h = harness();
    const missing = (await caught(() => exec(h, { operation: 'read', format: 'csv', source_path: 'input/none.csv' }))) as StepError;
    expect(missing.code).toBe('FILE_NOT_FOUND');
    expect(missing.message).toContain(`${DIR}/input/none.csv`);
    const other = (await caught(() => exec(h, { operation: 'read', format: 'csv', source_path: 'jobs/other/x.csv' }))) as StepError;
    expect(other.code).toBe('FILE_PATH_INVALID');
  });

  it('a failing read leaves no partial NDJSON behind', async () => {
    const h = harness();
    const lines = ['a'];
    for (let i = 0; i < 30; i++) lines.push(String(i));
    lines.push('"unterminated');
    await caught(() => readCsv(h, lines.join('\n'), { inline_limit: { max_rows: 5 } }));
    expect(await h.storage.list(`${DIR}/output/`)).toEqual([]);
  });

  it('rejects with StepAbortedError when the job signal aborts', async () => {
    const controller = new AbortController();
    const h = harness({ signal: controller.signal });
    controller.abort('cancelled');
    expect(await caught(() => readCsv(h, 'a\n1\n'))).toBeInstanceOf(StepAbortedError);
  });
});

describe('file_processing read with destination_path (single pass)', () => {
  const transformations = [
    { type: 'column_mapping', from: 'Số tiền', to: 'amount' },
    { type: 'type_conversion', column: 'amount', target_type: 'decimal', decimal_separator: ',' },
    { type: 'type_conversion', column: 'id', target_type: 'integer' },
    { type: 'filter', condition: "st == 'ok'" },
    { type: 'select', columns: ['id', 'amount', 'note'] },
  ];

  it('CSV → CSV: parses, transforms and writes the file in one pass; no rows, no NDJSON; the file is registered', async () => {
    const h = harness();
    await h.storage.put(`${DIR}/input/t.csv`, Buffer.from('\uFEFFid;Số tiền;st;note\r\n1;0,10;ok;Chuyển khoản\r\n2;5;no;x\r\n3;1,5;ok;"a; ""b""\nc"\r\n', 'utf8'));
    const out = await exec<FileReadToFileOutput>(h, {
      operation: 'read',
      format: 'csv',
      source_path: 'input/t.csv',
      destination_path: 'out/clean.csv',
      options: { transformations, output_delimiter: '|', line_ending: 'crlf' },
    });
    const key = `${DIR}/output/out/clean.csv`;
    const body = await h.storage.get(key);
    expect(body.toString('utf8')).toBe('id|amount|note\r\n1|0.10|Chuyển khoản\r\n3|1.5|"a; ""b""\nc"\r\n');
    expect(out).toEqual({
      files: [{ path: key, filename: 'clean.csv', size: body.length, mime_type: 'text/csv', row_count: 2, created_at: expect.any(String) }],
      row_count: 2,
      rows_read: 3,
      columns: ['id', 'amount', 'note'],
      rejected: { count: 0, first: [] },
    });
    expect(h.files).toEqual(out.files);
    expect((await h.storage.list(`${DIR}/output/`)).map((o) => o.key)).toEqual([key]);
  });

  it('CSV → XLSX (destination_format excel) and XLSX → CSV give the same rows as the two-step job', async () => {
    const h = harness();
    await h.storage.put(`${DIR}/input/t.csv`, 'id,Số tiền,st,note\n1,"1,25",ok,a\n2,3,ok,\n');
    await exec(h, { operation: 'read', format: 'csv', source_path: 'input/t.csv', destination_path: 'x.xlsx', destination_format: 'excel', options: { transformations, output_sheet_name: 'Bảng', column_formats: { amount: '#,##0.00' } } });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await h.storage.get(`${DIR}/output/x.xlsx`)) as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('Bảng')!;
    expect(ws.getRow(1).values).toEqual([undefined, 'id', 'amount', 'note']);
    expect(ws.getRow(2).values).toEqual([undefined, 1, 1.25, 'a']);
    expect(ws.getCell('B2').numFmt).toBe('#,##0.00');

    const back = await exec<FileReadToFileOutput>(h, { operation: 'read', format: 'excel', source_path: 'output/x.xlsx', destination_path: 'back.csv', destination_format: 'csv' });
    expect((await h.storage.get(`${DIR}/output/back.csv`)).toString('utf8')).toBe('id,amount,note\n1,1.25,a\n2,3,\n');
    expect(back.row_count).toBe(2);
  });

  it('source_files: columns in another order are written in the first file’s order; different columns fail before any row', async () => {
    const h = harness();
    await h.storage.put(`${DIR}/in/a.csv`, 'id,Số tiền,st,note\n1,"0,1",ok,a\n');
    await h.storage.put(`${DIR}/in/b.csv`, 'note,st,Số tiền,id\nb,ok,"0,2",2\n');
    const out = await exec<FileReadToFileOutput>(h, { operation: 'read', format: 'csv', source_files: ['in/a.csv', 'in/b.csv'], destination_path: 'all.csv', options: { transformations: transformations.slice(0, 4) } });
    expect((await h.storage.get(`${DIR}/output/all.csv`)).toString('utf8')).toBe('id,amount,st,note\n1,0.1,ok,a\n2,0.2,ok,b\n');
    expect(out.row_count).toBe(2);

    await h.storage.put(`${DIR}/in/c.csv`, 'id,Số tiền,st,note,extra\n3,1,ok,c,x\n');
    const err = (await caught(() => exec(h, { operation: 'read', format: 'csv', source_files: ['in/a.csv', 'in/c.csv'], destination_path: 'bad.csv', options: { transformations: transformations.slice(0, 4) } }))) as StepError;
    expect(err.code).toBe('FILE_COLUMNS_DIFFER');
    expect(await h.storage.exists(`${DIR}/output/bad.csv`)).toBe(false);
  });

  it('a bad row fails naming file, row and column and leaves no file; on_error skip lists it', async () => {
    const h = harness();
    await h.storage.put(`${DIR}/input/t.csv`, 'id,Số tiền,st,note\n1,2,ok,a\nx,3,ok,b\n');
    const h2 = { ...h, files: [] as FileEntry[] };
    const err = (await caught(() => exec(h2, { operation: 'read', format: 'csv', source_path: 'input/t.csv', destination_path: 'e.csv', options: { transformations } }))) as StepError;
    expect(err.code).toBe('FILE_ROW_INVALID');
    expect(err.message).toContain(`${DIR}/input/t.csv row 2 (line 3) column "id" value "x"`);
    expect(await h.storage.exists(`${DIR}/output/e.csv`)).toBe(false);
    expect(h.files).toEqual([]);
    const out = await exec<FileReadToFileOutput>(h, { operation: 'read', format: 'csv', source_path: 'input/t.csv', destination_path: 'e.csv', options: { transformations, on_error: 'skip' } });
    expect(out.rejected).toEqual({ count: 1, first: [expect.objectContaining({ row: 2, line: 3, column: 'id' })] });
    expect((await h.storage.get(`${DIR}/output/e.csv`)).toString('utf8')).toBe('id,amount,note\n1,2,a\n');
  });

  it('the config: destination_format and output_* only with a read to a file; not with all_sheets', () => {
    const problems = (raw: Record<string, unknown>): string[] => {
      try {
        validateStepConfig(executor, raw);
        return [];
      } catch (err) {
        return ((err as { issues?: { path: string }[] }).issues ?? []).map((i) => i.path);
      }
    };
    expect(problems({ operation: 'read', format: 'csv', source_path: 'a.csv', destination_path: 'b.csv', destination_format: 'excel', options: { output_delimiter: ';' } })).toEqual([]);
    expect(problems({ operation: 'read', format: 'csv', source_path: 'a.csv', destination_format: 'excel' })).toEqual(['config.destination_format']);
    expect(problems({ operation: 'write', format: 'csv', destination_path: 'b.csv', data_source: [], destination_format: 'csv' })).toEqual(['config.destination_format']);
    expect(problems({ operation: 'read', format: 'excel', source_path: 'a.xlsx', destination_path: 'b.csv', options: { all_sheets: true } })).toEqual(['config.destination_path']);
    expect(problems({ operation: 'read', format: 'csv', source_path: 'a.csv', destination_path: 'b.csv', options: { output_delimiter: 'auto' } })).toEqual(['config.options.output_delimiter']);
  });
});

describe('file_processing write', () => {
  const rows = [
    { id: 1, name: 'Phạm Minh Đức', amount: '1234.50', when: '2024-03-01', ok: true, note: null },
    { id: 2, name: 'Lê, "Quốc"', amount: '0.30', when: '2024-03-02T10:20:30', ok: false, note: 'x\ny' },
  ];

  it('writes a CSV to the output folder, registers the file and returns {files, row_count}', async () => {
    const h = harness();
    const out = await exec<FileWriteOutput>(h, {
      operation: 'write',
      format: 'csv',
      destination_path: 'reports/day.csv',
      data_source: rows,
      options: { line_ending: 'crlf', bom: true, columns: ['id', 'name', 'amount', 'ok', 'note'] },
    });
    const key = `${DIR}/output/reports/day.csv`;
    const body = await h.storage.get(key);
    expect(body.toString('utf8')).toBe('\uFEFFid,name,amount,ok,note\r\n1,Phạm Minh Đức,1234.50,true,\r\n2,"Lê, ""Quốc""",0.30,false,"x\ny"\r\n');
    expect(out.row_count).toBe(2);
    expect(out.files).toEqual([{ path: key, filename: 'day.csv', size: body.length, mime_type: 'text/csv', row_count: 2, created_at: expect.any(String) }]);
    expect(h.files).toEqual(out.files);
  });

  it('writes an XLSX that exceljs reads back: header, numbers from formatted decimal strings, dates, text', async () => {
    const h = harness();
    const out = await exec<FileWriteOutput>(h, {
      operation: 'write',
      format: 'excel',
      destination_path: 'r.xlsx',
      data_source: { data: rows, columns: ['id', 'name', 'amount', 'when', 'ok'] },
      options: { sheet_name: 'Báo cáo', column_formats: { amount: '#,##0.00', when: 'yyyy-mm-dd hh:mm:ss' } },
    });
    expect(out.files[0]!.mime_type).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await h.storage.get(`${DIR}/output/r.xlsx`)) as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('Báo cáo')!;
    expect(ws.getRow(1).values).toEqual([undefined, 'id', 'name', 'amount', 'when', 'ok']);
    expect(ws.getCell('B2').value).toBe('Phạm Minh Đức');
    expect(ws.getCell('C2').value).toBe(1234.5);
    expect(ws.getCell('C2').numFmt).toBe('#,##0.00');
    expect(ws.getCell('C3').value).toBe(0.3);
    expect((ws.getCell('D3').value as Date).toISOString()).toBe('2024-03-02T10:20:30.000Z');
    expect(ws.getCell('E3').value).toBe(false);
    expect(ws.rowCount).toBe(3);
  });

  it('round trip: an XLSX it wrote reads back with the same rows', async () => {
    const h = harness();
    await exec(h, { operation: 'write', format: 'excel', destination_path: 'a.xlsx', data_source: rows });
    const out = await exec<FileReadOutput>(h, { operation: 'read', format: 'excel', source_path: 'output/a.xlsx' });
    expect(out.sheet).toBe('Sheet1');
    expect(out.columns).toEqual(['id', 'name', 'amount', 'when', 'ok', 'note']);
    expect(out.data).toEqual(rows.map((r) => ({ ...r })));
  });

  it('streams rows from a data_ref (a read output beyond the limit)', async () => {
    const h = harness();
    const lines = ['n,v'];
    for (let i = 0; i < 50; i++) lines.push(`${i},${i * 2}`);
    const read = await readCsv(h, lines.join('\n'), { inline_limit: { max_rows: 5 } });
    expect(read.data_ref).toBeDefined();
    const out = await exec<FileWriteOutput>(h, { operation: 'write', format: 'csv', destination_path: 'copy.csv', data_source: read });
    expect(out.row_count).toBe(50);
    const text = (await h.storage.get(`${DIR}/output/copy.csv`)).toString();
    expect(text.split('\n')[0]).toBe('n,v');
    expect(text.split('\n')[50]).toBe('49,98');
  });

  it("writes a database step's whole output ({rows, columns}); its columns set the order", async () => {
    const h = harness();
    const query = { rows: [{ bank: 'VCB', total: '1234567.89' }, { bank: 'TCB', total: '0.10' }], row_count: 2, affected_rows: 0, columns: ['total', 'bank'] };
    const out = await exec<FileWriteOutput>(h, { operation: 'write', format: 'csv', destination_path: 'sum.csv', data_source: query });
    expect(out.row_count).toBe(2);
    expect((await h.storage.get(`${DIR}/output/sum.csv`)).toString()).toBe('total,bank\n1234567.89,VCB\n0.10,TCB\n');
    // A DML result has columns [] and no rows: an empty file, not a failure.
    const empty = await exec<FileWriteOutput>(h, { operation: 'write', format: 'csv', destination_path: 'none.csv', data_source: { rows: [], row_count: 3, affected_rows: 3, columns: [] } });
    expect(empty.row_count).toBe(0);
  });

  it('a failing source leaves no file and registers nothing', async () => {
    const h = harness();
    const err = (await caught(() =>
      exec(h, { operation: 'write', format: 'excel', destination_path: 'bad.xlsx', data_source: [{ a: 1 }, { a: 2 }, 'not a row'] }),
    )) as StepError;
    expect(err.message).toContain('row 3');
    expect(await h.storage.exists(`${DIR}/output/bad.xlsx`)).toBe(false);
    expect(h.files).toEqual([]);
  });
});

describe('file_processing read excel', () => {
  async function workbook(h: Harness, build: (wb: ExcelJS.Workbook) => void): Promise<void> {
    const wb = new ExcelJS.Workbook();
    build(wb);
    await h.storage.put(`${DIR}/input/w.xlsx`, Buffer.from(await wb.xlsx.writeBuffer()));
  }

  it('picks a sheet by name or index, or reads all sheets; a missing sheet names the ones there are', async () => {
    const h = harness();
    await workbook(h, (wb) => {
      wb.addWorksheet('Một').addRows([['a'], [1]]);
      wb.addWorksheet('Hai').addRows([['b'], [2], [3]]);
    });
    const base = { operation: 'read', format: 'excel', source_path: 'input/w.xlsx' };
    expect((await exec<FileReadOutput>(h, { ...base, options: { sheet_name: 'Hai' } })).data).toEqual([{ b: 2 }, { b: 3 }]);
    expect((await exec<FileReadOutput>(h, { ...base, options: { sheet_index: 0 } })).data).toEqual([{ a: 1 }]);
    const all = await exec<FileReadAllSheetsOutput>(h, { ...base, options: { all_sheets: true } });
    expect(Object.keys(all.sheets)).toEqual(['Một', 'Hai']);
    expect(all.sheets['Hai']!.data).toEqual([{ b: 2 }, { b: 3 }]);
    expect(all.row_count).toBe(3);
    const err = (await caught(() => exec(h, { ...base, options: { sheet_name: 'Ba' } }))) as StepError;
    expect(err.code).toBe('FILE_SHEET_NOT_FOUND');
    expect(err.message).toBe(`${DIR}/input/w.xlsx: no sheet "Ba" (sheets: "Một", "Hai")`);
  });

  it('a file that is not an XLSX fails naming the file and the reason', async () => {
    const h = harness();
    await h.storage.put(`${DIR}/input/w.xlsx`, 'a,b\n1,2\n');
    const err = (await caught(() => exec(h, { operation: 'read', format: 'excel', source_path: 'input/w.xlsx' }))) as StepError;
    expect(err.code).toBe('FILE_FORMAT_INVALID');
    expect(err.message).toBe(`${DIR}/input/w.xlsx: not an XLSX file: it is not a ZIP archive (an XLSX is one)`);
  });
});

/** The thread specs' transformations: a mapping, integer and decimal conversions, a filter on `st`, then `select`. */
function threadSpecTransformations(columns: string[]): Record<string, unknown>[] {
  return [
    { type: 'column_mapping', from: 'Số tiền', to: 'amount' },
    { type: 'type_conversion', column: 'id', target_type: 'integer' },
    { type: 'type_conversion', column: 'amount', target_type: 'decimal', scale: 2 },
    { type: 'filter', condition: "st == 'ok'" },
    { type: 'select', columns },
  ];
}

describe('file_processing: CSV parsed in a worker thread', () => {
  jest.setTimeout(15_000);
  const transformations = threadSpecTransformations(['id', 'amount', 'note']);
  const inThread = new FileProcessingExecutor({ csvWorker: { enabled: false } });
  const threaded = (onStart?: (worker: Worker) => void): Threaded => threadedExecutor('csv', onStart);
  /** ~3,000 rows: BOM, CRLF, quoted delimiters, quotes and newlines, decimals to round, rows the filter drops, one bad id. */
  const text =
    '\uFEFFid;Số tiền;st;note\r\n' +
    Array.from({ length: 3000 }, (_v, i) => `${i === 2222 ? 'x' : i};${i}.${i % 1000}5;${i % 5 === 0 ? 'no' : 'ok'};"Chuyển khoản; ""mã"" ${i}${i % 3 === 0 ? '\r\ndòng 2' : ''}"\r\n`).join('');

  it('single pass: the same file, counts and rejects as in the calling thread (on_error skip)', async () => {
    const a = harness();
    const b = harness();
    await a.storage.put(`${DIR}/input/t.csv`, Buffer.from(text, 'utf8'));
    await b.storage.put(`${DIR}/input/t.csv`, Buffer.from(text, 'utf8'));
    const config = { operation: 'read', format: 'csv', source_path: 'input/t.csv', destination_path: 'o.csv', options: { transformations, on_error: 'skip', output_delimiter: ';', line_ending: 'crlf' } };
    const expected = await run<FileReadToFileOutput>(inThread, a, config);
    const t = threaded();
    const actual = await run<FileReadToFileOutput>(t.executor, b, config);
    expect(t.started).toHaveLength(1);
    expect(actual.row_count).toBe(expected.row_count);
    expect(actual.rows_read).toBe(3000);
    expect(actual.rejected).toEqual(expected.rejected);
    // Line: header + 2,223 records + 741 quoted CRLFs before it, which csv-parse counts as two lines each (as in this thread).
    expect(actual.rejected.first).toEqual([expect.objectContaining({ row: 2223, line: 1 + 2223 + 2 * 741, column: 'id', value: '"x"' })]);
    const file = await b.storage.get(`${DIR}/output/o.csv`);
    expect(file.equals(await a.storage.get(`${DIR}/output/o.csv`))).toBe(true);
    expect(file.toString('utf8')).toContain('\r\n3;3.35;"Chuyển khoản; ""mã"" 3\r\ndòng 2"\r\n');
    await t.exited[0];
  });

  it('rows out (NDJSON beyond the inline limit): the same rows as in the calling thread', async () => {
    const a = harness();
    const b = harness();
    const clean = text.replace('\r\nx;', '\r\n2222;');
    await a.storage.put(`${DIR}/input/t.csv`, Buffer.from(clean, 'utf8'));
    await b.storage.put(`${DIR}/input/t.csv`, Buffer.from(clean, 'utf8'));
    const config = { operation: 'read', format: 'csv', source_path: 'input/t.csv', options: { transformations } };
    const expected = await run<FileReadOutput>(new FileProcessingExecutor({ csvWorker: { enabled: false }, inlineLimits: { maxRows: 500 } }), a, config);
    const t = threaded();
    const actual = await run<FileReadOutput>(t.executor, b, config);
    expect(t.started).toHaveLength(1);
    expect(actual.data_ref).toBeDefined();
    expect(actual.row_count).toBe(2400);
    expect(await allRows(b, actual)).toEqual(await allRows(a, expected));
  });

  it('a bad row fails with the same error (file, row, line, column, value) and leaves no file', async () => {
    const a = harness();
    const b = harness();
    await a.storage.put(`${DIR}/input/t.csv`, Buffer.from(text, 'utf8'));
    await b.storage.put(`${DIR}/input/t.csv`, Buffer.from(text, 'utf8'));
    const config = { operation: 'read', format: 'csv', source_path: 'input/t.csv', destination_path: 'o.csv', options: { transformations } };
    const expected = (await caught(() => run(inThread, a, config))) as StepError;
    const t = threaded();
    const actual = (await caught(() => run(t.executor, b, config))) as StepError;
    expect(actual.code).toBe('FILE_ROW_INVALID');
    expect(actual.message).toBe(expected.message);
    expect(actual.message).toContain(`${DIR}/input/t.csv row 2223 (line 3706) column "id" value "x"`);
    expect(await b.storage.exists(`${DIR}/output/o.csv`)).toBe(false);
    expect(b.files).toEqual([]);
    await t.exited[0];
  });

  it('an unterminated quote: the same FILE_FORMAT_INVALID error as in the calling thread', async () => {
    const a = harness();
    const b = harness();
    const bad = `${text}1;2;ok;"open\r\n`;
    await a.storage.put(`${DIR}/input/t.csv`, bad);
    await b.storage.put(`${DIR}/input/t.csv`, bad);
    const config = { operation: 'read', format: 'csv', source_path: 'input/t.csv', destination_path: 'o.csv', options: { on_error: 'skip' } };
    const expected = (await caught(() => run(inThread, a, config))) as StepError;
    const actual = (await caught(() => run(threaded().executor, b, config))) as StepError;
    expect(actual.code).toBe('FILE_FORMAT_INVALID');
    expect(actual.message).toBe(expected.message);
    expect(actual.details).toEqual(expected.details);
  });

  it('the job signal aborting mid-file rejects with StepAbortedError, stops the thread and leaves no file', async () => {
    const controller = new AbortController();
    const h = harness({ signal: controller.signal });
    const body = await endlessInput(h, 'endless.csv', text);
    // Aborted once the thread has posted rows.
    const t = threaded((worker) => worker.on('message', (m: { type: string; message?: { type: string } }) => m.message?.type === 'batch' && controller.abort('cancelled')));
    const err = await caught(() => run(t.executor, h, { operation: 'read', format: 'csv', source_path: 'input/endless.csv', destination_path: 'o.csv', options: { transformations, on_error: 'skip' } }));
    expect(err).toBeInstanceOf(StepAbortedError);
    expect(t.started).toHaveLength(1);
    await t.exited[0];
    expect(body.destroyed).toBe(true);
    expect(await h.storage.exists(`${DIR}/output/o.csv`)).toBe(false);
  });
});

describe('file_processing: XLSX read in a worker thread', () => {
  jest.setTimeout(15_000);
  const transformations = threadSpecTransformations(['id', 'amount', 'day', 'note']);
  const inThread = new FileProcessingExecutor({ xlsxWorker: { enabled: false } });
  const threaded = (onStart?: (worker: Worker) => void): Threaded => threadedExecutor('xlsx', onStart);
  /** Two sheets; the second has ~3,000 rows: dates, a formula, empty cells, rows the filter drops, one bad id. */
  let workbook: Buffer;
  beforeAll(async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('Trước').addRow(['a']);
    const ws = wb.addWorksheet('Giao dịch');
    ws.addRow(['id', 'Số tiền', 'st', 'day', 'note']);
    for (let i = 0; i < 3000; i++) {
      const row = ws.addRow([i === 2222 ? 'x' : i, { formula: `${i}/10`, result: i / 10 + 0.005 }, i % 5 === 0 ? 'no' : 'ok', new Date(Date.UTC(2024, 1, 1 + (i % 60))), i % 3 === 0 ? null : `Chuyển khoản ${i}`]);
      row.getCell(4).numFmt = 'yyyy-mm-dd';
    }
    workbook = Buffer.from(await wb.xlsx.writeBuffer());
  });
  async function sheetRows(bytes: Buffer): Promise<unknown[][]> {
    const out: unknown[][] = [];
    for await (const sheet of readXlsxSheets(Readable.from([bytes]), 'out.xlsx')) for await (const batch of sheet.batches()) out.push(...batch.map((row) => row.values));
    return out;
  }

  it('single pass xlsx → xlsx: the same rows, counts and rejects as in the calling thread (on_error skip)', async () => {
    const a = harness();
    const b = harness();
    await a.storage.put(`${DIR}/input/t.xlsx`, workbook);
    await b.storage.put(`${DIR}/input/t.xlsx`, workbook);
    const config = { operation: 'read', format: 'excel', source_path: 'input/t.xlsx', destination_path: 'o.xlsx', options: { sheet_name: 'Giao dịch', transformations, on_error: 'skip' } };
    const expected = await run<FileReadToFileOutput>(inThread, a, config);
    const t = threaded();
    const actual = await run<FileReadToFileOutput>(t.executor, b, config);
    expect(t.started).toHaveLength(1);
    expect(actual.row_count).toBe(expected.row_count);
    expect(actual.rows_read).toBe(3000);
    expect(actual.sheet).toBe('Giao dịch');
    expect(actual.rejected).toEqual(expected.rejected);
    expect(actual.rejected.first).toEqual([expect.objectContaining({ row: 2223, line: 2224, sheet: 'Giao dịch', column: 'id', value: '"x"' })]);
    const rows = await sheetRows(await b.storage.get(`${DIR}/output/o.xlsx`));
    expect(rows).toEqual(await sheetRows(await a.storage.get(`${DIR}/output/o.xlsx`)));
    expect(rows[1]).toEqual([1, '0.11', '2024-02-02', 'Chuyển khoản 1']);
    await t.exited[0];
  });

  it('rows out, every sheet (NDJSON beyond the inline limit): the same rows as in the calling thread', async () => {
    const a = harness();
    const b = harness();
    await a.storage.put(`${DIR}/input/t.xlsx`, workbook);
    await b.storage.put(`${DIR}/input/t.xlsx`, workbook);
    const config = { operation: 'read', format: 'excel', source_path: 'input/t.xlsx', options: { all_sheets: true } };
    const expected = await run<FileReadAllSheetsOutput>(new FileProcessingExecutor({ xlsxWorker: { enabled: false }, inlineLimits: { maxRows: 500 } }), a, config);
    const t = threaded();
    const actual = await run<FileReadAllSheetsOutput>(t.executor, b, config);
    expect(t.started).toHaveLength(1);
    expect(Object.keys(actual.sheets)).toEqual(['Trước', 'Giao dịch']);
    expect(actual.row_count).toBe(3000);
    expect(actual.sheets['Giao dịch']!.data_ref).toBeDefined();
    expect(await allRows(b, actual.sheets['Giao dịch'])).toEqual(await allRows(a, expected.sheets['Giao dịch']));
  });

  it('a bad row fails with the same error (file, sheet, row, column, value) and leaves no file; a missing sheet names the sheets seen', async () => {
    const a = harness();
    const b = harness();
    await a.storage.put(`${DIR}/input/t.xlsx`, workbook);
    await b.storage.put(`${DIR}/input/t.xlsx`, workbook);
    const config = { operation: 'read', format: 'excel', source_path: 'input/t.xlsx', destination_path: 'o.xlsx', options: { sheet_index: 1, transformations } };
    const expected = (await caught(() => run(inThread, a, config))) as StepError;
    const t = threaded();
    const actual = (await caught(() => run(t.executor, b, config))) as StepError;
    expect(actual.code).toBe('FILE_ROW_INVALID');
    expect(actual.message).toBe(expected.message);
    expect(actual.message).toContain(`${DIR}/input/t.xlsx sheet "Giao dịch" row 2223 (sheet row 2224) column "id" value "x"`);
    expect(await b.storage.exists(`${DIR}/output/o.xlsx`)).toBe(false);
    expect(b.files).toEqual([]);
    await t.exited[0];
    const missing = { operation: 'read', format: 'excel', source_path: 'input/t.xlsx', options: { sheet_name: 'Không có' } };
    const expectedMissing = (await caught(() => run(inThread, a, missing))) as StepError;
    const actualMissing = (await caught(() => run(threaded().executor, b, missing))) as StepError;
    expect(actualMissing.code).toBe(expectedMissing.code);
    expect(actualMissing.message).toBe(expectedMissing.message);
    expect(actualMissing.message).toContain('Trước');
  });

  it('the job signal aborting mid-file rejects with StepAbortedError, stops the thread and leaves no file', async () => {
    const controller = new AbortController();
    const h = harness({ signal: controller.signal });
    const body = await endlessInput(h, 'endless.xlsx', workbook);
    // Aborted once the thread has posted rows.
    const t = threaded((worker) => worker.on('message', (m: { type: string; message?: { type: string } }) => m.message?.type === 'rows' && controller.abort('cancelled')));
    const err = await caught(() => run(t.executor, h, { operation: 'read', format: 'excel', source_path: 'input/endless.xlsx', destination_path: 'o.xlsx', options: { sheet_index: 1, transformations, on_error: 'skip' } }));
    expect(err).toBeInstanceOf(StepAbortedError);
    expect(t.started).toHaveLength(1);
    await t.exited[0];
    expect(body.destroyed).toBe(true);
    expect(await h.storage.exists(`${DIR}/output/o.xlsx`)).toBe(false);
  });
});
