/**
 * Entry of the CSV parse thread (`worker_threads`), started by `openCsvInWorker`
 * (csv-worker.reader.ts): the file's bytes come in as transferred ArrayBuffers, `openCsv`
 * (decoding, delimiter detection, csv-parse) runs here, and the records go back in batches. The
 * protocol is in parse-thread.channel.ts.
 */
import { openCsv } from './csv.reader';
import type { CsvThreadMessage, CsvWorkerOptionsData } from './csv-worker.reader';
import { serveParseThread } from './parse-thread.channel';

serveParseThread<CsvWorkerOptionsData, CsvThreadMessage>(async (input, options, post) => {
  const csv = await openCsv(input, options);
  await post({ type: 'open', delimiter: csv.delimiter, encoding: csv.encoding });
  for await (const batch of csv.batches) await post({ type: 'batch', values: batch.values, lines: batch.lines });
});
