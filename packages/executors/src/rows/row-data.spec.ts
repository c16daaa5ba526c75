import { InMemoryObjectStorage } from '@vecron/storage';
import { StepError } from '../errors';
import { isRowSource, readRowBatches, readRows, RowCollector, rowRefKey, ROW_BATCH_SIZE, unwrapRowSource, type Row } from './row-data';

const JOB = 'job-1';
const EXEC = 'exec-1';
const KEY = `jobs/${JOB}/executions/${EXEC}/output/q-rows.ndjson`;

async function collect(source: unknown, storage: InMemoryObjectStorage): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const row of readRows(source, { storage, jobId: JOB, executionId: EXEC })) rows.push(row);
  return rows;
}

describe('RowCollector', () => {
  it('keeps rows inline under the limits', async () => {
    const storage = new InMemoryObjectStorage();
    const c = new RowCollector({ storage, key: KEY, limits: { maxRows: 3 } });
    await c.add({ a: 1 });
    await c.add({ a: 2, b: 'x' });
    const out = await c.finish();
    expect(out).toEqual({ inline: true, rows: [{ a: 1 }, { a: 2, b: 'x' }], row_count: 2, columns: ['a', 'b'] });
    expect(await storage.exists(KEY)).toBe(false);
  });

  it('spills to NDJSON past maxRows and reads back the same rows', async () => {
    const storage = new InMemoryObjectStorage();
    const c = new RowCollector({ storage, key: KEY, limits: { maxRows: 5 } });
    const rows = Array.from({ length: 50 }, (_, i) => ({ id: i, name: `Nguyễn ${i}` }));
    for (const r of rows) await c.add(r);
    const out = await c.finish();
    if (out.inline) throw new Error('expected a reference');
    expect(out.ref).toBe(KEY);
    expect(out.row_count).toBe(50);
    expect(out.preview).toHaveLength(20);
    expect(out.size).toBe((await storage.get(KEY)).length);
    expect(await collect({ data_ref: KEY }, storage)).toEqual(rows);
    expect(await collect({ rows_ref: KEY }, storage)).toEqual(rows);
  });

  it('spills past maxBytes', async () => {
    const storage = new InMemoryObjectStorage();
    const c = new RowCollector({ storage, key: KEY, limits: { maxBytes: 100 } });
    for (let i = 0; i < 10; i++) await c.add({ text: 'x'.repeat(30) });
    expect((await c.finish()).inline).toBe(false);
  });

  it('abort removes a partial object', async () => {
    const storage = new InMemoryObjectStorage();
    const c = new RowCollector({ storage, key: KEY, limits: { maxRows: 1 } });
    await c.add({ a: 1 });
    await c.add({ a: 2 });
    await c.abort();
    expect(await storage.exists(KEY)).toBe(false);
  });
});

