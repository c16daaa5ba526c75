import type { ObjectInfo } from './object-storage';

/** Content type stored when the caller gives none. */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/**
 * Orders keys the way S3 lists them: by the UTF-8 bytes of the key, which is
 * code-point order (plain `<` on JS strings compares UTF-16 units and differs
 * for characters above U+FFFF).
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; ) {
    const ca = a.codePointAt(i) as number;
    const cb = b.codePointAt(i) as number;
    if (ca !== cb) return ca < cb ? -1 : 1;
    i += ca > 0xffff ? 2 : 1;
  }
  return a.length - b.length;
}

export function sortByKey(items: ObjectInfo[]): ObjectInfo[] {
  return items.sort((x, y) => compareKeys(x.key, y.key));
}

/** A chunk read from a byte stream or an object-mode stream of strings/bytes, as a Buffer. */
export function chunkToBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError(`stream chunks must be Buffer, Uint8Array or string, got ${chunk === null ? 'null' : typeof chunk}`);
}

/**
 * Reads `body` into parts of exactly `partSize` bytes (the last one may be
 * smaller); holds at most one part in memory. Ending the iteration early
 * destroys `body`; an error of `body` is thrown as is.
 */
export async function* readParts(body: AsyncIterable<unknown>, partSize: number): AsyncGenerator<Buffer, void, undefined> {
  let pending: Buffer[] = [];
  let size = 0;
  const take = (): Buffer => {
    const part = pending.length === 1 ? pending[0] : Buffer.concat(pending, size);
    pending = [];
    size = 0;
    return part;
  };
  for await (const chunk of body) {
    let rest = chunkToBuffer(chunk);
    while (rest.length > 0) {
      const n = Math.min(partSize - size, rest.length);
      pending.push(n === rest.length ? rest : rest.subarray(0, n));
      size += n;
      rest = rest.subarray(n);
      if (size === partSize) yield take();
    }
  }
  if (size > 0) yield take();
}
