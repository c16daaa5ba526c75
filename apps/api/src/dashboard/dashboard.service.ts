import { Inject, Injectable } from '@nestjs/common';
import { Database, type ExecutionRecord, type JobRecord } from '@vecron/db';
import { upcomingFires, type JobDefinition, type Schedule } from '@vecron/definitions';
import { OBJECT_STORAGE, ObjectNotFoundError, jobDefinitionVersionKey, jobPrefix, type ObjectStorage } from '@vecron/storage';
import type { Readable } from 'stream';
import { NotFoundError } from '../errors/app-errors';
import { JobsService } from '../jobs/jobs.service';
import type { JobView } from '../jobs/job.presenter';

export const JOB_PAGE_SIZE = 25;
export const EXECUTION_PAGE_SIZE = 30;
/** Lists count matching executions up to this many ("10,000+" beyond). */
export const COUNT_CAP = 10_000;
const SENSITIVE_KEY = /pass(word)?|secret|token|authorization|api[_-]?key|private[_-]?key|passphrase|credential/i;
const MASK = '******';

export type JobStatusFilter = 'enabled' | 'disabled' | 'running';

export interface JobRow {
  id: string;
  name: string;
  description: string | null;
  enabled: boolean;
  running: boolean;
  schedule: Schedule | null;
  timezone: string | null;
  next_run_at: Date | null;
  last: { id: string; status: string; at: Date } | null;
  success_rate: number | null;
}

export interface ExecutionRow {
  id: string;
  job_id: string;
  job_name: string;
  status: string;
  trigger_source: string;
  attempt: number;
  started_at: Date | null;
  completed_at: Date | null;
  created_at: Date;
  updated_at: Date;
  timezone: string | null;
  duration_ms: number | null;
  current_step: string | null;
  /** Who triggered it: the username (or the token subject in keycloak mode); null for the scheduler. */
  triggered_by: string | null;
  /** The user id recorded by the api (`job_executions.triggered_by`). */
  triggered_by_id: string | null;
}

export interface ExecutionFilter {
  jobId?: string;
  status?: string;
  triggerSource?: string;
  from?: Date;
  to?: Date;
  page: number;
  /** Only executions triggered by this user id (users who may not see all executions see their own). */
  triggeredBy?: string;
}

interface StoredStep {
  status: string;
  started_at?: string;
  completed_at?: string | null;
  output?: unknown;
  error?: { message: string; type?: string };
}
export interface StoredContext {
  steps?: Record<string, StoredStep>;
  files?: { path: string; filename: string; size: number; mime_type: string; step_id?: string }[];
  [k: string]: unknown;
}

