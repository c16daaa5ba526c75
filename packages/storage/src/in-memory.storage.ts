import { createHash } from 'crypto';
import { Readable } from 'stream';
import { ObjectNotFoundError } from './errors';
import type { ObjectInfo, ObjectStorage, PutOptions } from './object-storage';
import { chunkToBuffer, DEFAULT_CONTENT_TYPE, sortByKey } from './storage.helpers';
import { checkKeyPrefix, checkObjectKey } from './storage-keys';

interface StoredObject {
  data: Buffer;
  contentType: string;
  lastModified: Date;
  etag: string;
}

export interface InMemoryObjectStorageOptions {
  /** Size of the chunks getStream emits (default 64 KiB), to exercise consumers' chunk handling. */
  readChunkSize?: number;
}

/**
 * ObjectStorage held in a Map, for unit tests. Behaves like MinioObjectStorage
 * (same key validation, same errors, same ordering): buffers are copied on the
 * way in and out, putStream stores nothing when the body fails, and getStream
 * returns a real byte stream emitting the object in chunks.
 */
export class InMemoryObjectStorage implements ObjectStorage {
  private readonly objects = new Map<string, StoredObject>();
  private readonly readChunkSize: number;

  constructor(options: InMemoryObjectStorageOptions = {}) {
    this.readChunkSize = Math.max(1, options.readChunkSize ?? 64 * 1024);
  }

  async put(key: string, body: Buffer | string, options?: PutOptions): Promise<void> {
    checkObjectKey(key);
    const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(chunkToBuffer(body));
    this.store(key, data, options);
  }

  async putStream(key: string, body: Readable, options?: PutOptions): Promise<void> {
    try {
      checkObjectKey(key);
    } catch (error) {
      body.destroy();
      throw error;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunkToBuffer(chunk));
    this.store(key, Buffer.concat(chunks), options);
  }

  async get(key: string): Promise<Buffer> {
    return Buffer.from(this.find(key).data);
  }

  async getStream(key: string): Promise<Readable> {
    const data = Buffer.from(this.find(key).data);
    const size = this.readChunkSize;
    function* chunks(): Generator<Buffer> {
      for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  async stat(key: string): Promise<ObjectInfo> {
    return this.info(key, this.find(key), true);
  }

  async exists(key: string): Promise<boolean> {
    checkObjectKey(key);
    return this.objects.has(key);
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    checkKeyPrefix(prefix);
    const items: ObjectInfo[] = [];
    for (const [key, object] of this.objects) {
      // Like S3 listings, list entries carry no content type.
      if (key.startsWith(prefix)) items.push(this.info(key, object, false));
    }
    return sortByKey(items);
  }

  async delete(key: string): Promise<void> {
    checkObjectKey(key);
    this.objects.delete(key);
  }

  async deletePrefix(prefix: string): Promise<void> {
    checkKeyPrefix(prefix, { allowEmpty: false });
    for (const key of [...this.objects.keys()]) {
      if (key.startsWith(prefix)) this.objects.delete(key);
    }
  }

  async ping(): Promise<void> {
    // Always reachable.
  }

  private store(key: string, data: Buffer, options?: PutOptions): void {
    this.objects.set(key, {
      data,
      contentType: options?.contentType ?? DEFAULT_CONTENT_TYPE,
      lastModified: new Date(),
      etag: createHash('md5').update(data).digest('hex'),
    });
  }

  private find(key: string): StoredObject {
    checkObjectKey(key);
    const object = this.objects.get(key);
    if (!object) throw new ObjectNotFoundError(key);
    return object;
  }

  private info(key: string, object: StoredObject, withContentType: boolean): ObjectInfo {
    const info: ObjectInfo = {
      key,
      size: object.data.length,
      lastModified: new Date(object.lastModified.getTime()),
      etag: object.etag,
    };
    if (withContentType) info.contentType = object.contentType;
    return info;
  }
}
