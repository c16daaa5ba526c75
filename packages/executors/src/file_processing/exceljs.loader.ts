import type * as ExcelJS from 'exceljs';

let loading: Promise<typeof ExcelJS> | undefined;

/**
 * exceljs, loaded at first use (once): it is the heaviest library of the step types (~26 MB of RSS
 * when loaded), and a process that never reads or writes an XLSX (a worker running SFTP or HTTP
 * steps only) should not pay for it.
 */
export function loadExcelJs(): Promise<typeof ExcelJS> {
  loading ??= import('exceljs');
  return loading;
}