describe('readRows', () => {
  it('reads inline arrays and refuses non-objects with the row number', async () => {
    const storage = new InMemoryObjectStorage();
    expect(await collect([{ a: 1 }], storage)).toEqual([{ a: 1 }]);
    await expect(collect([{ a: 1 }, 5], storage)).rejects.toThrow('data row 2: must be an object');
  });

  it('reads a whole step output: a file read ({data} / {data_ref}) or a database result ({rows} / {rows_ref})', async () => {
    const storage = new InMemoryObjectStorage();
    await storage.put(KEY, '{"a":1}\n{"a":2}\n');
    const read = { data: [{ a: 'x' }], row_count: 1, rows_read: 2, columns: ['a'], rejected: { count: 0, first: [] } };
    const query = { rows: [{ n: 3 }], row_count: 1, affected_rows: 0, columns: ['n'] };
    expect(await collect(read, storage)).toEqual([{ a: 'x' }]);
    expect(await collect(query, storage)).toEqual([{ n: 3 }]);
    // Past the inline limits the same template gives a reference (with a preview that must not be read).
    expect(await collect({ data_ref: KEY, preview: [{ a: 1 }], row_count: 2, columns: ['a'] }, storage)).toEqual([{ a: 1 }, { a: 2 }]);
    expect(await collect({ rows_ref: KEY, preview: [{ a: 1 }], row_count: 2, affected_rows: 0, columns: ['a'] }, storage)).toEqual([{ a: 1 }, { a: 2 }]);
    for (const source of [read, query, [], { data_ref: KEY }, { rows_ref: KEY }]) expect(isRowSource(source)).toBe(true);
    for (const source of [{}, { data: 'x' }, { rows: null }, 'rows', null, 3]) expect(isRowSource(source)).toBe(false);
    expect(unwrapRowSource({ data: 'x' })).toEqual({ data: 'x' });
    await expect(collect({ data: [{ a: 1 }, 'b'] }, storage)).rejects.toThrow('data row 2: must be an object');
  });

  it("refuses another job's data and non-sources", async () => {
    const storage = new InMemoryObjectStorage();
    await expect(collect({ data_ref: 'jobs/other/executions/x/output/a.ndjson' }, storage)).rejects.toBeInstanceOf(StepError);
    await expect(collect('rows', storage)).rejects.toThrow('array of objects');
    expect(rowRefKey({ data_ref: 'k' })).toBe('k');
    expect(rowRefKey([1])).toBeUndefined();
  });

  it('splits NDJSON on line feeds across chunk boundaries, multi-byte characters included', async () => {
    // 7-byte chunks cut lines and UTF-8 sequences (ễ is 3 bytes) anywhere.
    const storage = new InMemoryObjectStorage({ readChunkSize: 7 });
    const rows = Array.from({ length: 25 }, (_v, i) => ({ i, name: `Nguyễn Văn Ấn ${i}`, note: i % 2 ? null : 'a\nb' }));
    const text = rows.map((r) => JSON.stringify(r)).join('\n') + '\n\n';
    await storage.put(KEY, text);
    expect(await collect({ data_ref: KEY }, storage)).toEqual(rows);
    // No final line feed: the last line still counts; a bad line is reported by its number.
    await storage.put(KEY, '{"a":1}\n\n{"a":2}');
    expect(await collect({ data_ref: KEY }, storage)).toEqual([{ a: 1 }, { a: 2 }]);
    await storage.put(KEY, '{"a":1}\n{"a":\n');
    await expect(collect({ data_ref: KEY }, storage)).rejects.toThrow(`${KEY} line 2: not valid JSON`);
  });

  it('readRowBatches yields at most ROW_BATCH_SIZE rows a batch, in order', async () => {
    const storage = new InMemoryObjectStorage({ readChunkSize: 4096 });
    const n = ROW_BATCH_SIZE * 2 + 5;
    await storage.put(KEY, Array.from({ length: n }, (_v, i) => JSON.stringify({ i })).join('\n'));
    const sizes: number[] = [];
    const seen: number[] = [];
    for await (const batch of readRowBatches({ data_ref: KEY }, { storage, jobId: JOB, executionId: EXEC })) {
      sizes.push(batch.length);
      for (const row of batch) seen.push(row.i as number);
    }
    expect(Math.max(...sizes)).toBeLessThanOrEqual(ROW_BATCH_SIZE);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
    expect(seen).toEqual(Array.from({ length: n }, (_v, i) => i));
  });
});

describe('RowCollector.addRows', () => {
  it('gives the same NDJSON, count, columns and preview as add, past the inline limit', async () => {
    const storage = new InMemoryObjectStorage();
    const rows = Array.from({ length: 5000 }, (_v, i) => ({ id: i, name: `tên ${i}`, amount: `${i}.50` }));
    const one = new RowCollector({ storage, key: KEY, limits: { maxRows: 10 } });
    for (const row of rows) await one.add(row);
    const a = await one.finish();
    const textA = (await storage.get(KEY)).toString('utf8');
    const batched = new RowCollector({ storage, key: KEY, limits: { maxRows: 10 } });
    for (let i = 0; i < rows.length; i += 700) await batched.addRows(rows.slice(i, i + 700), ['id', 'name', 'amount']);
    const b = await batched.finish();
    const textB = (await storage.get(KEY)).toString('utf8');
    expect(textB).toBe(textA);
    expect(textB.split('\n').length).toBe(5001);
    expect(b).toEqual(a);
    expect(b).toMatchObject({ inline: false, row_count: 5000, columns: ['id', 'name', 'amount'] });
  });
});
