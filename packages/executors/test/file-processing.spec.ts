import { execFile } from 'child_process';
import { mkdtemp, readFile, rm } from 'fs/promises';
import { tmpdir } from 'os';
import path from 'path';
import { promisify } from 'util';
import ExcelJS from 'exceljs';
import type { FileEntry } from '@vecron/context';
import { MinioObjectStorage, parseS3EndpointUrl } from '@vecron/storage';
import type { StepError } from '../src/errors';
import { FileProcessingExecutor } from '../src/file_processing/file-processing.executor';
import type { FileReadAllSheetsOutput, FileReadOutput, FileReadToFileOutput, FileWriteOutput } from '../src/file_processing/file-processing.output';
import { readRows, type Row } from '../src/rows/row-data';
import type { StepRunContext } from '../src/step-executor';
import { validateStepConfig } from '../src/validate-step-config';
import { caught, runContext } from './support';
import { startTsWorker } from './worker-support';

/**
 * The file_processing step against the local S3 endpoint (scripts/services.sh up), on files
 * written by LibreOffice (not by our own writer): dates, formulas with cached values, a merged
 * range, empty cells, Vietnamese text, two sheets.
 */

const run = promisify(execFile);
const JOB = `job-${Date.now().toString(36)}`;
const EXEC = 'exec-1';
const DIR = `jobs/${JOB}/executions/${EXEC}`;
const executor = new FileProcessingExecutor();

const storage = new MinioObjectStorage({
  ...parseS3EndpointUrl(process.env.VECRON_TEST_S3_ENDPOINT ?? 'http://127.0.0.1:29000'),
  accessKey: process.env.VECRON_TEST_S3_ACCESS_KEY ?? 'S3RVER',
  secretKey: process.env.VECRON_TEST_S3_SECRET_KEY ?? 'S3RVER',
  bucket: 'vecron-test-file-processing',
});

let work: string;
let files: FileEntry[];

function ctx(stepId = 'read'): StepRunContext {
  return runContext({ storage, jobId: JOB, executionId: EXEC, stepId, addFile: (f) => void files.push(f) });
}

async function exec<T>(raw: Record<string, unknown>, stepId?: string): Promise<T> {
  return (await executor.execute(validateStepConfig(executor, raw), ctx(stepId))) as T;
}

beforeAll(async () => {
  await storage.ensureBucket();
  work = await mkdtemp(path.join(tmpdir(), 'vecron-lo-'));
  // Its own LibreOffice profile, so parallel runs do not share (and lock) one.
  await run(
    'soffice',
    ['--headless', '--norestore', '--nolockcheck', `-env:UserInstallation=file://${work}/profile`, '--convert-to', 'xlsx', '--outdir', work, path.join(__dirname, 'fixtures/giao-dich.fods')],
    { timeout: 110_000 },
  );
  await storage.put(`${DIR}/input/giao-dich.xlsx`, await readFile(path.join(work, 'giao-dich.xlsx')));
}, 120_000);

beforeEach(() => {
  files = [];
});

afterAll(async () => {
  await storage.deletePrefix(`jobs/${JOB}/`);
  if (work) await rm(work, { recursive: true, force: true });
});

