import type { Database, Queryable } from './database';

/** A job row: metadata only; the definition lives in object storage at definition_path. */
export interface JobRecord {
  id: string;
  name: string;
  description: string | null;
  enabled: boolean;
  definition_path: string;
  current_version: number;
  schedule: Record<string, unknown> | null;
  schedule_type: string | null;
  timezone: string | null;
  scheduled_trigger: boolean;
  manual_trigger: boolean;
  webhook_enabled: boolean;
  allow_concurrent: boolean;
  /** The definition's max_concurrent (null: no limit); the worker's claim honours it. */
  max_concurrent: number | null;
  next_run_at: Date | null;
  last_run_at: Date | null;
  last_fire_time: Date | null;
  schedule_completed_at: Date | null;
  created_at: Date;
  updated_at: Date;
  /** Who created the job / last changed it (user id); null when made before users existed. */
  created_by: string | null;
  updated_by: string | null;
}

/** Metadata written on create and on every new version. */
export type JobMetadata = Pick<
  JobRecord,
  | 'name' | 'description' | 'enabled' | 'definition_path' | 'schedule' | 'schedule_type' | 'timezone'
  | 'scheduled_trigger' | 'manual_trigger' | 'webhook_enabled' | 'allow_concurrent' | 'next_run_at'
> & Partial<Pick<JobRecord, 'max_concurrent'>>;

/** One job moved past the fires a scheduler tick handled. */
export interface ScheduleAdvance {
  id: string;
  expected_next_run_at: Date;
  expected_version: number;
  next_run_at: Date | null;
  last_fire_time: Date;
  completed: boolean;
}

/** A fire that did not run, and why. */
export interface ScheduleSkip {
  job_id: string;
  fire_time: Date;
  reason: string;
}

export interface JobListFilter {
  /** Case-insensitive substring of the name. */
  name?: string;
  enabled?: boolean;
  page: number;
  pageSize: number;
}

const COLUMNS = `id, name, description, enabled, definition_path, current_version, schedule, schedule_type, timezone,
  scheduled_trigger, manual_trigger, webhook_enabled, allow_concurrent, max_concurrent, next_run_at, last_run_at, last_fire_time,
  schedule_completed_at, created_at, updated_at, created_by, updated_by`;

/** Reads and writes job metadata. Deleted jobs are kept (their executions stay) but never returned. */
export class JobsRepository {
  constructor(private readonly db: Database) {}

  async insert(id: string, meta: JobMetadata, q: Queryable = this.db): Promise<JobRecord> {
    const { rows } = await q.query<JobRecord>(
      `insert into jobs (id, name, description, enabled, definition_path, current_version, schedule, schedule_type, timezone,
         scheduled_trigger, manual_trigger, webhook_enabled, allow_concurrent, next_run_at, max_concurrent)
       values ($1,$2,$3,$4,$5,1,$6,$7,$8,$9,$10,$11,$12,$13,$14) returning ${COLUMNS}`,
      [id, meta.name, meta.description, meta.enabled, meta.definition_path, meta.schedule, meta.schedule_type, meta.timezone,
        meta.scheduled_trigger, meta.manual_trigger, meta.webhook_enabled, meta.allow_concurrent, meta.next_run_at, meta.max_concurrent ?? null],
    );
    return rows[0]!;
  }

  /**
   * Records a new definition version, only if the row is still at `expectedVersion`
   * (two concurrent edits cannot both win). Returns null when the job is gone or moved on.
   */
  async updateVersion(id: string, expectedVersion: number, meta: JobMetadata, q: Queryable = this.db): Promise<JobRecord | null> {
    const { rows } = await q.query<JobRecord>(
      `update jobs set name=$3, description=$4, enabled=$5, definition_path=$6, current_version=current_version+1,
         schedule=$7, schedule_type=$8, timezone=$9, scheduled_trigger=$10, manual_trigger=$11, webhook_enabled=$12,
         allow_concurrent=$13, next_run_at=$14, max_concurrent=$15, schedule_completed_at=null, updated_at=now()
       where id=$1 and current_version=$2 and deleted_at is null returning ${COLUMNS}`,
      [id, expectedVersion, meta.name, meta.description, meta.enabled, meta.definition_path, meta.schedule, meta.schedule_type,
        meta.timezone, meta.scheduled_trigger, meta.manual_trigger, meta.webhook_enabled, meta.allow_concurrent, meta.next_run_at,
        meta.max_concurrent ?? null],
    );
    return rows[0] ?? null;
  }

  /**
   * The names among `names` that a live job already has (case-insensitive). With `lock`, first
   * takes a transaction-scoped advisory lock per name, so that two transactions creating a job of
   * the same name check one after the other (the second sees the first's row once it commits).
   */
  async takenNames(names: readonly string[], q: Queryable = this.db, lock = false): Promise<Set<string>> {
    const lower = [...new Set(names.map((n) => n.toLowerCase()))].sort();
    if (lock) {
      for (const name of lower) await q.query(`select pg_advisory_xact_lock(hashtext('vecron:job-name:' || $1))`, [name]);
    }
    const { rows } = await q.query<{ name: string }>(`select lower(name) as name from jobs where lower(name) = any($1::text[]) and deleted_at is null`, [lower]);
    const taken = new Set(rows.map((r) => r.name));
    return new Set(names.filter((n) => taken.has(n.toLowerCase())));
  }

