import type { Readable } from 'stream';

/** Metadata of one stored object. */
export interface ObjectInfo {
  key: string;
  size: number;
  /** Last modification time (UTC). */
  lastModified: Date;
  etag?: string;
  /** Set by `stat`; listings (`list`) do not carry it. */
  contentType?: string;
}

export interface PutOptions {
  /** MIME type stored with the object; defaults to application/octet-stream. */
  contentType?: string;
}

/**
 * The one interface the product uses for object storage (definitions, contexts, files).
 * Implementations: MinioObjectStorage (S3 API through the `minio` client) and
 * InMemoryObjectStorage (unit tests). Keys are relative to the configured bucket;
 * build them with the functions of `storage-keys.ts`.
 *
 * Errors: a malformed key or prefix throws InvalidObjectKeyError (see `checkObjectKey`);
 * a missing object ObjectNotFoundError; an unreachable or overloaded store
 * StorageUnavailableError (`retryable`); any other refusal StorageRequestError.
 */
export interface ObjectStorage {
  /** Stores a whole buffer or string (as UTF-8) under `key`, replacing any previous object. */
  put(key: string, body: Buffer | string, options?: PutOptions): Promise<void>;
  /**
   * Streams `body` to `key` without holding it in memory, replacing any previous object.
   * Resolves once the object is stored; if `body` fails, nothing is stored and its error is thrown.
   */
  putStream(key: string, body: Readable, options?: PutOptions): Promise<void>;
  /** Reads a whole object. Throws ObjectNotFoundError when the key does not exist. */
  get(key: string): Promise<Buffer>;
  /** Opens a read stream. Throws ObjectNotFoundError when the key does not exist. */
  getStream(key: string): Promise<Readable>;
  /** Object metadata. Throws ObjectNotFoundError when the key does not exist. */
  stat(key: string): Promise<ObjectInfo>;
  /** Whether the key exists. */
  exists(key: string): Promise<boolean>;
  /** Every object whose key starts with `prefix` (plain string prefix, recursive), sorted by key. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** Removes an object; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Removes every object under `prefix` (which must not be empty). */
  deletePrefix(prefix: string): Promise<void>;
  /** Checks that the store answers and the bucket exists (health checks). */
  ping(): Promise<void>;
}
