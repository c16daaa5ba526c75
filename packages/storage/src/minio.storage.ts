import * as http from 'http';
import * as https from 'https';
import { Client, S3Error } from 'minio';
import { PassThrough, type Readable } from 'stream';
import { ObjectNotFoundError, StorageError, StorageRequestError, StorageUnavailableError } from './errors';
import type { ObjectInfo, ObjectStorage, PutOptions } from './object-storage';
import { DEFAULT_CONTENT_TYPE, PartBufferPool, readParts, sortByKey } from './storage.helpers';
import { checkKeyPrefix, checkObjectKey } from './storage-keys';

export interface MinioObjectStorageOptions {
  /** Host name or IP of the S3/MinIO endpoint (no scheme, no port). */
  endPoint: string;
  /** Defaults to 443 with SSL, 80 without. */
  port?: number;
  /** Defaults to false. */
  useSSL?: boolean;
  accessKey: string;
  secretKey: string;
  /** The bucket every key is relative to. */
  bucket: string;
  /** Bucket region; when absent the client asks the server (MinIO's default is us-east-1). */
  region?: string;
  /**
   * A ready `minio` client to use instead of building one from the fields above
   * (which are then ignored). The storage builds its own with `pathStyle: true`
   * and the client's own retries off (StorageUnavailableError is retryable: callers retry).
   */
  client?: Client;
  /** putStream part size in bytes: bodies up to this size go in one PUT, bigger ones multipart. Default 8 MiB, minimum 5 MiB. */
  partSize?: number;
  /** Parts of one putStream uploaded in parallel (default 2). Memory held ≈ (uploadConcurrency + 1) × partSize. */
  uploadConcurrency?: number;
  /**
   * Retries of an idempotent request (everything but starting/completing a multipart upload)
   * after a transient failure: a 5xx/SlowDown answer or a connection reset. Default 2, with
   * exponential backoff from `retryBaseDelayMs` (default 100). A refused connection is not retried.
   */
  maxRetries?: number;
  retryBaseDelayMs?: number;
}

const MiB = 1024 * 1024;
const DEFAULT_PART_SIZE = 8 * MiB;
const MIN_PART_SIZE = 5 * MiB;
const MAX_PART_SIZE = 5 * 1024 * MiB;
const MAX_PARTS = 10_000;
const DELETE_BATCH = 1000;

/** S3 error codes meaning the key is not there (HEAD answers carry no body, hence `NotFound`). */
const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NotFound']);
/** S3 error codes of a server that is overloaded or not ready: retryable. */
const UNAVAILABLE_S3_CODES = new Set([
  'InternalError',
  'ServiceUnavailable',
  'SlowDown',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'XMinioServerNotInitialized',
  'XMinioStorageFull',
  'XMinioReadQuorum',
  'XMinioWriteQuorum',
]);
/** Node/libuv network error codes: the endpoint could not be reached or dropped the connection. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);
/** Network failures worth an immediate retry of an idempotent request (a reused keep-alive socket closed by the server…). */
const TRANSIENT_NETWORK_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET']);

/**
 * ObjectStorage on an S3 API (MinIO in production, s3rver locally) through the
 * `minio` client, path-style. Errors come out as ObjectNotFoundError,
 * StorageUnavailableError (retryable), StorageRequestError or InvalidObjectKeyError.
 */
export class MinioObjectStorage implements ObjectStorage {
  readonly bucket: string;
  private readonly client: Client;
  private readonly region: string | undefined;
  private readonly partSize: number;
  private readonly uploadConcurrency: number;
  private readonly maxRetries: number;
  private readonly retryBaseDelayMs: number;

