/**
 * The behaviour every ObjectStorage implementation must show, as one jest suite.
 * Run it from a spec: `describeObjectStorageConformance('in-memory', () => new InMemoryObjectStorage())`.
 * Test-only (jest globals); not part of the package build.
 */
import { createHash, randomBytes, randomUUID } from 'crypto';
import { Readable } from 'stream';
import { InvalidObjectKeyError, ObjectNotFoundError } from './errors';
import type { ObjectStorage } from './object-storage';

export interface ConformanceOptions {
  /** Keys written by the "many keys" test (more than 1000 exercises listing pagination and delete batches). */
  manyKeys?: number;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** A body that yields `before` bytes, then fails with `error`. */
function failingBody(before: number, error: Error): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= before) {
        this.destroy(error);
        return;
      }
      const size = Math.min(64 * 1024, before - sent);
      sent += size;
      this.push(randomBytes(size));
    },
  });
}

export function describeObjectStorageConformance(
  name: string,
  factory: () => ObjectStorage | Promise<ObjectStorage>,
  options: ConformanceOptions = {},
): void {
  const manyKeys = options.manyKeys ?? 1100;

  describe(`ObjectStorage conformance: ${name}`, () => {
    const root = `conformance/${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}/`;
    let storage: ObjectStorage;
    let counter = 0;
    /** A fresh prefix for one test, so tests never see each other's objects. */
    const fresh = (): string => `${root}t${++counter}/`;

    beforeAll(async () => {
      storage = await factory();
    });

    afterAll(async () => {
      if (storage) {
        await storage.deletePrefix(root);
        expect(await storage.list(root)).toEqual([]);
      }
    });

    it('answers ping', async () => {
      await expect(storage.ping()).resolves.toBeUndefined();
    });

    describe('put / get', () => {
      it('round-trips a Buffer byte for byte, including every byte value', async () => {
        const key = `${fresh()}bytes.bin`;
        const body = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(10_000)]);
        await storage.put(key, body);
        const read = await storage.get(key);
        expect(Buffer.isBuffer(read)).toBe(true);
        expect(read.equals(body)).toBe(true);
      });

      it('round-trips a string as UTF-8', async () => {
        const key = `${fresh()}text.json`;
        const text = JSON.stringify({ greeting: 'xin chào', check: '✓', rocket: '🚀', nested: { n: 1 } });
        await storage.put(key, text, { contentType: 'application/json' });
        expect((await storage.get(key)).toString('utf8')).toBe(text);
        expect((await storage.stat(key)).size).toBe(Buffer.byteLength(text, 'utf8'));
      });

      it('keeps what was stored when the caller mutates its buffers', async () => {
        const key = `${fresh()}copy.bin`;
        const body = Buffer.from('original');
        await storage.put(key, body);
        body.fill(0);
        const first = await storage.get(key);
        first.fill(0);
        expect((await storage.get(key)).toString()).toBe('original');
      });

      it('stores an empty object', async () => {
        const key = `${fresh()}empty`;
        await storage.put(key, Buffer.alloc(0));
        expect((await storage.get(key)).length).toBe(0);
        expect((await storage.stat(key)).size).toBe(0);
        expect(await storage.exists(key)).toBe(true);
      });

      it('overwrites: content, size and content type are the new ones', async () => {
        const key = `${fresh()}over.txt`;
        await storage.put(key, 'a much longer first version of the content', { contentType: 'text/plain' });
        await storage.put(key, 'v2', { contentType: 'application/json' });
        expect((await storage.get(key)).toString()).toBe('v2');
        const info = await storage.stat(key);
        expect(info.size).toBe(2);
        expect(info.contentType).toBe('application/json');
        expect(await storage.list(key)).toHaveLength(1);
      });

      it('stores many objects written concurrently', async () => {
        const prefix = fresh();
        const keys = Array.from({ length: 25 }, (_, i) => `${prefix}parallel-${String(i).padStart(2, '0')}`);
        await Promise.all(keys.map((key, i) => storage.put(key, `value ${i}`)));
        const values = await Promise.all(keys.map((key) => storage.get(key)));
        expect(values.map((v) => v.toString())).toEqual(keys.map((_, i) => `value ${i}`));
      });

      it('accepts keys with spaces, unicode and URL-special characters', async () => {
        const prefix = fresh();
        const listable = [
          `${prefix}report (final) 2024.csv`,
          `${prefix}báo cáo/ngày 1.xlsx`,
          `${prefix}q=1#frag?x;y,z!@$~.txt`,
          `${prefix}emoji-🚀.txt`,
        ];
        // Stored and read back by key everywhere; not listed here because s3rver (the local
        // endpoint) ignores encoding-type=url, so the client decodes '+' and '%xx' in its
        // listings, and double-escapes '&' and "'". Real MinIO/S3 list them verbatim.
        const unlisted = [`${prefix}unlisted/a+b=c&d%20e 100%.txt`, `${prefix}unlisted/it's.txt`];
        for (const key of [...listable, ...unlisted]) await storage.put(key, key);
        for (const key of [...listable, ...unlisted]) expect((await storage.get(key)).toString()).toBe(key);
        for (const key of unlisted) {
          expect(await storage.exists(key)).toBe(true);
          await storage.delete(key);
          expect(await storage.exists(key)).toBe(false);
        }
        expect((await storage.list(prefix)).map((o) => o.key)).toEqual([...listable].sort());
      });
    });

    describe('putStream / getStream', () => {
      it('round-trips a multi-chunk stream', async () => {
        const key = `${fresh()}stream.bin`;
        const chunks = [randomBytes(100_000), randomBytes(1), randomBytes(250_000), randomBytes(70_000)];
        const body = Buffer.concat(chunks);
        await storage.putStream(key, Readable.from(chunks), { contentType: 'application/x-test' });
        const stream = await storage.getStream(key);
        expect(stream).toBeInstanceOf(Readable);
        const read = await readAll(stream);
        expect(read.length).toBe(body.length);
        expect(sha256(read)).toBe(sha256(body));
        const info = await storage.stat(key);
        expect(info.size).toBe(body.length);
        expect(info.contentType).toBe('application/x-test');
      });

      it('accepts an object-mode stream of strings', async () => {
        const key = `${fresh()}strings.txt`;
        await storage.putStream(key, Readable.from(['hello ', 'wörld', '!']));
        expect((await storage.get(key)).toString('utf8')).toBe('hello wörld!');
      });

      it('stores an empty stream as an empty object', async () => {
        const key = `${fresh()}empty-stream`;
        await storage.putStream(key, Readable.from([]));
        expect((await storage.stat(key)).size).toBe(0);
        expect((await readAll(await storage.getStream(key))).length).toBe(0);
      });

      it('rejects with the body error, stores nothing and keeps the previous object', async () => {
        const prefix = fresh();
        const boom = new Error('source failed');
        await expect(storage.putStream(`${prefix}new.bin`, failingBody(200_000, boom))).rejects.toBe(boom);
        expect(await storage.exists(`${prefix}new.bin`)).toBe(false);

        await storage.put(`${prefix}old.txt`, 'previous');
        await expect(storage.putStream(`${prefix}old.txt`, failingBody(1000, boom))).rejects.toBe(boom);
        expect((await storage.get(`${prefix}old.txt`)).toString()).toBe('previous');
      });

      it('lets a reader stop early without disturbing later calls', async () => {
        const key = `${fresh()}partial.bin`;
        const body = randomBytes(600_000);
        await storage.put(key, body);
        const stream = await storage.getStream(key);
        const first: Buffer = await new Promise((resolve, reject) => {
          stream.once('data', resolve);
          stream.once('error', reject);
        });
        expect(first.length).toBeGreaterThan(0);
        expect(first.equals(body.subarray(0, first.length))).toBe(true);
        stream.destroy();
        expect(sha256(await storage.get(key))).toBe(sha256(body));
      });
    });

    describe('stat / exists', () => {
      it('reports size, content type, etag and a recent lastModified', async () => {
        const key = `${fresh()}info.csv`;
        const before = Date.now();
        await storage.put(key, 'a,b\n1,2\n', { contentType: 'text/csv' });
        const info = await storage.stat(key);
        expect(info.key).toBe(key);
        expect(info.size).toBe(8);
        expect(info.contentType).toBe('text/csv');
        expect(info.lastModified).toBeInstanceOf(Date);
        // HTTP dates have one-second resolution; allow for it and a little clock skew.
        expect(info.lastModified.getTime()).toBeGreaterThanOrEqual(before - 2000);
        expect(info.lastModified.getTime()).toBeLessThanOrEqual(Date.now() + 2000);
        expect(typeof info.etag).toBe('string');
        expect(info.etag).not.toBe('');
      });

      it('defaults the content type to application/octet-stream', async () => {
        const key = `${fresh()}untyped`;
        await storage.put(key, Buffer.from([1, 2, 3]));
        expect((await storage.stat(key)).contentType).toBe('application/octet-stream');
        await storage.putStream(`${key}-stream`, Readable.from([Buffer.from([4])]));
        expect((await storage.stat(`${key}-stream`)).contentType).toBe('application/octet-stream');
      });

      it('exists is true for a stored key and false otherwise', async () => {
        const prefix = fresh();
        await storage.put(`${prefix}here`, 'x');
        expect(await storage.exists(`${prefix}here`)).toBe(true);
        expect(await storage.exists(`${prefix}missing`)).toBe(false);
        // A "folder" is not an object.
        await storage.put(`${prefix}dir/file`, 'x');
        expect(await storage.exists(`${prefix}dir`)).toBe(false);
      });

      it('get, getStream and stat of a missing key throw ObjectNotFoundError naming the key', async () => {
        const key = `${fresh()}does-not-exist.json`;
        for (const call of [() => storage.get(key), () => storage.getStream(key), () => storage.stat(key)]) {
          const error: unknown = await call().then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(ObjectNotFoundError);
          expect((error as ObjectNotFoundError).key).toBe(key);
          expect((error as ObjectNotFoundError).retryable).toBe(false);
        }
      });
    });

    describe('list', () => {
      it('lists every object under the prefix, recursively, sorted by key, and nothing else', async () => {
        const prefix = fresh();
        const inside = ['dir/z.txt', 'dir/a.txt', 'dir/b/c.txt', 'dir/b/d/e/f.txt', 'dir/B.txt', 'dir/0.txt'];
        const outside = ['dir2/x.txt', 'dirt.txt', 'other/dir/a.txt'];
        for (const name of [...inside, ...outside]) await storage.put(`${prefix}${name}`, name);

        const listed = await storage.list(`${prefix}dir/`);
        expect(listed.map((o) => o.key)).toEqual(
          ['dir/0.txt', 'dir/B.txt', 'dir/a.txt', 'dir/b/c.txt', 'dir/b/d/e/f.txt', 'dir/z.txt'].map((n) => `${prefix}${n}`),
        );
        const f = listed.find((o) => o.key.endsWith('f.txt'));
        expect(f?.size).toBe(Buffer.byteLength('dir/b/d/e/f.txt'));
        expect(f?.lastModified).toBeInstanceOf(Date);
      });

      it('treats the prefix as a plain string prefix', async () => {
        const prefix = fresh();
        for (const name of ['job1/a', 'job10/a', 'job2/a']) await storage.put(`${prefix}${name}`, 'x');
        expect((await storage.list(`${prefix}job1`)).map((o) => o.key)).toEqual([`${prefix}job1/a`, `${prefix}job10/a`]);
        expect((await storage.list(`${prefix}job1/`)).map((o) => o.key)).toEqual([`${prefix}job1/a`]);
      });

      it('returns an empty list for a prefix with no objects', async () => {
        expect(await storage.list(`${fresh()}nothing/`)).toEqual([]);
      });

      it(`lists and deletes ${manyKeys} keys (past the 1000-key page and batch size)`, async () => {
        const prefix = fresh();
        const keys = Array.from({ length: manyKeys }, (_, i) => `${prefix}many/${String(i % 7)}/${String(i).padStart(5, '0')}`);
        await forEachLimit(keys, 32, (key) => storage.put(key, ''));
        const listed = (await storage.list(`${prefix}many/`)).map((o) => o.key);
        expect(listed).toHaveLength(manyKeys);
        expect(listed).toEqual([...keys].sort());
        await storage.deletePrefix(`${prefix}many/`);
        expect(await storage.list(`${prefix}many/`)).toEqual([]);
      }, 120_000);
    });

    describe('delete / deletePrefix', () => {
      it('delete removes one object and leaves the others', async () => {
        const prefix = fresh();
        await storage.put(`${prefix}a`, '1');
        await storage.put(`${prefix}b`, '2');
        await storage.delete(`${prefix}a`);
        expect(await storage.exists(`${prefix}a`)).toBe(false);
        await expect(storage.get(`${prefix}a`)).rejects.toBeInstanceOf(ObjectNotFoundError);
        expect((await storage.get(`${prefix}b`)).toString()).toBe('2');
      });

      it('deleting a missing key is fine', async () => {
        await expect(storage.delete(`${fresh()}never-existed`)).resolves.toBeUndefined();
      });

      it('deletePrefix removes everything under the prefix and nothing else', async () => {
        const prefix = fresh();
        const doomed = ['x/1', 'x/y/2', 'x/y/z/3'];
        const kept = ['x2/4', 'xx', 'w/x/5'];
        for (const name of [...doomed, ...kept]) await storage.put(`${prefix}${name}`, name);
        await storage.deletePrefix(`${prefix}x/`);
        for (const name of doomed) expect(await storage.exists(`${prefix}${name}`)).toBe(false);
        expect((await storage.list(prefix)).map((o) => o.key)).toEqual([...kept].sort().map((n) => `${prefix}${n}`));
      });

      it('deletePrefix with nothing under it is fine', async () => {
        await expect(storage.deletePrefix(`${fresh()}empty/`)).resolves.toBeUndefined();
      });

      it('deletePrefix refuses the empty prefix (it would empty the bucket)', async () => {
        const key = `${fresh()}survivor`;
        await storage.put(key, 'x');
        await expect(storage.deletePrefix('')).rejects.toBeInstanceOf(InvalidObjectKeyError);
        expect(await storage.exists(key)).toBe(true);
      });
    });

    describe('key validation', () => {
      const badKeys: [string, string][] = [
        ['empty', ''],
        ['leading slash', '/abs/key'],
        ['double slash', 'a//b'],
        ['trailing slash', 'a/b/'],
        ['dot-dot segment', 'a/../b'],
        ['dot segment', './a'],
        ['NUL', 'a\u0000b'],
        ['newline', 'a\nb'],
        ['too long', 'k'.repeat(1025)],
      ];

      it.each(badKeys)('rejects a key with %s before touching the store', async (_label, key) => {
        await expect(storage.put(key, 'x')).rejects.toBeInstanceOf(InvalidObjectKeyError);
        await expect(storage.get(key)).rejects.toBeInstanceOf(InvalidObjectKeyError);
        await expect(storage.stat(key)).rejects.toBeInstanceOf(InvalidObjectKeyError);
        await expect(storage.exists(key)).rejects.toBeInstanceOf(InvalidObjectKeyError);
        await expect(storage.delete(key)).rejects.toBeInstanceOf(InvalidObjectKeyError);
        const body = Readable.from([Buffer.from('x')]);
        await expect(storage.putStream(key, body)).rejects.toBeInstanceOf(InvalidObjectKeyError);
        expect(body.destroyed).toBe(true);
      });

      it('rejects a prefix that climbs out with ..', async () => {
        await expect(storage.list('a/../')).rejects.toBeInstanceOf(InvalidObjectKeyError);
        await expect(storage.deletePrefix('../')).rejects.toBeInstanceOf(InvalidObjectKeyError);
      });
    });
  });
}
