import { randomUUID } from 'crypto';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { Database, JobsRepository, migrate, recreateDatabase } from '@vecron/db';
import { jobDefinitionKey, jobDefinitionVersionKey, MinioObjectStorage } from '@vecron/storage';
import { PG_ADMIN_URL, pool, S3_BUCKET, S3_HOST, S3_KEY, S3_PORT } from './common';

/** A fresh bench database with the product's schema (its own migrator). */
export async function freshDatabase(name: string): Promise<{ url: string; db: Database }> {
  if (!name.startsWith('vecron_bench_')) throw new Error(`bench databases are named vecron_bench_*, not ${name}`);
  const url = await recreateDatabase(PG_ADMIN_URL, name);
  const db = new Database({ connectionString: url, poolSize: 40, applicationName: 'vecron-bench' });
  await migrate(db.pool);
  return { url, db };
}

export async function dropDatabase(name: string): Promise<void> {
  if (!name.startsWith('vecron_bench_')) return;
  const { Client } = await import('pg');
  const admin = new Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`drop database if exists "${name}" with (force)`);
  } finally {
    await admin.end();
  }
}

export function benchStorage(): MinioObjectStorage {
  return new MinioObjectStorage({ endPoint: S3_HOST, port: S3_PORT, useSSL: false, accessKey: S3_KEY, secretKey: S3_KEY, bucket: S3_BUCKET, region: 'us-east-1' });
}

export type ScheduleJson = Record<string, unknown> | null;

/**
 * A job definition as the api stores it after validation (class defaults filled in):
 * one `http` step calling `url`.
 */
export function httpJobDefinition(name: string, url: string, schedule: ScheduleJson): Record<string, unknown> {
  return {
    name,
    description: null,
    schedule,
    triggers: { scheduled: schedule !== null, manual: true, webhook: { enabled: false } },
    steps: [{ id: 'call', name: 'Call', type: 'http', condition: null, config: { method: 'GET', url, timeout_seconds: 30 } }],
    timeout_seconds: 300,
    max_retries: 0,
    allow_concurrent: schedule === null,
    enabled: true,
  };
}

export const ONE_TIME = (executeAt: Date): Record<string, unknown> => ({
  type: 'one_time',
  execute_at: executeAt.toISOString(),
  timezone: 'Asia/Ho_Chi_Minh',
  misfire_policy: 'fire_once',
  misfire_max_fires: 100,
});

/**
 * Creates jobs exactly as JobsService.create lays them out: the row (JobsRepository.insert) and
 * the definition at jobs/{id}/versions/1.json and jobs/{id}/definition.json. Returns the ids and
 * every object key written (for cleanup).
 */
export async function createJobs(
  db: Database,
  defs: { definition: Record<string, unknown>; nextRunAt: Date | null }[],
  concurrency = 24,
): Promise<{ ids: string[]; keys: string[] }> {
  const storage = benchStorage();
  const jobs = new JobsRepository(db);
  const ids = defs.map(() => randomUUID());
  const keys: string[] = [];
  await pool(defs, concurrency, async ({ definition, nextRunAt }, i) => {
    const id = ids[i]!;
    const body = JSON.stringify(definition, null, 2);
    const schedule = definition.schedule as Record<string, unknown> | null;
    await storage.put(jobDefinitionVersionKey(id, 1), body, { contentType: 'application/json' });
    await storage.put(jobDefinitionKey(id), body, { contentType: 'application/json' });
    keys.push(jobDefinitionVersionKey(id, 1), jobDefinitionKey(id));
    await jobs.insert(id, {
      name: String(definition.name),
      description: null,
      enabled: true,
      definition_path: jobDefinitionKey(id),
      schedule,
      schedule_type: schedule ? String(schedule.type) : null,
      timezone: schedule ? String(schedule.timezone ?? 'Asia/Ho_Chi_Minh') : null,
      scheduled_trigger: schedule !== null,
      manual_trigger: true,
      webhook_enabled: false,
      allow_concurrent: Boolean(definition.allow_concurrent),
      next_run_at: nextRunAt,
    });
  });
  return { ids, keys };
}

/** The local HTTP endpoint the steps call: answers 200 JSON at once and records when each request arrived. */
export class HttpTarget {
  private server: Server | null = null;
  /** `e` query parameter → arrival time (epoch ms). */
  readonly hits = new Map<string, number>();
  count = 0;
  port = 0;

  async start(): Promise<void> {
    const body = Buffer.from(JSON.stringify({ ok: true, items: [{ id: 1, name: 'a' }] }));
    this.server = createServer((req, res) => {
      const at = Date.now();
      this.count++;
      const q = req.url?.indexOf('e=') ?? -1;
      if (q >= 0) this.hits.set(req.url!.slice(q + 2), at);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  url(suffix = ''): string {
    return `http://127.0.0.1:${this.port}/ok${suffix}`;
  }

  reset(): void {
    this.hits.clear();
    this.count = 0;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }
}
