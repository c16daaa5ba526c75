import { readdirSync, readlinkSync } from 'fs';
import { mkdtemp, readdir, rm } from 'fs/promises';
import os from 'os';
import path from 'path';
import { PassThrough, Readable } from 'stream';
import ExcelJS from 'exceljs';
import { caught } from '../../test/support';
import { FileFormatError } from './file-processing.errors';
import { readXlsxSheets } from './xlsx.reader';

const FILE = 'jobs/j/executions/e/input/t.xlsx';

/**
 * A workbook as exceljs' streaming writer (and Excel) lays it out: the sheets come before the
 * workbook's parts in the ZIP, so exceljs' reader inflates each sheet into a temp file first.
 */
async function streamedWorkbook(sheets: number, rows: number): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false, useStyles: true });
  for (let s = 1; s <= sheets; s++) {
    const ws = wb.addWorksheet(`Trang ${s}`);
    ws.addRow(['id', 'Khách hàng', 'Số tiền']).commit();
    for (let i = 1; i <= rows; i++) ws.addRow([i, `Nguyễn Văn Ấn ${s}-${i}`, i / 4]).commit();
    ws.commit();
  }
  await wb.commit();
  return Buffer.concat(chunks);
}

function source(bytes: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 16_384) chunks.push(bytes.subarray(i, i + 16_384));
  return Readable.from(chunks, { objectMode: false });
}

/** This process's open descriptors on files under `dir` (Linux /proc; a removed file shows as "… (deleted)"). */
function openUnder(dir: string): string[] {
  const links: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir)) links.push(target);
    } catch {
      // closed meanwhile
    }
  }
  return links;
}

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

describe('readXlsxSheets: temp files and files cut short', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'vecron-xlsx-spec-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("keeps exceljs' temp file of a sheet in the read's own folder while the sheet is read, and removes it when the read stops early", async () => {
    const bytes = await streamedWorkbook(2, 2000);
    let during: string[] = [];
    const firstRows: unknown[][] = [];
    for await (const sheet of readXlsxSheets(source(bytes), FILE, { tempRoot: root })) {
      for await (const batch of sheet.batches()) {
        firstRows.push(...batch.slice(0, 2).map((row) => row.values));
        during = await filesUnder(root);
        break;
      }
      break; // the second sheet is not wanted
    }
    expect(firstRows).toEqual([
      ['id', 'Khách hàng', 'Số tiền'],
      [1, 'Nguyễn Văn Ấn 1-1', 0.25],
    ]);
    // Both sheets were inflated to temp files (they precede the workbook's parts); exceljs removes
    // one only when its sheet is read to the end.
    expect(during.length).toBe(2);
    expect(await readdir(root)).toEqual([]);
  });

  it('removes the temp files after a whole read too, with every row of every sheet', async () => {
    const bytes = await streamedWorkbook(2, 1500);
    const counts: Record<string, number> = {};
    for await (const sheet of readXlsxSheets(source(bytes), FILE, { tempRoot: root })) {
      counts[sheet.name] = 0;
      for await (const batch of sheet.batches()) counts[sheet.name]! += batch.length;
    }
    expect(counts).toEqual({ 'Trang 1': 1501, 'Trang 2': 1501 });
    expect(await readdir(root)).toEqual([]);
  });

  it('closes the temp file of every sheet skipped or left unread: no descriptor stays open on the read folder', async () => {
    const bytes = await streamedWorkbook(3, 1000);
    const seen: string[] = [];
    for await (const sheet of readXlsxSheets(source(bytes), FILE, { tempRoot: root })) {
      seen.push(sheet.name);
      if (sheet.name !== 'Trang 3') continue; // skipped: its rows are never read
      for await (const _batch of sheet.batches()) break; // left after its first rows
    }
    expect(seen).toEqual(['Trang 1', 'Trang 2', 'Trang 3']);
    // Descriptors close asynchronously: wait for them, up to 2 s.
    let open = openUnder(root);
    for (let i = 0; i < 40 && open.length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      open = openUnder(root);
    }
    expect(open).toEqual([]);
    expect(await readdir(root)).toEqual([]);
  });

  it('fails a file cut short inside a sheet with FILE_ENDED naming the file, instead of waiting forever, and leaves no temp file', async () => {
    const bytes = await streamedWorkbook(1, 20_000);
    const cut = bytes.subarray(0, Math.floor(bytes.length / 2));
    const rows: number[] = [];
    const err = await caught(async () => {
      for await (const sheet of readXlsxSheets(source(cut), FILE, { tempRoot: root })) {
        for await (const batch of sheet.batches()) rows.push(...batch.map((row) => row.line));
      }
    });
    expect(err).toBeInstanceOf(FileFormatError);
    expect((err as FileFormatError).message).toBe(`${FILE}: not a readable XLSX file: the file is cut short, it ends inside its ZIP archive (FILE_ENDED)`);
    expect(rows).toEqual([]);
    expect(await readdir(root)).toEqual([]);
  });

  it('fails a file cut short after its sheet, before the workbook part, the same way', async () => {
    const bytes = await streamedWorkbook(1, 200);
    const at = bytes.indexOf(Buffer.from('xl/workbook.xml'));
    expect(at).toBeGreaterThan(0);
    const err = await caught(async () => {
      for await (const sheet of readXlsxSheets(source(bytes.subarray(0, at + 40)), FILE, { tempRoot: root })) {
        for await (const _batch of sheet.batches()) undefined;
      }
    });
    expect(err).toBeInstanceOf(FileFormatError);
    expect((err as FileFormatError).message).toContain('not a readable XLSX file');
    expect(await readdir(root)).toEqual([]);
  });
});
