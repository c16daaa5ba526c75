import { recreateDatabase } from '@vecron/db';
import { MinioObjectStorage } from '@vecron/storage';

/** Local services of scripts/services.sh (override with VECRON_TEST_* variables). */
export const PG_ADMIN_URL = process.env.VECRON_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:25432/postgres';
export const REDIS_URL = process.env.VECRON_TEST_REDIS_URL ?? 'redis://127.0.0.1:26379/2';
export const S3_PORT = Number(process.env.VECRON_TEST_S3_PORT ?? 29000);

/** Drops and creates a database for one test file; returns its URL. */
export function freshDatabase(name: string, adminUrl: string = PG_ADMIN_URL): Promise<string> {
  return recreateDatabase(adminUrl, name);
}

export function storageFor(bucket: string, port: number = S3_PORT): MinioObjectStorage {
  return new MinioObjectStorage({ endPoint: '127.0.0.1', port, useSSL: false, accessKey: 'S3RVER', secretKey: 'S3RVER', bucket });
}

/** Polls `fn` until it returns a truthy value or the time is up. */
export async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs: number, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