  constructor(options: MinioObjectStorageOptions) {
    this.bucket = options.bucket;
    this.region = options.region;
    this.partSize = options.partSize ?? DEFAULT_PART_SIZE;
    if (!Number.isSafeInteger(this.partSize) || this.partSize < MIN_PART_SIZE || this.partSize > MAX_PART_SIZE) {
      throw new RangeError(`partSize must be an integer between ${MIN_PART_SIZE} and ${MAX_PART_SIZE} bytes`);
    }
    this.uploadConcurrency = Math.max(1, Math.floor(options.uploadConcurrency ?? 2));
    this.maxRetries = Math.max(0, Math.floor(options.maxRetries ?? 2));
    this.retryBaseDelayMs = Math.max(0, options.retryBaseDelayMs ?? 100);
    this.client =
      options.client ??
      new Client({
        endPoint: options.endPoint,
        port: options.port,
        useSSL: options.useSSL ?? false,
        accessKey: options.accessKey,
        secretKey: options.secretKey,
        region: options.region,
        pathStyle: true,
        // We retry ourselves (idempotent requests only) and keep minio from logging through console.warn.
        retryOptions: { disableRetry: true },
        transport: drainingTransport(options.useSSL ? https : http),
      });
  }

  /** Creates the bucket when it does not exist. Idempotent; a concurrent create by another process is fine. */
  async ensureBucket(): Promise<void> {
    if (await this.call('bucketExists', undefined, () => this.client.bucketExists(this.bucket))) return;
    try {
      await this.client.makeBucket(this.bucket, this.region);
    } catch (error) {
      const code = s3Code(error);
      if (code === 'BucketAlreadyOwnedByYou' || code === 'BucketAlreadyExists') {
        // Someone created it between our check and our create; make sure we can use it.
        if (await this.call('bucketExists', undefined, () => this.client.bucketExists(this.bucket))) return;
      }
      throw this.translate(error, 'makeBucket', undefined);
    }
  }

  async put(key: string, body: Buffer | string, options?: PutOptions): Promise<void> {
    checkObjectKey(key);
    const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    await this.putBuffer(key, data, contentTypeOf(options));
  }

  /**
   * Streams `body` to `key`: a body up to `partSize` goes in one PUT, a bigger
   * one as a multipart upload of `partSize` parts (at most `uploadConcurrency`
   * in flight), so memory stays bounded whatever the size. When the body fails
   * or the store refuses, the upload is aborted, `body` destroyed, nothing is
   * stored, and the error is thrown (the body's own error as is).
   */
  async putStream(key: string, body: Readable, options?: PutOptions): Promise<void> {
    try {
      checkObjectKey(key);
    } catch (error) {
      body.destroy();
      throw error;
    }
    const contentType = contentTypeOf(options);
    const pool = new PartBufferPool(this.partSize);
    const parts = readParts(body, this.partSize, pool);
    try {
      const first = await parts.next();
      if (first.done) return await this.putBuffer(key, Buffer.alloc(0), contentType);
      const second = await parts.next();
      if (second.done) return await this.putBuffer(key, first.value, contentType);
      await this.multipartUpload(key, contentType, [first.value, second.value], parts, pool);
    } finally {
      // Stops reading (and destroys the body) when we leave early; a no-op once consumed.
      await parts.return(undefined);
    }
  }

