import { InMemoryObjectStorage, jobDefinitionVersionKey } from '@vecron/storage';
import { DefinitionCache } from './definition.cache';

class CountingStorage extends InMemoryObjectStorage {
  gets = 0;
  override get(key: string): Promise<Buffer> {
    this.gets++;
    return super.get(key);
  }
}

const put = (storage: InMemoryObjectStorage, job: string, version: number) =>
  storage.put(jobDefinitionVersionKey(job, version), JSON.stringify({ name: `${job} v${version}`, steps: [] }));

describe('DefinitionCache', () => {
  it('reads each version once, also when asked for it concurrently', async () => {
    const storage = new CountingStorage();
    await put(storage, 'j1', 1);
    const cache = new DefinitionCache(storage);
    const [a, b] = await Promise.all([cache.get('j1', 1), cache.get('j1', 1)]);
    expect(a.name).toBe('j1 v1');
    expect(b).toBe(a);
    expect((await cache.get('j1', 1)).name).toBe('j1 v1');
    expect(storage.gets).toBe(1);
  });

  it('keeps versions apart and drops the oldest beyond its size', async () => {
    const storage = new CountingStorage();
    for (const v of [1, 2, 3]) await put(storage, 'j1', v);
    const cache = new DefinitionCache(storage, 2);
    expect((await cache.get('j1', 1)).name).toBe('j1 v1');
    expect((await cache.get('j1', 2)).name).toBe('j1 v2');
    expect((await cache.get('j1', 3)).name).toBe('j1 v3');
    expect(cache.count).toBe(2);
    expect(storage.gets).toBe(3);
    await cache.get('j1', 3);
    expect(storage.gets).toBe(3);
    await cache.get('j1', 1); // dropped: read again
    expect(storage.gets).toBe(4);
  });

  it('does not keep a failed read', async () => {
    const storage = new CountingStorage();
    const cache = new DefinitionCache(storage);
    await expect(cache.get('j2', 1)).rejects.toThrow();
    expect(cache.count).toBe(0);
    await put(storage, 'j2', 1);
    expect((await cache.get('j2', 1)).name).toBe('j2 v1');
  });

  it('peek gives only versions already read, and forgets dropped ones', async () => {
    const storage = new CountingStorage();
    for (const v of [1, 2]) await put(storage, 'j3', v);
    const cache = new DefinitionCache(storage, 1);
    expect(cache.peek('j3', 1)).toBeUndefined();
    const reading = cache.get('j3', 1);
    expect(cache.peek('j3', 1)).toBeUndefined(); // still being read
    const first = await reading;
    expect(cache.peek('j3', 1)).toBe(first);
    expect(storage.gets).toBe(1);
    await cache.get('j3', 2); // size 1: version 1 is dropped
    expect(cache.peek('j3', 1)).toBeUndefined();
    expect(cache.peek('j3', 2)?.name).toBe('j3 v2');
  });
});
