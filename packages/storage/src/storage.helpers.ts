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
 * Part buffers of one multipart upload, reused once their upload settled: a large upload then
 * allocates (requests in flight + 1) buffers instead of one per part, so that the process does
 * not pile up megabytes of dead part buffers between garbage collections.
 */
export class PartBufferPool {
  private readonly free: Buffer[] = [];

  constructor(readonly partSize: number) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(this.partSize);
  }

  /** Gives back a part read with this pool (its whole buffer), once nothing uses its bytes any more. */
  give(part: Buffer): void {
    if (part.buffer.byteLength >= part.byteOffset + this.partSize) this.free.push(Buffer.from(part.buffer, part.byteOffset, this.partSize));
  }
}

/**
 * Reads `body` into parts of exactly `partSize` bytes (the last one may be
 * smaller); holds at most one part in memory. Ending the iteration early
 * destroys `body`; an error of `body` is thrown as is. With a `pool`, each
 * part is copied into a buffer of the pool (give it back once uploaded).
 */
export async function* readParts(body: AsyncIterable<unknown>, partSize: number, pool?: PartBufferPool): AsyncGenerator<Buffer, void, undefined> {
  if (pool !== undefined) {
    let part = pool.take();
    let size = 0;
    for await (const chunk of body) {
      let rest = chunkToBuffer(chunk);
      while (rest.length > 0) {
        const n = rest.copy(part, size, 0, Math.min(partSize - size, rest.length));
        size += n;
        rest = rest.subarray(n);
        if (size === partSize) {
          yield part;
          part = pool.take();
          size = 0;
        }
      }
    }
    if (size > 0) yield part.subarray(0, size);
    return;
  }
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