  async get(key: string): Promise<Buffer> {
    checkObjectKey(key);
    return this.call('getObject', key, async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of await this.client.getObject(this.bucket, key)) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    });
  }

  /**
   * Opens a read stream on the object (ObjectNotFoundError when missing). A
   * failure in the middle of the body is emitted on the stream as StorageUnavailableError.
   * Destroy the stream when you stop reading early.
   */
  async getStream(key: string): Promise<Readable> {
    checkObjectKey(key);
    const response = await this.call('getObject', key, () => this.client.getObject(this.bucket, key));
    const out = new PassThrough();
    response.on('error', (error) => out.destroy(this.translate(error, 'getObject', key)));
    out.on('close', () => {
      if (!response.readableEnded) response.destroy();
    });
    response.pipe(out);
    return out;
  }

  async stat(key: string): Promise<ObjectInfo> {
    checkObjectKey(key);
    const stat = await this.call('statObject', key, () => this.client.statObject(this.bucket, key));
    const info: ObjectInfo = { key, size: stat.size, lastModified: stat.lastModified };
    if (stat.etag) info.etag = stat.etag;
    const contentType = (stat.metaData as Record<string, unknown> | undefined)?.['content-type'];
    if (typeof contentType === 'string') info.contentType = contentType;
    return info;
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.stat(key);
      return true;
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return false;
      throw error;
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    checkKeyPrefix(prefix);
    const items = await this.call('listObjects', prefix, async () => {
      const found: ObjectInfo[] = [];
      // ListObjects (V1, marker = last key) rather than V2: every S3 server has it, and
      // s3rver's V2 answers 500 on Node >= 17 as soon as a listing is truncated (> 1000 keys),
      // because its continuation token uses DES, which OpenSSL 3 no longer provides.
      for await (const item of this.client.listObjects(this.bucket, prefix, true)) {
        if (item.name === undefined) continue; // common prefixes only appear in non-recursive listings
        const info: ObjectInfo = { key: item.name, size: item.size, lastModified: item.lastModified };
        if (item.etag) info.etag = item.etag;
        found.push(info);
      }
      return found;
    });
    return sortByKey(items);
  }

  async delete(key: string): Promise<void> {
    checkObjectKey(key);
    try {
      await this.call('removeObject', key, () => this.client.removeObject(this.bucket, key));
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return;
      throw error;
    }
  }

  /** Removes every object under `prefix` (a non-empty prefix: this never empties the whole bucket). */
  async deletePrefix(prefix: string): Promise<void> {
    checkKeyPrefix(prefix, { allowEmpty: false });
    const keys = (await this.list(prefix)).map((item) => item.key);
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      const batch = keys.slice(start, start + DELETE_BATCH);
      // Deleting is idempotent, so a batch that failed half-way is simply sent again (see `call`).
      const results = await this.call('removeObjects', prefix, () => this.client.removeObjects(this.bucket, batch));
      const failures = (results as unknown[]).map(deleteFailure).filter((f): f is DeleteFailure => f !== undefined && !NOT_FOUND_CODES.has(f.code));
      if (failures.length > 0) {
        const first = failures[0];
        throw new StorageRequestError(
          `could not delete ${failures.length} object(s) under ${prefix}: ${first.key}: ${first.code} ${first.message}`.trim(),
          first.code,
        );
      }
    }
  }

  /** Checks that the endpoint answers and the bucket exists (StorageUnavailableError otherwise). */
  async ping(): Promise<void> {
    const exists = await this.call('bucketExists', undefined, () => this.client.bucketExists(this.bucket));
    if (!exists) throw new StorageUnavailableError(`bucket "${this.bucket}" does not exist`);
  }

  private async putBuffer(key: string, data: Buffer, contentType: string): Promise<void> {
    await this.call('putObject', key, () => this.client.putObject(this.bucket, key, data, data.length, { 'Content-Type': contentType }));
  }

  private async multipartUpload(key: string, contentType: string, firstParts: Buffer[], rest: AsyncGenerator<Buffer, void, undefined>, pool: PartBufferPool): Promise<void> {
    const uploadId = await this.call(
      'initiateMultipartUpload',
      key,
      () => this.client.initiateNewMultipartUpload(this.bucket, key, { 'Content-Type': contentType }),
      { idempotent: false },
    );
    const etags: { part: number; etag: string }[] = [];
    const inFlight = new Set<Promise<void>>();
    let failure: { error: unknown } | undefined;
    let partNumber = 0;

    const startPart = (data: Buffer): void => {
      partNumber += 1;
      if (partNumber > MAX_PARTS) {
        failure ??= { error: new RangeError(`body needs more than ${MAX_PARTS} parts of ${this.partSize} bytes; raise partSize`) };
        return;
      }
      const part = partNumber;
      const upload: Promise<void> = this.call('uploadPart', key, () =>
        this.client.uploadPart({ bucketName: this.bucket, objectName: key, uploadID: uploadId, partNumber: part, headers: {} }, data),
      )
        .then(
          (result) => {
            etags.push({ part, etag: result.etag });
          },
          (error: unknown) => {
            failure ??= { error };
          },
        )
        .finally(() => {
          // Settled (retries included): its buffer can take the next part.
          pool.give(data);
          inFlight.delete(upload);
        });
      inFlight.add(upload);
    };
    const waitForSlot = async (): Promise<void> => {
      while (inFlight.size >= this.uploadConcurrency && !failure) await Promise.race(inFlight);
    };

    try {
      for (const data of firstParts) {
        await waitForSlot();
        if (!failure) startPart(data);
      }
      // Read the next part while the others upload, then wait for a slot: the body (an SFTP
      // download, a file being written) keeps flowing instead of pausing at the stream's mark
      // whenever every slot is busy. At most uploadConcurrency parts in flight + 1 read ahead.
      while (!failure) {
        const next = await rest.next();
        if (next.done) break;
        await waitForSlot();
        if (failure) {
          pool.give(next.value);
          break;
        }
        startPart(next.value);
      }
      await Promise.all(inFlight);
      if (failure) throw failure.error;
      etags.sort((a, b) => a.part - b.part);
      await this.call('completeMultipartUpload', key, () => this.client.completeMultipartUpload(this.bucket, key, uploadId, etags), {
        idempotent: false,
      });
    } catch (error) {
      await Promise.allSettled(inFlight);
      // Best effort: the original error matters more than a failed abort (some servers, s3rver among them, lack abort).
      await this.client.abortMultipartUpload(this.bucket, key, uploadId).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Runs one request, translating its errors; an idempotent request is retried
   * (up to `maxRetries`, exponential backoff with jitter) after a transient failure.
   */
  private async call<T>(operation: string, key: string | undefined, fn: () => Promise<T>, options: { idempotent?: boolean } = {}): Promise<T> {
    const retries = options.idempotent === false ? 0 : this.maxRetries;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await fn();
      } catch (error) {
        const translated = this.translate(error, operation, key);
        if (attempt >= retries || !(translated instanceof StorageUnavailableError) || !isTransient(error)) throw translated;
        const delay = this.retryBaseDelayMs * 2 ** attempt;
        await new Promise((resolve) => setTimeout(resolve, delay / 2 + Math.random() * delay));
      }
    }
  }

  /** Maps a minio/network error to the package's typed errors. */
  private translate(error: unknown, operation: string, key: string | undefined): Error {
    if (error instanceof StorageError) return error;
    const where = key === undefined ? `bucket "${this.bucket}"` : `"${this.bucket}/${key}"`;
    const code = s3Code(error);
    if (error instanceof S3Error) {
      if (code !== undefined && NOT_FOUND_CODES.has(code) && key !== undefined) return new ObjectNotFoundError(key, { cause: error });
      if (code !== undefined && UNAVAILABLE_S3_CODES.has(code)) {
        return new StorageUnavailableError(`object storage unavailable (${operation} ${where}): ${code} ${error.message}`, { cause: error });
      }
      return new StorageRequestError(`object storage refused ${operation} ${where}: ${code ?? 'unknown'} ${error.message}`.trim(), code, { cause: error });
    }
    if (isNetworkError(error)) {
      const message = error instanceof Error && error.message ? error.message : String(code);
      return new StorageUnavailableError(`object storage unreachable (${operation} ${where}): ${message}`, { cause: error });
    }
    // minio turns a 5xx/408/429 answer into a plain `Error` ("Request failed after N retries"),
    // without status or code; its argument errors are subclasses. A plain Error from a request is
    // therefore a server-side failure.
    if (error instanceof Error && Object.getPrototypeOf(error) === Error.prototype && code === undefined) {
      return new StorageUnavailableError(`object storage failed (${operation} ${where}): ${error.message}`, { cause: error });
    }
    if (error instanceof Error) return error;
    return new Error(`${operation} ${where} failed: ${String(error)}`);
  }
}