describe('file_processing on a LibreOffice XLSX in S3', () => {
  it('reads dates as ISO, formulas as cached values, merged and empty cells predictably, Vietnamese intact', async () => {
    const out = await exec<FileReadOutput>({ operation: 'read', format: 'excel', source_path: 'input/giao-dich.xlsx', options: { sheet_name: 'Giao dịch' } });
    expect(out.sheet).toBe('Giao dịch');
    expect(out.columns).toEqual(['Mã', 'Khách hàng', 'Số tiền', 'Ngày', 'Gấp đôi', 'Ghi chú']);
    expect(out.data).toEqual([
      { Mã: 1, 'Khách hàng': 'Nguyễn Văn Ấn', 'Số tiền': 1234.5, Ngày: '2024-01-31', 'Gấp đôi': 2469, 'Ghi chú': 'đã thanh toán' },
      { Mã: 2, 'Khách hàng': 'Trần Thị Bích', 'Số tiền': 0.1, Ngày: '2024-02-29', 'Gấp đôi': 0.2, 'Ghi chú': null },
      // B4:C4 merged: the value is in B4, C4 is empty; D4 empty; E4 a string formula.
      { Mã: 3, 'Khách hàng': 'ô gộp', 'Số tiền': null, Ngày: null, 'Gấp đôi': '3-x', 'Ghi chú': 'cuối' },
    ]);
  });

  it('reads the same rows when exceljs runs in a worker thread (every sheet, and a single pass to XLSX)', async () => {
    const started: number[] = [];
    const threaded = new FileProcessingExecutor({
      xlsxWorker: {
        minBytes: 0,
        createWorker: (workerData) => {
          started.push(1);
          return startTsWorker(path.join(__dirname, '../src/file_processing/xlsx.worker.ts'), { workerData });
        },
      },
    });
    const viaThread = async <T>(raw: Record<string, unknown>, stepId?: string): Promise<T> => (await threaded.execute(validateStepConfig(threaded, raw), ctx(stepId))) as T;
    const all = { operation: 'read', format: 'excel', source_path: 'input/giao-dich.xlsx', options: { all_sheets: true } };
    expect(await viaThread<FileReadAllSheetsOutput>(all)).toEqual(await exec<FileReadAllSheetsOutput>(all));
    const pass = (to: string): Record<string, unknown> => ({ operation: 'read', format: 'excel', source_path: 'input/giao-dich.xlsx', destination_path: to, options: { sheet_name: 'Giao dịch' } });
    const a = await exec<FileReadToFileOutput>(pass('lo-a.xlsx'), 'pass-a');
    const b = await viaThread<FileReadToFileOutput>(pass('lo-b.xlsx'), 'pass-b');
    expect(started).toHaveLength(2);
    expect(b.row_count).toBe(3);
    expect({ ...b, files: [] }).toEqual({ ...a, files: [] });
    const back = await exec<FileReadOutput>({ operation: 'read', format: 'excel', source_path: 'output/lo-b.xlsx' }, 'back');
    expect(back.data).toEqual((await exec<FileReadOutput>({ operation: 'read', format: 'excel', source_path: 'output/lo-a.xlsx' }, 'back-a')).data);
    expect(back.data).toEqual([
      { Mã: 1, 'Khách hàng': 'Nguyễn Văn Ấn', 'Số tiền': 1234.5, Ngày: '2024-01-31', 'Gấp đôi': 2469, 'Ghi chú': 'đã thanh toán' },
      { Mã: 2, 'Khách hàng': 'Trần Thị Bích', 'Số tiền': 0.1, Ngày: '2024-02-29', 'Gấp đôi': 0.2, 'Ghi chú': null },
      { Mã: 3, 'Khách hàng': 'ô gộp', 'Số tiền': null, Ngày: null, 'Gấp đôi': '3-x', 'Ghi chú': 'cuối' },
    ]);
  });

  it('transforms as it reads: decimal keeps 0.1 exact, filter on a quoted column, select', async () => {
    const out = await exec<FileReadOutput>({
      operation: 'read',
      format: 'excel',
      source_path: `${DIR}/input/giao-dich.xlsx`,
      options: {
        sheet_index: 0,
        transformations: [
          { type: 'column_mapping', from: 'Số tiền', to: 'amount' },
          { type: 'type_conversion', column: 'amount', target_type: 'decimal', scale: 2 },
          { type: 'filter', condition: "amount != null && ['Khách hàng'] != 'x'" },
          { type: 'select', columns: ['Mã', 'amount', 'Ngày'] },
        ],
      },
    });
    expect(out.data).toEqual([
      { Mã: 1, amount: '1234.50', Ngày: '2024-01-31' },
      { Mã: 2, amount: '0.10', Ngày: '2024-02-29' },
    ]);
    expect(out.rows_read).toBe(3);
  });

  it('reads every sheet in workbook order', async () => {
    const out = await exec<FileReadAllSheetsOutput>({ operation: 'read', format: 'excel', source_path: 'input/giao-dich.xlsx', options: { all_sheets: true } });
    expect(Object.keys(out.sheets)).toEqual(['Giao dịch', 'Khác']);
    expect(out.sheets['Khác']!.data).toEqual([{ k: 7 }]);
    expect(out.row_count).toBe(4);
  });

  it('write → S3 → read: 30,000 rows spill to NDJSON, stream into an XLSX, and read back', async () => {
    const rows = Array.from({ length: 30_000 }, (_, i) => ({ id: i + 1, name: `Khách ${i + 1} – Đà Nẵng`, amount: `${i}.05` }));
    await storage.put(`${DIR}/input/big.csv`, ['id,name,amount', ...rows.map((r) => `${r.id},${r.name},${r.amount}`)].join('\r\n'));
    const read = await exec<FileReadOutput>({
      operation: 'read',
      format: 'csv',
      source_path: 'input/big.csv',
      options: { transformations: [{ type: 'type_conversion', column: 'amount', target_type: 'decimal' }] },
    });
    expect(read.data_ref).toBe(`${DIR}/output/read-data.ndjson`);
    expect(read.row_count).toBe(30_000);
    const write = await exec<FileWriteOutput>(
      { operation: 'write', format: 'excel', destination_path: 'big.xlsx', data_source: read, options: { column_formats: { amount: '#,##0.00' } } },
      'write',
    );
    expect(write.row_count).toBe(30_000);
    expect(files).toEqual(write.files);
    expect((await storage.stat(write.files[0]!.path)).size).toBe(write.files[0]!.size);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await storage.get(`${DIR}/output/big.xlsx`)) as unknown as ArrayBuffer);
    const ws = wb.worksheets[0]!;
    expect(ws.rowCount).toBe(30_001);
    expect(ws.getRow(30_001).values).toEqual([undefined, '30000', 'Khách 30000 – Đà Nẵng', 29_999.05]);
    const back: Row[] = [];
    for await (const r of readRows({ data_ref: read.data_ref }, { storage, jobId: JOB, executionId: EXEC })) back.push(r);
    expect(back[12_345]).toEqual({ id: '12346', name: 'Khách 12346 – Đà Nẵng', amount: '12345.05' });
  }, 60_000);

  it('single pass (read with destination_path): a multipart upload with the same bytes as the two-step read → write', async () => {
    const n = 150_000;
    const lines = ['id;Tên khách;Số tiền;st'];
    for (let i = 1; i <= n; i++) lines.push(`${i};"Khách ${i} – Đà Nẵng; chi nhánh Hải Châu";${i - 1},05;${i % 10 === 0 ? 'void' : 'paid'}`);
    await storage.put(`${DIR}/input/many.csv`, lines.join('\r\n') + '\r\n');
    const options = {
      transformations: [
        { type: 'column_mapping', from: 'Số tiền', to: 'amount' },
        { type: 'type_conversion', column: 'amount', target_type: 'decimal', decimal_separator: ',' },
        { type: 'type_conversion', column: 'id', target_type: 'integer' },
        { type: 'filter', condition: "st == 'paid'" },
        { type: 'select', columns: ['id', 'Tên khách', 'amount'] },
      ],
    };
    const single = await exec<FileReadToFileOutput>({ operation: 'read', format: 'csv', source_path: 'input/many.csv', destination_path: 'single.csv', options }, 'convert');
    expect(single.row_count).toBe(n - n / 10);
    expect(single.rows_read).toBe(n);
    expect(files).toEqual(single.files);
    const info = await storage.stat(`${DIR}/output/single.csv`);
    expect(info.size).toBe(single.files[0]!.size);
    expect(info.size).toBeGreaterThan(8 * 1024 * 1024); // beyond one 8 MiB part: a multipart upload
    expect(info.etag).toMatch(/-2$/);

    const read = await exec<FileReadOutput>({ operation: 'read', format: 'csv', source_path: 'input/many.csv', options });
    await exec<FileWriteOutput>({ operation: 'write', format: 'csv', destination_path: 'two-step.csv', data_source: read }, 'write');
    const [a, b] = await Promise.all([storage.get(`${DIR}/output/single.csv`), storage.get(`${DIR}/output/two-step.csv`)]);
    expect(a.equals(b)).toBe(true);
    expect(a.subarray(0, 300).toString('utf8').split('\n').slice(0, 3)).toEqual(['id,Tên khách,amount', '1,Khách 1 – Đà Nẵng; chi nhánh Hải Châu,0.05', '2,Khách 2 – Đà Nẵng; chi nhánh Hải Châu,1.05']);
  }, 60_000);

  it('a failed write leaves no object and no file entry', async () => {
    const err = (await caught(() =>
      exec({ operation: 'write', format: 'csv', destination_path: 'broken.csv', data_source: { data_ref: `${DIR}/output/none.ndjson` } }, 'write'),
    )) as StepError;
    expect(err).toBeDefined();
    expect(await storage.exists(`${DIR}/output/broken.csv`)).toBe(false);
    expect(files).toEqual([]);
  });
});
