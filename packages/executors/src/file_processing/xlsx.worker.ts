/**
 * Entry of the XLSX parse thread (`worker_threads`), started by `readXlsxSheetsInWorker`
 * (xlsx-worker.reader.ts): the file's bytes come in as transferred ArrayBuffers, `readXlsxSheets`
 * (exceljs' WorkbookReader: inflate, sax, cell values) runs here; each sheet reached is posted,
 * then the rows of the selected sheet(s) in batches. The protocol is in parse-thread.channel.ts.
 */
import { serveParseThread } from './parse-thread.channel';
import { XLSX_THREAD_BATCH, type XlsxThreadMessage, type XlsxWorkerOptionsData } from './xlsx-worker.reader';
import { readXlsxSheets, type SheetRow } from './xlsx.reader';

serveParseThread<XlsxWorkerOptionsData, XlsxThreadMessage>(async (input, { file, select, tempRoot }, post) => {
  for await (const sheet of readXlsxSheets(input, file, { tempRoot })) {
    const selected = select.all || (select.name !== undefined ? sheet.name === select.name : sheet.index === select.index);
    await post({ type: 'sheet', name: sheet.name, index: sheet.index, selected });
    if (!selected) continue;
    let batch: SheetRow[] = [];
    for await (const rows of sheet.batches()) {
      for (const row of rows) batch.push(row);
      if (batch.length >= XLSX_THREAD_BATCH) {
        await post({ type: 'rows', rows: batch });
        batch = [];
      }
    }
    if (batch.length > 0) await post({ type: 'rows', rows: batch });
    await post({ type: 'sheet-end' });
    // The caller reads one sheet unless all are wanted: stop here, as it stops the reader.
    if (!select.all) return;
  }
});
