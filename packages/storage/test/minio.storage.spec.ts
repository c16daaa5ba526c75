import { createHash, randomFillSync, randomUUID } from 'crypto';
import { Client } from 'minio';
import { Readable } from 'stream';
import { ObjectNotFoundError, StorageRequestError, StorageUnavailableError } from '../src/errors';
import { MinioObjectStorage } from '../src/minio.storage';
import { describeObjectStorageConformance } from '../src/object-storage.conformance';
import { testS3Options, uniqueBucketName } from './s3-test-config';

const MiB = 1024 * 1024;

describeObjectStorageConformance('MinioObjectStorage (local S3 endpoint)', async () => {
  const storage = new MinioObjectStorage(testS3Options());
  await storage.ensureBucket();
  return storage;
});

/** A raw client on the test endpoint, for set-up and clean-up outside the class under test. */
function rawClient(): Client {
  const o = testS3Options();
  return new Client({ endPoint: o.endPoint, port: o.port, useSSL: o.useSSL, accessKey: o.accessKey, secretKey: o.secretKey, pathStyle: true });
}

/**
 * A body of `total` pseudo-random bytes produced on the fly in `chunkSize` chunks
 * (never held whole), hashing what it emits.
 */
function randomBody(total: number, chunkSize = MiB): { stream: Readable; digest: () => string } {
  const hash = createHash('sha256');
  let sent = 0;
  const stream = new Readable({
    highWaterMark: chunkSize,
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      const chunk = randomFillSync(Buffer.allocUnsafe(Math.min(chunkSize, total - sent)));
      sent += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}

async function digestOf(stream: Readable): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** Samples the process RSS every 20 ms until stopped; returns the peak. */
function sampleRss(): () => number {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  return () => {
    clearInterval(timer);
    return Math.max(peak, process.memoryUsage.rss());
  };
}

describe('MinioObjectStorage on the local S3 endpoint', () => {
  const prefix = `minio-spec/${Date.now().toString(36)}-${randomUUID().slice(0, 8)}/`;
  let storage: MinioObjectStorage;

  beforeAll(async () => {
    storage = new MinioObjectStorage(testS3Options());
    await storage.ensureBucket();
  });

  afterAll(async () => {
    await storage.deletePrefix(prefix);
  });

  describe('ensureBucket', () => {
    const bucket = uniqueBucketName('ensure');

    afterAll(async () => {
      await rawClient()
        .removeBucket(bucket)
        .catch(() => undefined);
    });

    it('creates a missing bucket, tolerates concurrent creators, and is idempotent', async () => {
      const instances = Array.from({ length: 5 }, () => new MinioObjectStorage(testS3Options({ bucket })));
      await expect(instances[0].ping()).rejects.toBeInstanceOf(StorageUnavailableError);
      await Promise.all(instances.map((s) => s.ensureBucket()));
      await instances[0].ensureBucket();
      await expect(instances[1].ping()).resolves.toBeUndefined();
      expect(await rawClient().bucketExists(bucket)).toBe(true);
      await instances[2].put('k', 'v');
      expect((await instances[3].get('k')).toString()).toBe('v');
      await instances[4].delete('k');
    });
  });

  it('ensureBucket accepts losing the create race to another process (BucketAlreadyExists)', async () => {
    const client = rawClient();
    // Our existence check runs "before" the other process creates the bucket.
    const bucketExists = jest.spyOn(client, 'bucketExists').mockResolvedValueOnce(false);
    const makeBucket = jest.spyOn(client, 'makeBucket');
    const s = new MinioObjectStorage({ ...testS3Options(), client });
    await expect(s.ensureBucket()).resolves.toBeUndefined();
    expect(makeBucket).toHaveBeenCalledTimes(1);
    await expect(makeBucket.mock.results[0].value).rejects.toMatchObject({ code: 'BucketAlreadyExists' });
    expect(bucketExists).toHaveBeenCalledTimes(2);
  });

  it('reports a missing bucket as StorageRequestError NoSuchBucket, not as a missing object', async () => {
    const missing = new MinioObjectStorage(testS3Options({ bucket: uniqueBucketName('missing') }));
    const error = await missing.get('k').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageRequestError);
    expect(error).not.toBeInstanceOf(ObjectNotFoundError);
    expect((error as StorageRequestError).s3Code).toBe('NoSuchBucket');
  });

  it('reports wrong credentials as a non-retryable StorageRequestError', async () => {
    const wrong = new MinioObjectStorage(testS3Options({ secretKey: 'not-the-secret' }));
    const error = await wrong.put(`${prefix}denied`, 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageRequestError);
    expect((error as StorageRequestError).retryable).toBe(false);
    expect((error as Error).message).not.toContain('not-the-secret');
    expect(await storage.exists(`${prefix}denied`)).toBe(false);
  });

  describe('an unreachable endpoint', () => {
    const down = new MinioObjectStorage({ ...testS3Options(), endPoint: '127.0.0.1', port: 1, region: 'us-east-1' });
    const downAutoRegion = new MinioObjectStorage({ ...testS3Options(), endPoint: '127.0.0.1', port: 1 });
    const calls: [string, (s: MinioObjectStorage) => Promise<unknown>][] = [
      ['ping', (s) => s.ping()],
      ['ensureBucket', (s) => s.ensureBucket()],
      ['put', (s) => s.put('a/b', 'x')],
      ['putStream', (s) => s.putStream('a/b', Readable.from([Buffer.from('x')]))],
      ['get', (s) => s.get('a/b')],
      ['getStream', (s) => s.getStream('a/b')],
      ['stat', (s) => s.stat('a/b')],
      ['exists', (s) => s.exists('a/b')],
      ['list', (s) => s.list('a/')],
      ['delete', (s) => s.delete('a/b')],
      ['deletePrefix', (s) => s.deletePrefix('a/')],
    ];

    it.each(calls)('%s throws a retryable StorageUnavailableError', async (_name, call) => {
      for (const s of [down, downAutoRegion]) {
        const error = await call(s).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StorageUnavailableError);
        expect((error as StorageUnavailableError).retryable).toBe(true);
        expect((error as Error).message).toMatch(/unreachable/);
      }
    });
  });

  describe('multipart putStream', () => {
    const partSize = 5 * MiB;

    it('uploads a body bigger than partSize in parts, in order, keeping the content type', async () => {
      const client = rawClient();
      const uploadPart = jest.spyOn(client, 'uploadPart');
      const s = new MinioObjectStorage({ ...testS3Options(), client, partSize });
      const key = `${prefix}multipart.bin`;
      const size = 2 * partSize + 123_457;
      const body = randomBody(size, 300_000);
      await s.putStream(key, body.stream, { contentType: 'text/csv' });
      expect(uploadPart).toHaveBeenCalledTimes(3);
      expect(uploadPart.mock.calls.map((c) => c[0].partNumber).sort()).toEqual([1, 2, 3]);
      const info = await s.stat(key);
      expect(info.size).toBe(size);
      expect(info.contentType).toBe('text/csv');
      // The ETag S3 and MinIO give a multipart object (the local endpoint builds it from the parts' md5s).
      expect(info.etag).toMatch(/^[0-9a-f]{32}-3$/);
      const read = await digestOf(await s.getStream(key));
      expect(read).toEqual({ sha256: body.digest(), size });
    });

    it('puts a body of exactly partSize in a single request', async () => {
      const client = rawClient();
      const uploadPart = jest.spyOn(client, 'uploadPart');
      const s = new MinioObjectStorage({ ...testS3Options(), client, partSize });
      const body = randomBody(partSize, 1024 * 1024);
      await s.putStream(`${prefix}one-part.bin`, body.stream);
      expect(uploadPart).not.toHaveBeenCalled();
      expect(await digestOf(await s.getStream(`${prefix}one-part.bin`))).toEqual({ sha256: body.digest(), size: partSize });
    });

    it('aborts when the body fails after some parts: the error is the body error and the old object stays', async () => {
      const client = rawClient();
      const abort = jest.spyOn(client, 'abortMultipartUpload');
      const complete = jest.spyOn(client, 'completeMultipartUpload');
      const s = new MinioObjectStorage({ ...testS3Options(), client, partSize });
      const key = `${prefix}aborted.bin`;
      await s.put(key, 'previous version');
      const boom = new Error('disk read failed');
      let sent = 0;
      const body = new Readable({
        read() {
          if (sent >= 11 * MiB) {
            this.destroy(boom);
            return;
          }
          sent += MiB;
          this.push(Buffer.alloc(MiB, 1));
        },
      });
      await expect(s.putStream(key, body)).rejects.toBe(boom);
      expect(abort).toHaveBeenCalledTimes(1);
      expect(complete).not.toHaveBeenCalled();
      expect((await s.get(key)).toString()).toBe('previous version');
    });
  });

  it(
    'streams 150 MB up and down with matching SHA-256 and bounded memory',
    async () => {
      const size = 150 * 1000 * 1000;
      const key = `${prefix}big/150mb.bin`;
      const body = randomBody(size);
      const startRss = process.memoryUsage.rss();
      let stop = sampleRss();
      try {
        await storage.putStream(key, body.stream, { contentType: 'application/octet-stream' });
        const uploadPeak = stop();
        expect((await storage.stat(key)).size).toBe(size);
        const downloadStartRss = process.memoryUsage.rss();
        stop = sampleRss();
        const read = await digestOf(await storage.getStream(key));
        const downloadPeak = stop();

        expect(read.size).toBe(size);
        expect(read.sha256).toBe(body.digest());
        const limit = 120 * MiB;
        if (process.env.VECRON_TEST_VERBOSE) {
          process.stderr.write(
            `150 MB transfer: upload RSS +${((uploadPeak - startRss) / MiB).toFixed(1)} MiB, ` +
              `download RSS +${((downloadPeak - downloadStartRss) / MiB).toFixed(1)} MiB\n`,
          );
        }
        expect(uploadPeak - startRss).toBeLessThan(limit);
        expect(downloadPeak - startRss).toBeLessThan(limit);
      } finally {
        stop();
        await storage.delete(key);
      }
      expect(await storage.exists(key)).toBe(false);
    },
    300_000,
  );
});
