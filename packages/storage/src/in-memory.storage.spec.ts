import { Readable } from 'stream';
import { InMemoryObjectStorage } from './in-memory.storage';
import { describeObjectStorageConformance } from './object-storage.conformance';

describeObjectStorageConformance('InMemoryObjectStorage', () => new InMemoryObjectStorage());

describe('InMemoryObjectStorage', () => {
  it('keeps separate instances separate', async () => {
    const a = new InMemoryObjectStorage();
    const b = new InMemoryObjectStorage();
    await a.put('k', 'from a');
    expect(await b.exists('k')).toBe(false);
  });

  it('getStream emits the object in chunks of readChunkSize', async () => {
    const storage = new InMemoryObjectStorage({ readChunkSize: 4 });
    await storage.put('k', 'abcdefghij');
    const chunks: string[] = [];
    for await (const chunk of await storage.getStream('k')) chunks.push((chunk as Buffer).toString());
    expect(chunks).toEqual(['abcd', 'efgh', 'ij']);
  });

  it('rejects chunks that are not bytes or strings', async () => {
    const storage = new InMemoryObjectStorage();
    await expect(storage.putStream('k', Readable.from([{ not: 'bytes' }]))).rejects.toBeInstanceOf(TypeError);
    expect(await storage.exists('k')).toBe(false);
  });
});