/** Masks values whose key names a secret (passwords, tokens, keys) anywhere in a JSON value. */
export function maskSensitive<T>(value: T): T {
  const walk = (v: unknown, key?: string): unknown => {
    if (key !== undefined && SENSITIVE_KEY.test(key) && v !== null && typeof v !== 'object') return MASK;
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  return walk(value) as T;
}

const EXEC_COLUMNS = `e.id, e.job_id, j.name as job_name, e.status, e.trigger_source, e.attempt, e.started_at, e.completed_at,
  e.created_at, e.updated_at, j.timezone, e.current_step, e.triggered_by as triggered_by_id, u.username as triggered_by_name`;
/** Executions with their job and the user who triggered them. */
const EXEC_FROM = `job_executions e join jobs j on j.id = e.job_id left join users u on u.id::text = e.triggered_by`;

type ExecQueryRow = Omit<ExecutionRow, 'duration_ms' | 'triggered_by'> & { triggered_by_name: string | null };

function toExecutionRow(r: ExecQueryRow): ExecutionRow {
  const { triggered_by_name, ...rest } = r;
  return {
    ...rest,
    duration_ms: r.started_at && r.completed_at ? r.completed_at.getTime() - r.started_at.getTime() : null,
    triggered_by: triggered_by_name ?? r.triggered_by_id,
  };
}

/**
 * What the dashboard pages show, read in few indexed queries per page: a page of jobs with
 * their running state, last run and 30-day success rate; executions with their job's name.
 */
@Injectable()
export class DashboardService {
  constructor(
    private readonly db: Database,
    private readonly jobs: JobsService,
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
  ) {}

  async listJobs(f: { q?: string; status?: JobStatusFilter; page: number }): Promise<{ items: JobRow[]; total: number; pages: number }> {
    const where = ['j.deleted_at is null'];
    const params: unknown[] = [];
    if (f.q) {
      params.push(`%${f.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      where.push(`lower(j.name) like $${params.length}`);
    }
    if (f.status === 'enabled') where.push('j.enabled');
    if (f.status === 'disabled') where.push('not j.enabled');
    if (f.status === 'running') where.push(`exists (select 1 from job_executions r where r.job_id = j.id and r.status = 'running')`);
    const cond = where.join(' and ');
    const total = Number((await this.db.query<{ n: string }>(`select count(*) as n from jobs j where ${cond}`, params)).rows[0]!.n);
    params.push(JOB_PAGE_SIZE, (f.page - 1) * JOB_PAGE_SIZE);
    const { rows } = await this.db.query<JobRecord>(
      `select j.* from jobs j where ${cond} order by j.created_at desc, j.id limit $${params.length - 1} offset $${params.length}`,
      params,
    );
    const ids = rows.map((r) => r.id);
    const [running, last, rates] = ids.length
      ? await Promise.all([
          this.db.query<{ job_id: string }>(`select distinct job_id from job_executions where job_id = any($1::uuid[]) and status = 'running'`, [ids]),
          this.db.query<{ job_id: string; id: string; status: string; at: Date }>(
            `select j.id as job_id, e.id, e.status, coalesce(e.started_at, e.created_at) as at
             from unnest($1::uuid[]) as j(id)
             cross join lateral (select id, status, started_at, created_at from job_executions x
               where x.job_id = j.id and x.status not in ('pending') order by x.created_at desc limit 1) e`,
            [ids],
          ),
          this.db.query<{ job_id: string; finished: string; ok: string }>(
            `select job_id, count(*) filter (where status in ('success','failed','timeout','dead_letter')) as finished,
               count(*) filter (where status = 'success') as ok
             from job_executions where job_id = any($1::uuid[]) and created_at > now() - interval '30 days' group by job_id`,
            [ids],
          ),
        ])
      : [{ rows: [] }, { rows: [] }, { rows: [] }];
    const runningSet = new Set(running.rows.map((r) => r.job_id));
    const lastBy = new Map(last.rows.map((r) => [r.job_id, r]));
    const rateBy = new Map(rates.rows.map((r) => [r.job_id, Number(r.finished) ? Number(r.ok) / Number(r.finished) : null]));
    return {
      total,
      pages: Math.max(1, Math.ceil(total / JOB_PAGE_SIZE)),
      items: rows.map((j) => {
        const l = lastBy.get(j.id);
        return {
          id: j.id,
          name: j.name,
          description: j.description,
          enabled: j.enabled,
          running: runningSet.has(j.id),
          schedule: j.scheduled_trigger ? (j.schedule as unknown as Schedule | null) : null,
          timezone: j.timezone,
          next_run_at: j.enabled ? j.next_run_at : null,
          last: l ? { id: l.id, status: l.status, at: l.at } : null,
          success_rate: rateBy.get(j.id) ?? null,
        };
      }),
    };
  }

  async job(id: string): Promise<{ job: JobView; definition: JobDefinition; nextFires: Date[] }> {
    const job = await this.jobs.get(id);
    const definition = job.definition!;
    const schedule = definition.triggers.scheduled && job.enabled ? (definition.schedule ?? null) : null;
    const record = await this.jobs.require(id);
    let nextFires: Date[] = [];
    try {
      nextFires = upcomingFires(schedule, new Date(), 10, { createdAt: record.last_fire_time ?? record.created_at });
    } catch {
      nextFires = [];
    }
    return { job, definition, nextFires };
  }

  async listExecutions(f: ExecutionFilter, pageSize = EXECUTION_PAGE_SIZE): Promise<{ items: ExecutionRow[]; total: number; capped: boolean; pages: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown): void => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    add('e.created_at >= ?', f.from ?? new Date(Date.now() - 30 * 86_400_000));
    if (f.to) add('e.created_at < ?', f.to);
    if (f.jobId) add('e.job_id = ?', f.jobId);
    if (f.status) add('e.status = ?', f.status);
    if (f.triggerSource) add('e.trigger_source = ?', f.triggerSource);
    if (f.triggeredBy) add('e.triggered_by = ?', f.triggeredBy);
    const cond = `where ${where.join(' and ')}`;
    // Counting stops at COUNT_CAP: an exact count of millions of rows would cost more than the page.
    const total = Number(
      (await this.db.query<{ n: string }>(`select count(*) as n from (select 1 from job_executions e ${cond} limit ${COUNT_CAP + 1}) x`, params)).rows[0]!.n,
    );
    params.push(pageSize, (f.page - 1) * pageSize);
    // The order of job_executions_created_idx (created_at desc, id): no sort, whatever the table size.
    const { rows } = await this.db.query<ExecQueryRow>(
      `select ${EXEC_COLUMNS} from ${EXEC_FROM} ${cond}
       order by e.created_at desc, e.id limit $${params.length - 1} offset $${params.length}`,
      params,
    );
    return { items: rows.map(toExecutionRow), total, capped: total > COUNT_CAP, pages: Math.max(1, Math.ceil(Math.min(total, COUNT_CAP) / pageSize)) };
  }

  /** Executions changed after `since` (index job_executions_updated_idx), oldest change first. */
  async changedSince(since: Date, jobId?: string): Promise<ExecutionRow[]> {
    const params: unknown[] = [since];
    let cond = 'e.updated_at > $1';
    if (jobId) {
      params.push(jobId);
      cond += ' and e.job_id = $2';
    }
    const { rows } = await this.db.query<ExecQueryRow>(
      `select ${EXEC_COLUMNS} from ${EXEC_FROM} where ${cond} order by e.updated_at limit 200`,
      params,
    );
    return rows.map(toExecutionRow);
  }

  async execution(id: string): Promise<{ execution: ExecutionRecord; row: ExecutionRow; context: StoredContext | null; definition: JobDefinition | null }> {
    const { rows } = await this.db.query<ExecutionRecord & { job_name: string; timezone: string | null; triggered_by_id: string | null; triggered_by_name: string | null }>(
      `select e.*, j.name as job_name, j.timezone, e.triggered_by as triggered_by_id, u.username as triggered_by_name from ${EXEC_FROM} where e.id = $1`,
      [id],
    );
    const e = rows[0];
    if (!e) throw new NotFoundError(`execution ${id} not found`);
    const context = await this.readContext(e.context_path);
    let definition: JobDefinition | null = null;
    try {
      definition = JSON.parse((await this.storage.get(jobDefinitionVersionKey(e.job_id, e.definition_version))).toString('utf8')) as JobDefinition;
    } catch {
      definition = null;
    }
    return { execution: e, row: toExecutionRow(e), context: context ? maskSensitive(context) : null, definition };
  }

  /** A file the execution produced (listed in its context), streamed from object storage. */
  async file(executionId: string, index: number): Promise<{ filename: string; mime: string; size: number; stream: Readable }> {
    const { execution, context } = await this.execution(executionId);
    const f = context?.files?.[index];
    if (!f || !f.path.startsWith(jobPrefix(execution.job_id))) throw new NotFoundError('file not found');
    return { filename: f.filename, mime: f.mime_type || 'application/octet-stream', size: f.size, stream: await this.storage.getStream(f.path) };
  }

  private async readContext(key: string | null): Promise<StoredContext | null> {
    if (!key) return null;
    try {
      return JSON.parse((await this.storage.get(key)).toString('utf8')) as StoredContext;
    } catch (err) {
      if (err instanceof ObjectNotFoundError) return null;
      throw err;
    }
  }
}
