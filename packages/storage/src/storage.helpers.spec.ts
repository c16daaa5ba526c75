import { Readable } from 'stream';
import { compareKeys, PartBufferPool, readParts } from './storage.helpers';

async function collect(body: Readable, partSize: number): Promise<Buffer[]> {
  const parts: Buffer[] = [];
  for await (const part of readParts(body, partSize)) parts.push(part);
  return parts;
}

describe('readParts', () => {
  it('cuts parts of exactly partSize whatever the chunk sizes, the last one shorter', async () => {
    const data = Buffer.from(Array.from({ length: 25 }, (_, i) => i));
    const chunks = [data.subarray(0, 3), data.subarray(3, 4), data.subarray(4, 21), data.subarray(21)];
    const parts = await collect(Readable.from(chunks), 10);
    expect(parts.map((p) => p.length)).toEqual([10, 10, 5]);
    expect(Buffer.concat(parts).equals(data)).toBe(true);
  });

  it('yields nothing for an empty body and one part for a body of exactly partSize', async () => {
    expect(await collect(Readable.from([]), 10)).toEqual([]);
    expect((await collect(Readable.from([Buffer.alloc(10)]), 10)).map((p) => p.length)).toEqual([10]);
  });

  it('destroys the body when the reader stops early', async () => {
    const body = Readable.from([Buffer.alloc(10), Buffer.alloc(10), Buffer.alloc(10)]);
    for await (const part of readParts(body, 10)) {
      expect(part.length).toBe(10);
      break;
    }
    expect(body.destroyed).toBe(true);
  });
});

describe('readParts with a PartBufferPool', () => {
  it('cuts the same parts, copied into pooled buffers that are reused once given back', async () => {
    const data = Buffer.from(Array.from({ length: 35 }, (_, i) => i));
    const chunks = [data.subarray(0, 3), data.subarray(3, 17), data.subarray(17, 18), data.subarray(18)];
    const pool = new PartBufferPool(10);
    const seen: Buffer[] = [];
    const parts: number[][] = [];
    for await (const part of readParts(Readable.from(chunks), 10, pool)) {
      parts.push([...part]);
      seen.push(part);
      pool.give(part); // uploaded: the next part may reuse its buffer
    }
    expect(parts.map((p) => p.length)).toEqual([10, 10, 10, 5]);
    expect(Buffer.from(parts.flat()).equals(data)).toBe(true);
    // One buffer given back before the next was taken: every part shares the first one's memory.
    expect(new Set(seen.map((p) => p.buffer)).size).toBe(1);
  });

  it('a part not given back is never overwritten', async () => {
    const pool = new PartBufferPool(4);
    const held: Buffer[] = [];
    for await (const part of readParts(Readable.from([Buffer.from('aaaabbbbcc')]), 4, pool)) held.push(part);
    expect(held.map((p) => p.toString())).toEqual(['aaaa', 'bbbb', 'cc']);
  });
});

describe('compareKeys', () => {
  it('orders by code point (UTF-8 byte order), like S3 listings', () => {
    const keys = ['b', 'a/b', 'a', '\uffff', '😀', 'B', 'a0', 'a/'];
    expect([...keys].sort(compareKeys)).toEqual(['B', 'a', 'a/', 'a/b', 'a0', 'b', '\uffff', '😀']);
    // Plain UTF-16 comparison would put the emoji (a surrogate pair) before U+FFFF.
    expect(['\uffff', '😀'].sort()).toEqual(['😀', '\uffff']);
  });
});