/** The statuses on which minio 8.0.7 throws without reading the response (its `retryHttpCodes`). */
const UNREAD_STATUSES = new Set([408, 429, 499, 500, 502, 503, 504, 520]);

type Transport = Pick<typeof http, 'request'>;

/**
 * minio 8.0.7 throws on a 5xx/408/429 answer without reading its body, so the
 * keep-alive socket stays busy until the server closes it (s3rver: 65 s), which
 * leaks sockets and keeps a process from exiting. This transport discards
 * those bodies (minio never reads them).
 */
function drainingTransport(base: Transport): Transport {
  const request = (options: http.RequestOptions, callback?: (response: http.IncomingMessage) => void): http.ClientRequest =>
    base.request(options, (response) => {
      if (UNREAD_STATUSES.has(response.statusCode ?? 0)) response.resume();
      callback?.(response);
    });
  // http.request has overloads (URL / string / options); minio only uses `request(options, callback)`.
  return { request: request as Transport['request'] };
}

interface DeleteFailure {
  key: string;
  code: string;
  message: string;
}

/** One entry of removeObjects' result: minio returns the DeleteResult `<Error>` elements (its typing says `{Error: …}`). */
function deleteFailure(entry: unknown): DeleteFailure | undefined {
  if (entry === null || typeof entry !== 'object') return undefined;
  const record = ('Error' in entry ? (entry as { Error: unknown }).Error : entry) as Record<string, unknown> | undefined;
  if (!record || typeof record !== 'object' || record.Code === undefined) return undefined;
  return { key: String(record.Key ?? ''), code: String(record.Code), message: String(record.Message ?? '') };
}

