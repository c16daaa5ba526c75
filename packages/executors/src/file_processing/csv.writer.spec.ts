import { PassThrough } from 'stream';
import { createCsvWriter, type CsvWriteOptions } from './csv.writer';

async function written(options: CsvWriteOptions, write: (w: ReturnType<typeof createCsvWriter>) => Promise<void>): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const writer = createCsvWriter(out, options);
  await write(writer);
  await writer.end();
  return Buffer.concat(chunks).toString('utf8');
}

const base: CsvWriteOptions = { delimiter: ';', header: true, columns: ['a', 'b'], lineEnding: 'crlf', bom: false };

describe('createCsvWriter', () => {
  it('writes the same text whether rows come one by one or in batches', async () => {
    const rows: unknown[][] = [
      ['x;y', 'say "hi"'],
      ['line\nbreak', 'cr\ronly'],
      [null, undefined],
      [true, 1.5],
      [{ k: 1 }, new Date('2024-03-01T00:00:00Z')],
    ];
    const single = await written(base, async (w) => {
      for (const r of rows) await w.write(r);
    });
    const batched = await written(base, async (w) => {
      await w.writeRows(rows.slice(0, 2));
      await w.writeRows([]);
      await w.writeRows(rows.slice(2));
    });
    expect(batched).toBe(single);
    expect(single).toBe('a;b\r\n"x;y";"say ""hi"""\r\n"line\nbreak";"cr\ronly"\r\n;\r\ntrue;1.5\r\n"{""k"":1}";2024-03-01T00:00:00.000Z\r\n');
  });

  it('writes the BOM and header once, also for a file without rows', async () => {
    expect(await written({ ...base, bom: true, lineEnding: 'lf' }, async () => undefined)).toBe('\ufeffa;b\n');
    expect(await written({ ...base, header: false }, async () => undefined)).toBe('');
    const two = await written({ ...base, bom: true, lineEnding: 'lf' }, async (w) => {
      await w.writeRows([['1', '2']]);
      await w.writeRows([['3', '4']]);
    });
    expect(two).toBe('\ufeffa;b\n1;2\n3;4\n');
  });
});
