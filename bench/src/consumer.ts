/**
 * Child process of the bench: a Bull consumer of the executions queue that is NOT the product.
 *
 *   MODE=raw-bull  no-op processor (Bull's own cost; records lateness of delayed jobs)
 *   MODE=minimal   the same I/O per execution as the worker, with the same clients and nothing
 *                  else: one claim statement (UPDATE … RETURNING with the variables read in
 *                  the same statement), one definition GET, context PUT, current_step UPDATE, the HTTP call
 *                  (fetch), context PUT, finish CTE. SQL copied from packages/db/src/
 *                  (executions.repository.ts, variables/variables.repository.ts, database.ts) and
 *                  the order from apps/worker/src/executions/execution-runner.service.ts.
 *
 * Talks to the parent over IPC: sends {type:'ready'}; answers {type:'report'} with its counters.
 */
import Bull from 'bull';
import { Pool } from 'pg';
import { executionQueueOptions, EXECUTIONS_QUEUE } from '@vecron/queue';
import { minioClient, REDIS_URL, S3_BUCKET } from './common';

const MODE = process.env.MODE ?? 'raw-bull';
const PREFIX = process.env.QUEUE_PREFIX!;
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 50);
const WORKER_ID = process.env.WORKER_ID ?? `minimal:${process.pid}`;

interface JobData {
  execution_id: string;
  job_id: string;
  /** raw-bull lateness runs: the instant the job was due (epoch ms). */
  due?: number;
}

const COLUMNS = `id, job_id, idempotency_key, status, trigger_source, trigger_metadata, attempt, scheduled_for, current_step,
  context_path, definition_version, worker_id, started_at, completed_at, error, created_at, updated_at`;

/** ExecutionsRepository.claimWithVariables: the claim and the variables in one autocommit statement (READ COMMITTED). */
const CLAIM = `with c as (
           update job_executions set status='running', worker_id=$2, started_at=now(), updated_at=now()
           where id=$1 and status='pending' returning ${COLUMNS}
         )
         select c.*, coalesce((
           select json_agg(json_build_object('name', v.name, 'value', v.value, 'encrypted_value', v.encrypted_value,
             'key_id', v.key_id, 'is_sensitive', v.is_sensitive) order by v.job_id is not null, v.name)
           from variables v where v.job_id is null or v.job_id = c.job_id), '[]'::json) as variables
         from c`;
const SET_STEP = `update job_executions set current_step=$2, updated_at=now() where id=$1`;
const FINISH = `with f as (
         update job_executions set status=$2, error=$3, completed_at=now(), updated_at=now()
         where id=$1 and status in ('pending','running') returning ${COLUMNS}
       ), s as (
         insert into job_stats as js (job_id, total_executions, success_count, failed_count, last_execution_id, last_status,
           last_duration_ms, total_duration_ms, updated_at)
         select job_id, 1, (status='success')::int, (status<>'success')::int, id, status,
           coalesce((extract(epoch from completed_at - started_at) * 1000)::bigint, 0),
           coalesce((extract(epoch from completed_at - started_at) * 1000)::bigint, 0), now() from f
         on conflict (job_id) do update set total_executions=js.total_executions+1,
           success_count=js.success_count+excluded.success_count, failed_count=js.failed_count+excluded.failed_count,
           last_execution_id=excluded.last_execution_id, last_status=excluded.last_status,
           last_duration_ms=excluded.last_duration_ms, total_duration_ms=js.total_duration_ms+excluded.total_duration_ms,
           updated_at=now()
       ), j as (
         update jobs set last_run_at = f.completed_at from f where jobs.id = f.job_id
       )
       select * from f`;

let done = 0;
let failed = 0;
let lastDoneAt = 0;
const lags: number[] = [];

async function main(): Promise<void> {
  const queue = new Bull<JobData>(EXECUTIONS_QUEUE, executionQueueOptions(REDIS_URL, PREFIX));
  await queue.isReady();
  let processor: (job: Bull.Job<JobData>) => Promise<void>;
  let pg: Pool | null = null;

  if (MODE === 'raw-bull') {
    processor = async (job) => {
      const now = Date.now();
      if (job.data.due !== undefined) lags.push(now - job.data.due);
      done++;
      lastDoneAt = now;
    };
  } else if (MODE === 'minimal') {
    pg = new Pool({ connectionString: process.env.DATABASE_URL, max: Math.min(CONCURRENCY, 50), application_name: 'vecron-bench-minimal' });
    pg.on('error', () => undefined);
    const s3 = minioClient();
    const db = pg;
    processor = async (job) => {
      const { execution_id: id, job_id: jobId } = job.data;
      // Claim + variables in one statement (1 round trip, 1 commit).
      const claimed = await db.query(CLAIM, [id, WORKER_ID]);
      const row = claimed.rows[0] as { definition_version: number } | undefined;
      if (!row) return;
      const stream = await s3.getObject(S3_BUCKET, `jobs/${jobId}/versions/${row.definition_version}.json`);
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      const definition = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { steps: { id: string; config: { url: string } }[] };
      const step = definition.steps[0]!;
      const key = `jobs/${jobId}/executions/${id}/context.json`;
      const context: Record<string, unknown> = { execution_id: id, job_id: jobId, variables: {}, steps: {}, files: [] };
      let body = Buffer.from(JSON.stringify(context), 'utf8');
      await s3.putObject(S3_BUCKET, key, body, body.length, { 'Content-Type': 'application/json' });
      await db.query(SET_STEP, [id, step.id]);
      const startedAt = new Date().toISOString();
      const url = step.config.url.replace('{{execution_id}}', id);
      const res = await fetch(url, { headers: { 'user-agent': 'vecron-worker' } });
      const output = { status: res.status, headers: Object.fromEntries(res.headers), body: await res.json() };
      (context.steps as Record<string, unknown>)[step.id] = {
        step_id: step.id, status: 'success', output, started_at: startedAt, completed_at: new Date().toISOString(),
      };
      body = Buffer.from(JSON.stringify(context), 'utf8');
      await s3.putObject(S3_BUCKET, key, body, body.length, { 'Content-Type': 'application/json' });
      await db.query(FINISH, [id, 'success', null]);
      done++;
      lastDoneAt = Date.now();
    };
  } else {
    throw new Error(`unknown MODE ${MODE}`);
  }

  void queue.process(CONCURRENCY, async (job) => {
    try {
      await processor(job);
    } catch (err) {
      failed++;
      process.stderr.write(`execution ${job.data.execution_id} failed: ${(err as Error).stack}\n`);
    }
  });

  process.on('message', (m: { type: string }) => {
    if (m.type === 'report') process.send!({ type: 'report', done, failed, lastDoneAt, lags });
  });
  const stop = (): void => {
    void queue
      .close()
      .catch(() => undefined)
      .then(() => pg?.end())
      .finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
  process.send!({ type: 'ready' });
}

main().catch((err: unknown) => {
  process.stderr.write(`consumer failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