function contentTypeOf(options: PutOptions | undefined): string {
  return options?.contentType ?? DEFAULT_CONTENT_TYPE;
}

function s3Code(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** A server answer of the 5xx kind or a dropped connection: another try may well succeed. */
function isTransient(error: unknown): boolean {
  const code = s3Code(error);
  if (error instanceof S3Error) return code !== undefined && UNAVAILABLE_S3_CODES.has(code);
  if (code !== undefined) return TRANSIENT_NETWORK_CODES.has(code);
  // minio's plain Error for a 5xx/408/429 answer (see translate).
  return error instanceof Error && Object.getPrototypeOf(error) === Error.prototype;
}

function isNetworkError(error: unknown): boolean {
  const code = s3Code(error);
  if (code !== undefined && NETWORK_CODES.has(code)) return true;
  // Node ≥ 20 tries every address of a host name and reports an AggregateError of the attempts.
  if (error instanceof AggregateError) return error.errors.some(isNetworkError);
  return false;
}

/**
 * Splits an endpoint URL (`http://127.0.0.1:29000`, `https://minio.example.com`)
 * into the `endPoint`/`port`/`useSSL` options of MinioObjectStorage.
 */
export function parseS3EndpointUrl(url: string): Pick<MinioObjectStorageOptions, 'endPoint' | 'port' | 'useSSL'> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The URL is not echoed: it may carry credentials.
    throw new TypeError('S3 endpoint is not a valid URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`S3 endpoint must use http or https, not ${parsed.protocol}`);
  }
  if (parsed.pathname !== '/' && parsed.pathname !== '') {
    throw new TypeError(`S3 endpoint must not have a path (buckets are addressed path-style), got ${parsed.pathname}`);
  }
  const useSSL = parsed.protocol === 'https:';
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return { endPoint: host, port: parsed.port ? Number(parsed.port) : useSSL ? 443 : 80, useSSL };
}
