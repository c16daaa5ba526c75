import pino from 'pino';
import { BaseEnv } from './base.env';
import { loadConfig } from './load-config';
import { closeOnSignals } from './process-lifecycle';
import { databaseOptions, queueOptions, storageOptions } from './service-options';

describe('service options from the environment', () => {
  const env = loadConfig(BaseEnv, { DATABASE_URL: 'postgres://u@db:5432/x', S3_PORT: '9000', S3_USE_SSL: 'true', VARIABLES_ENCRYPTION_KEYS: 'k:abc', QUEUE_PREFIX: 'p' });

  it('maps the database settings, with a pool size override', () => {
    expect(databaseOptions(env, 'app')).toEqual({ connectionString: 'postgres://u@db:5432/x', poolSize: 10, applicationName: 'app', encryptionKeys: 'k:abc', encryptionKeyId: undefined });
    expect(databaseOptions(env, 'app', 42).poolSize).toBe(42);
  });

  it('maps storage and queue settings', () => {
    expect(storageOptions(env)).toMatchObject({ endPoint: '127.0.0.1', port: 9000, useSSL: true, bucket: 'vecron' });
    expect(queueOptions(env)).toEqual({ redisUrl: 'redis://127.0.0.1:26379/0', prefix: 'p', logLevel: 'info' });
  });
});

describe('closeOnSignals', () => {
  it('closes the app once on SIGTERM and exits 0', async () => {
    let closed = 0;
    const codes: number[] = [];
    const before = process.listeners('SIGTERM').length;
    closeOnSignals({ close: async () => void closed++ }, pino({ level: 'silent' }), (c) => codes.push(c));
    const handler = process.listeners('SIGTERM').at(-1)!;
    handler('SIGTERM');
    handler('SIGTERM');
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(1);
    expect(codes).toEqual([0]);
    process.removeListener('SIGTERM', handler);
    process.removeListener('SIGINT', process.listeners('SIGINT').at(-1)!);
    expect(process.listeners('SIGTERM').length).toBe(before);
  });

  it('a signal during start-up waits for the app, then closes it', async () => {
    let closed = 0;
    const codes: number[] = [];
    let started!: (app: { close(): Promise<void> }) => void;
    closeOnSignals(new Promise((r) => (started = r)), pino({ level: 'silent' }), (c) => codes.push(c));
    const handler = process.listeners('SIGTERM').at(-1)!;
    handler('SIGTERM');
    await new Promise((r) => setImmediate(r));
    expect(codes).toEqual([]);
    started({ close: async () => void closed++ });
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(1);
    expect(codes).toEqual([0]);
    process.removeListener('SIGTERM', handler);
    process.removeListener('SIGINT', process.listeners('SIGINT').at(-1)!);
  });

  it('exits 1 when closing fails', async () => {
    const codes: number[] = [];
    closeOnSignals({ close: async () => { throw new Error('boom'); } }, pino({ level: 'silent' }), (c) => codes.push(c));
    const handler = process.listeners('SIGINT').at(-1)!;
    handler('SIGINT');
    await new Promise((r) => setImmediate(r));
    expect(codes).toEqual([1]);
    process.removeListener('SIGINT', handler);
    process.removeListener('SIGTERM', process.listeners('SIGTERM').at(-1)!);
  });
});