  async findById(id: string, q: Queryable = this.db): Promise<JobRecord | null> {
    const { rows } = await q.query<JobRecord>(`select ${COLUMNS} from jobs where id=$1 and deleted_at is null`, [id]);
    return rows[0] ?? null;
  }

  async list(filter: JobListFilter): Promise<{ items: JobRecord[]; total: number }> {
    const where = ['deleted_at is null'];
    const params: unknown[] = [];
    if (filter.name) {
      params.push(`%${filter.name.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      where.push(`lower(name) like $${params.length}`);
    }
    if (filter.enabled !== undefined) {
      params.push(filter.enabled);
      where.push(`enabled = $${params.length}`);
    }
    const cond = where.join(' and ');
    const total = await this.db.query<{ n: string }>(`select count(*) as n from jobs where ${cond}`, params);
    params.push(filter.pageSize, (filter.page - 1) * filter.pageSize);
    const { rows } = await this.db.query<JobRecord>(
      `select ${COLUMNS} from jobs where ${cond} order by created_at desc, id limit $${params.length - 1} offset $${params.length}`,
      params,
    );
    return { items: rows, total: Number(total.rows[0]!.n) };
  }

  /** Records who created (`created` true) or last changed a job. */
  async setAuthor(id: string, userId: string, created: boolean, q: Queryable = this.db): Promise<void> {
    await q.query(
      created ? 'update jobs set created_by = $2, updated_by = $2 where id = $1' : 'update jobs set updated_by = $2 where id = $1',
      [id, userId],
    );
  }

  /** Sets enabled and the next run time. Returns null for an unknown job. */
  async setEnabled(id: string, enabled: boolean, nextRunAt: Date | null): Promise<JobRecord | null> {
    const { rows } = await this.db.query<JobRecord>(
      `update jobs set enabled=$2, next_run_at=$3, updated_at=now() where id=$1 and deleted_at is null returning ${COLUMNS}`,
      [id, enabled, nextRunAt],
    );
    return rows[0] ?? null;
  }

  /** Enabled, scheduled jobs whose next fire is at or before `until`, earliest first (index jobs_due_idx). */
  async findDue(until: Date, limit: number): Promise<JobRecord[]> {
    const { rows } = await this.db.query<JobRecord>(
      `select ${COLUMNS} from jobs
       where enabled and scheduled_trigger and deleted_at is null and next_run_at is not null and next_run_at <= $1
       order by next_run_at limit $2`,
      [until, limit],
    );
    return rows;
  }

  /**
   * Moves jobs past the fires just handled, each only if nobody changed it meanwhile (its
   * next_run_at and version are still the ones read): an edit made during a tick wins.
   * Returns the ids of the jobs that moved.
   */
  async advanceSchedules(list: ScheduleAdvance[], q: Queryable = this.db): Promise<Set<string>> {
    if (list.length === 0) return new Set();
    const { rows } = await q.query<{ id: string }>(
      `update jobs j set next_run_at=u.next, last_fire_time=u.last_fire,
         schedule_completed_at=case when u.completed then now() else j.schedule_completed_at end
       from unnest($1::uuid[], $2::timestamptz[], $3::int[], $4::timestamptz[], $5::timestamptz[], $6::bool[])
         as u(id, expected_next, expected_version, next, last_fire, completed)
       where j.id=u.id and j.next_run_at=u.expected_next and j.current_version=u.expected_version
         and j.enabled and j.deleted_at is null
       returning j.id`,
      [list.map((a) => a.id), list.map((a) => a.expected_next_run_at), list.map((a) => a.expected_version),
        list.map((a) => a.next_run_at), list.map((a) => a.last_fire_time), list.map((a) => a.completed)],
    );
    return new Set(rows.map((r) => r.id));
  }

  /** Records fires that did not run, with the reason (misfire policy, overlap…). */
  async recordSkips(skips: ScheduleSkip[], q: Queryable = this.db): Promise<void> {
    if (skips.length === 0) return;
    await q.query(
      `insert into schedule_skips (job_id, fire_time, reason) select * from unnest($1::uuid[], $2::timestamptz[], $3::text[])`,
      [skips.map((s) => s.job_id), skips.map((s) => s.fire_time), skips.map((s) => s.reason)],
    );
  }

  /** fixed_delay: the next run is due `delay` after this one ended (only while the job is unchanged and enabled). */
  async setNextRunAfterRun(id: string, nextRunAt: Date | null): Promise<void> {
    await this.db.query(
      `update jobs set next_run_at=$2, updated_at=now() where id=$1 and deleted_at is null and schedule_type='fixed_delay'`,
      [id, nextRunAt],
    );
  }

  /** Marks the job deleted (its executions stay for audit). Returns false for an unknown job. */
  async softDelete(id: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `update jobs set deleted_at=now(), enabled=false, next_run_at=null, updated_at=now() where id=$1 and deleted_at is null`,
      [id],
    );
    return (rowCount ?? 0) > 0;
  }
}
