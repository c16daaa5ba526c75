/**
 * One sftp step run in its own process (so that its peak RSS is its own), for sftp-bench.ts.
 *   node bench/dist/sftp-step.js download|upload s3|null <remote_path> <object key> <size>
 *   node bench/dist/sftp-step.js s3put minio|storage <local file> <object key>   (S3-side baselines, download)
 *   node bench/dist/sftp-step.js s3get storage <object key>                       (S3-side baseline, upload)
 * Prints one JSON line: {ms, bytes, peak_rss_mb, rss_before_mb (after imports, before the step), sha256?}.
 */
import 'reflect-metadata';
import { createHash, randomFillSync } from 'crypto';
import { createReadStream, readFileSync, statSync } from 'fs';
import { Readable, Writable } from 'stream';
import { pipeline } from 'stream/promises';
import pino from 'pino';
import { SftpExecutor, validateStepConfig, type SftpStepConfig } from '@vecron/executors';
import { InMemoryObjectStorage, MinioObjectStorage, type ObjectStorage } from '@vecron/storage';
import { minioClient, S3_BUCKET, S3_HOST, S3_KEY, S3_PORT } from './common';
import { SFTP_DIR, SFTP_PORT, BENCH_JOB, BENCH_EXEC } from './sftp-common';

/** Storage that keeps no bytes: put hashes what it receives, getStream generates random bytes. */
class NullStorage extends InMemoryObjectStorage {
  sha256 = '';
  constructor(private readonly size: number) {
    super();
  }
  override async putStream(_key: string, body: Readable): Promise<void> {
    const hash = createHash('sha256');
    await pipeline(body, new Writable({ write: (c: Buffer, _e, cb) => (hash.update(c), cb()) }));
    this.sha256 = hash.digest('hex');
  }
  override async getStream(): Promise<Readable> {
    let left = this.size;
    return new Readable({
      highWaterMark: 1024 * 1024,
      read() {
        if (left <= 0) return void this.push(null);
        const n = Math.min(1024 * 1024, left);
        left -= n;
        this.push(randomFillSync(Buffer.allocUnsafe(n)));
      },
    });
  }
}

/**
 * Baselines of the S3 side alone: the same bytes, from the local file, into the same S3 endpoint —
 * through the bare `minio` client (`putObject` with the size known: its own multipart, 64 MiB
 * parts) or through the product's storage (`MinioObjectStorage.putStream`, what the step does).
 */
async function s3Put(kind: string, file: string, key: string): Promise<void> {
  const size = statSync(file).size;
  const rssBefore = Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;
  const started = performance.now();
  if (kind === 'minio') {
    await minioClient().putObject(S3_BUCKET, key, createReadStream(file), size);
  } else {
    const storage = new MinioObjectStorage({ endPoint: S3_HOST, port: S3_PORT, useSSL: false, accessKey: S3_KEY, secretKey: S3_KEY, bucket: S3_BUCKET });
    await storage.putStream(key, createReadStream(file));
  }
  const ms = performance.now() - started;
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;
  process.stdout.write(`${JSON.stringify({ ms: Math.round(ms), bytes: size, peak_rss_mb: Math.round(hwm), rss_before_mb: Math.round(rssBefore) })}\n`);
}

/**
 * Baseline of the S3 side of an upload alone: the product's storage (`MinioObjectStorage.getStream`,
 * what the step reads from) streaming the same object into a sink that only counts the bytes.
 */
async function s3Get(key: string): Promise<void> {
  const storage = new MinioObjectStorage({ endPoint: S3_HOST, port: S3_PORT, useSSL: false, accessKey: S3_KEY, secretKey: S3_KEY, bucket: S3_BUCKET });
  const rssBefore = Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;
  const started = performance.now();
  let bytes = 0;
  await pipeline(await storage.getStream(key), new Writable({ write: (c: Buffer, _e, cb) => ((bytes += c.length), cb()) }));
  const ms = performance.now() - started;
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;
  process.stdout.write(`${JSON.stringify({ ms: Math.round(ms), bytes, peak_rss_mb: Math.round(hwm), rss_before_mb: Math.round(rssBefore) })}\n`);
}

async function main(): Promise<void> {
  const [operation, storageKind, remotePath, key, sizeText] = process.argv.slice(2) as [string, string, string, string, string];
  if (operation === 's3put') return s3Put(storageKind, remotePath, key);
  if (operation === 's3get') return s3Get(remotePath);
  const size = Number(sizeText);
  const storage: ObjectStorage & { sha256?: string } =
    storageKind === 's3'
      ? new MinioObjectStorage({ endPoint: S3_HOST, port: S3_PORT, useSSL: false, accessKey: S3_KEY, secretKey: S3_KEY, bucket: S3_BUCKET })
      : new NullStorage(size);
  if (storage instanceof MinioObjectStorage) await storage.ensureBucket();
  const executor = new SftpExecutor({
    knownHostsPath: `${SFTP_DIR}/known_hosts`,
    ...(process.env.BENCH_SFTP_CHUNK ? { chunkSize: Number(process.env.BENCH_SFTP_CHUNK) } : {}),
    ...(process.env.BENCH_SFTP_CONCURRENCY ? { concurrency: Number(process.env.BENCH_SFTP_CONCURRENCY) } : {}),
  });
  const config = validateStepConfig(executor, {
    operation,
    host: '127.0.0.1',
    port: SFTP_PORT,
    auth: { type: 'ssh_key', username: 'vecron-sftp', private_key: readFileSync(`${SFTP_DIR}/keys/id_ed25519`, 'utf8') },
    remote_path: remotePath,
    ...(operation === 'upload' ? { local_path: key } : {}),
    timeout_seconds: 1800,
  }) as SftpStepConfig;
  const rssBefore = Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;
  const started = performance.now();
  const out = await executor.execute(config, {
    jobId: BENCH_JOB,
    executionId: BENCH_EXEC,
    stepId: 'bench',
    signal: new AbortController().signal,
    logger: pino({ level: 'warn' }),
    storage,
    attempt: 1,
    addFile: () => undefined,
  });
  const ms = performance.now() - started;
  const status = readFileSync('/proc/self/status', 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  const result = { ms: Math.round(ms), bytes: out.files[0]?.size ?? 0, peak_rss_mb: Math.round(hwm), rss_before_mb: Math.round(rssBefore), path: out.files[0]?.path, sha256: storage instanceof NullStorage ? storage.sha256 : undefined };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
