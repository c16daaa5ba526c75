import type { Database, NamedQueryable, Queryable } from './database';
import type { StoredVariable } from './variables/variables.repository';

export const EXECUTION_STATUSES = ['pending', 'running', 'success', 'failed', 'timeout', 'cancelled', 'dead_letter'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

export const TRIGGER_SOURCES = ['scheduled', 'manual', 'webhook', 'retry', 'replay'] as const;
export type TriggerSource = (typeof TRIGGER_SOURCES)[number];

/** Why an execution ended badly: the step that failed (if any) and the error. */
export interface ExecutionError {
  message: string;
  step_id?: string;
  code?: string;
  retryable?: boolean;
}

export interface ExecutionRecord {
  id: string;
  job_id: string;
  idempotency_key: string;
  status: ExecutionStatus;
  trigger_source: TriggerSource;
  trigger_metadata: Record<string, unknown>;
  attempt: number;
  scheduled_for: Date | null;
  current_step: string | null;
  context_path: string | null;
  definition_version: number;
  worker_id: string | null;
  started_at: Date | null;
  completed_at: Date | null;
  error: ExecutionError | null;
  created_at: Date;
  updated_at: Date;
  /** When a stop was asked for (POST /api/executions/:id/stop); null when never. */
  cancel_requested_at: Date | null;
  /** Who asked: 'api' (no users yet). */
  cancel_requested_by: string | null;
  /** The user who asked, once the api has users. */
  cancel_requested_by_user_id: string | null;
  /** The user who triggered it (manual trigger); null for scheduled, webhook and retry runs. */
  triggered_by: string | null;
  /**
   * Set while a `running` execution waits for a retry (no worker holds it): when its delayed
   * resume is due. Null otherwise.
   */
  next_attempt_at: Date | null;
  /** The step a resume (or a replay from the failed step) starts at. */
  resume_step: string | null;
  /** The execution this one replays (POST /api/executions/:id/replay). */
  replay_of: string | null;
}

/** One attempt of one step, as recorded in `execution_attempts`. */
export interface NewAttempt {
  step_id: string;
  /** Counted from 1 for each step. */
  attempt: number;
  status: 'success' | 'failed';
  error_code?: string | null;
  error_message?: string | null;
  retryable?: boolean | null;
  started_at: Date;
  finished_at: Date;
  /** When the next attempt was scheduled for (a retry). */
  next_attempt_at?: Date | null;
  worker_id?: string | null;
}

export interface AttemptRecord extends Required<NewAttempt> {
  id: string;
  execution_id: string;
}

/** How `markWaiting` leaves a running execution until its resume. */
export interface WaitRequest {
  /** The step to resume at. */
  resumeStep: string;
  /** Delay before the resume (from now). */
  delayMs: number;
  /** The attempt number the resumed step runs as (the row's `attempt`); unchanged when absent. */
  attempt?: number;
  /** Only when this worker holds it (undefined: whoever holds it, or nobody). */
  expectWorkerId?: string | null;
  /** Attempts to record in the same statement. */
  attempts?: NewAttempt[];
}

/** Who asks for a stop. */
export interface StopRequester {
  /** 'api' today. */
  by: string;
  userId?: string | null;
}

/** A stop asked for a running execution, as the worker holding it sees it. */
export interface StopRequest {
  execution_id: string;
  requested_at: Date;
  requested_by: string;
  requested_by_user_id: string | null;
}

/** What `requestStop` did. */
export type StopOutcome =
  | { outcome: 'not_found' }
  /** Already finished: nothing changed. */
  | { outcome: 'finished'; status: ExecutionStatus }
  /** It was pending: now cancelled (its queued delivery will find it not pending and do nothing). */
  | { outcome: 'cancelled'; execution: ExecutionRecord }
  /** It is running: flagged; the worker holding it must be told (and checks the flag itself). */
  | { outcome: 'running'; execution: ExecutionRecord };

/** The error a stopped execution ends with: `stopped by <who> at <time>`. */
export function stoppedError(request: Pick<StopRequest, 'requested_at' | 'requested_by'>): ExecutionError {
  return { code: 'CANCELLED', message: `stopped by ${request.requested_by} at ${request.requested_at.toISOString()}` };
}

/** The stop request recorded on a row, if any. */
export function stopRequestOf(
  e: Pick<ExecutionRecord, 'id' | 'cancel_requested_at' | 'cancel_requested_by' | 'cancel_requested_by_user_id'>,
): StopRequest | null {
  if (!e.cancel_requested_at) return null;
  return { execution_id: e.id, requested_at: e.cancel_requested_at, requested_by: e.cancel_requested_by ?? 'api', requested_by_user_id: e.cancel_requested_by_user_id };
}

export interface NewExecution {
  id: string;
  job_id: string;
  idempotency_key: string;
  trigger_source: TriggerSource;
  trigger_metadata?: Record<string, unknown>;
  attempt?: number;
  scheduled_for?: Date | null;
  definition_version: number;
  context_path: string;
  /** false when the job allows concurrent runs; true (default) keeps this run alone. */
  exclusive?: boolean;
  /** The execution this one replays. */
  replay_of?: string | null;
  /** Start at this step (a replay from the failed step), with the original's context before it. */
  resume_step?: string | null;
}

/** Claiming failed because another execution of the same job is running and the job forbids overlap. */
export class ConcurrentRunError extends Error {
  constructor(readonly executionId: string) {
    super('another execution of this job is still running (allow_concurrent is false)');
    this.name = 'ConcurrentRunError';
  }
}

export interface ExecutionListFilter {
  jobId?: string;
  status?: ExecutionStatus;
  triggerSource?: TriggerSource;
  from?: Date;
  to?: Date;
  /** Only the executions this user triggered. */
  triggeredBy?: string;
  page: number;
  pageSize: number;
}

const COLUMNS = `id, job_id, idempotency_key, status, trigger_source, trigger_metadata, attempt, scheduled_for, current_step,
  context_path, definition_version, worker_id, started_at, completed_at, error, created_at, updated_at,
  cancel_requested_at, cancel_requested_by, cancel_requested_by_user_id, next_attempt_at, resume_step, replay_of, triggered_by`;
const STOP_COLUMNS = 'id, cancel_requested_at, cancel_requested_by, cancel_requested_by_user_id';
type StopColumns = Pick<ExecutionRecord, 'id' | 'cancel_requested_at' | 'cancel_requested_by' | 'cancel_requested_by_user_id'>;

/** Claim condition: the job has no max_concurrent limit (a primary-key probe of jobs). */
const UNLIMITED_JOB = ` and not exists (select 1 from jobs j where j.id = job_executions.job_id and j.max_concurrent is not null)`;

/** A claim statement: the update, then the variables each claimed execution sees (global ones, then the job's own). */
function claimText(update: string): string {
  return `with c as (${update})
       select c.*, coalesce((
         select json_agg(json_build_object('name', v.name, 'value', v.value, 'encrypted_value', v.encrypted_value,
           'key_id', v.key_id, 'is_sensitive', v.is_sensitive) order by v.job_id is not null, v.name)
         from variables v where v.job_id is null or v.job_id = c.job_id), '[]'::json) as variables
       from c`;
}

const claimOne = (unlimitedOnly: boolean): string =>
  claimText(`update job_executions set status='running', worker_id=$2, started_at=clock_timestamp(), updated_at=now(),
         current_step=coalesce($3::text, current_step)
       where id=$1 and status='pending'${unlimitedOnly ? UNLIMITED_JOB : ''} returning ${COLUMNS}`);

/** An id no execution has: the warm-up runs each claim statement for it, claiming nothing. */
const NO_EXECUTION = '00000000-0000-0000-0000-000000000000';

/**
 * The claim statements, named: each is parsed and planned once per connection (server-side
 * prepared statements), with the parameters that make it claim nothing (`prepareClaims`).
 */
const CLAIM_STATEMENTS = {
  one: { name: 'vecron_claim_one', text: claimOne(true), idle: [NO_EXECUTION, '', null] },
  oneAny: { name: 'vecron_claim_one_any', text: claimOne(false), idle: [NO_EXECUTION, '', null] },
  many: {
    name: 'vecron_claim_many',
    text: claimText(`update job_executions set status='running', worker_id=$2, started_at=clock_timestamp(), updated_at=now(),
         current_step=coalesce(u.claim_step, job_executions.current_step)
       from unnest($1::uuid[], $3::text[]) as u(claim_id, claim_step)
       where job_executions.id = any($1::uuid[]) and job_executions.id=u.claim_id and job_executions.status='pending'${UNLIMITED_JOB}
       returning ${COLUMNS}`),
    idle: [[], '', []],
  },
  resume: {
    name: 'vecron_claim_resume',
    text: claimText(`update job_executions set worker_id=$2, next_attempt_at=null, updated_at=now()
       where id=$1 and status='running' and next_attempt_at is not null
         and ($3::timestamptz is null or next_attempt_at = $3::timestamptz) returning ${COLUMNS}`),
    idle: [NO_EXECUTION, '', null],
  },
} as const;
type ClaimStatement = (typeof CLAIM_STATEMENTS)[keyof typeof CLAIM_STATEMENTS];

/** Options of `finish`. */
export interface FinishOptions {
  /** Attempts to record in the same statement (no extra round trip). */
  attempts?: NewAttempt[];
  /** Only a running execution that waits for a retry (a stop during the wait). */
  waitingOnly?: boolean;
  /**
   * Only while this worker holds the execution: a worker that was taken for dead (its
   * execution resumed elsewhere by recovery) and comes back cannot end the row the other
   * worker now runs.
   */
  expectWorkerId?: string;
}

/** Inserts the attempts (a jsonb array parameter) for the execution returned by the CTE `from`. */
const INSERT_ATTEMPTS_FROM = (from: string, param: string): string =>
  `insert into execution_attempts (execution_id, step_id, attempt, status, error_code, error_message, retryable, started_at, finished_at,
     next_attempt_at, worker_id)
   select ${from}.id, r.step_id, r.attempt, r.status, r.error_code, r.error_message, r.retryable, r.started_at, r.finished_at,
     r.next_attempt_at, r.worker_id
   from ${from}, jsonb_to_recordset(${param}::jsonb) as r(step_id text, attempt int, status text, error_code text, error_message text,
     retryable boolean, started_at timestamptz, finished_at timestamptz, next_attempt_at timestamptz, worker_id text)`;

function attemptsJson(attempts: NewAttempt[] | undefined): string {
  return JSON.stringify(attempts ?? []);
}

/** The unique partial index that keeps one exclusive run per job. */
const EXCLUSIVE_RUN_INDEX = 'job_executions_one_exclusive_run_idx';
const SERIALIZATION_FAILURE = '40001';

/** What `claimWithVariables` returns: the claimed row and the variables it sees. */
export interface ClaimedExecution {
  execution: ExecutionRecord;
  /** Global variables first, then the job's own, each group by name. */
  variables: StoredVariable[];
}

/** Execution rows: one per execution, created pending, claimed once, finished once. */
export class ExecutionsRepository {
  constructor(private readonly db: Database) {}

  /**
   * Inserts a pending execution. Returns null when an execution with the same
   * idempotency key already exists (the other trigger won).
   */
  async insertPending(e: NewExecution, q: Queryable = this.db): Promise<ExecutionRecord | null> {
    return (await this.insertPendingMany([e], q))[0] ?? null;
  }

  /**
   * Inserts pending executions in one statement; those whose idempotency key exists already
   * are left out of the result (the scheduler fires a whole tick this way).
   */
  async insertPendingMany(list: NewExecution[], q: Queryable = this.db): Promise<ExecutionRecord[]> {
    if (list.length === 0) return [];
    const { rows } = await q.query<ExecutionRecord>(
      `insert into job_executions (id, job_id, idempotency_key, status, trigger_source, trigger_metadata, attempt, scheduled_for,
         definition_version, context_path, exclusive, replay_of, resume_step)
       select id, job_id, key, 'pending', src, meta, attempt, sched, version, path, excl, replay, resume
       from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::jsonb[], $6::int[], $7::timestamptz[], $8::int[], $9::text[], $10::bool[],
         $11::uuid[], $12::text[])
         as u(id, job_id, key, src, meta, attempt, sched, version, path, excl, replay, resume)
       on conflict (idempotency_key) do nothing returning ${COLUMNS}`,
      [
        list.map((e) => e.id), list.map((e) => e.job_id), list.map((e) => e.idempotency_key), list.map((e) => e.trigger_source),
        list.map((e) => JSON.stringify(e.trigger_metadata ?? {})), list.map((e) => e.attempt ?? 1), list.map((e) => e.scheduled_for ?? null),
        list.map((e) => e.definition_version), list.map((e) => e.context_path), list.map((e) => e.exclusive ?? true),
        list.map((e) => e.replay_of ?? null), list.map((e) => e.resume_step ?? null),
      ],
    );
    return rows;
  }

  /**
   * pending → running. Returns null when someone else claimed it (or it was cancelled).
   * Throws ConcurrentRunError when the execution is exclusive and another exclusive run of the
   * same job is running (a unique partial index decides, so two workers cannot both win).
   */
  async claim(id: string, workerId: string, q: Queryable = this.db): Promise<ExecutionRecord | null> {
    try {
      const { rows } = await q.query<ExecutionRecord>(
        `update job_executions set status='running', worker_id=$2, started_at=now(), updated_at=now()
         where id=$1 and status='pending' returning ${COLUMNS}`,
        [id, workerId],
      );
      return rows[0] ?? null;
    } catch (err) {
      if ((err as { constraint?: string }).constraint === EXCLUSIVE_RUN_INDEX) throw new ConcurrentRunError(id);
      throw err;
    }
  }

  /**
   * pending → running, and in the same statement (one snapshot, one round trip, READ COMMITTED)
   * the variables the execution sees: global ones, then the job's own (which win), as stored.
   * The variables are those committed when the claim began, so a variable changed once the
   * execution shows `running` applies to the next one.
   *
   * Returns null when the execution is not pending any more: another delivery claimed it (the
   * other claim's commit makes this one's re-check see `running`), it was cancelled or finished.
   * A serialization failure (SQLSTATE 40001, possible when the server's default isolation is
   * above READ COMMITTED) also means another delivery got there first: null, not an error.
   * Throws ConcurrentRunError like `claim`.
   *
   * `unlimitedOnly` (default): a job with a `max_concurrent` limit is not claimed here (null is
   * returned); `ExecutionWaitsRepository.claimLimited` claims it under the job's lock. started_at
   * is the claim's own time (clock_timestamp), not its transaction's start, which may precede a
   * wait for that lock.
   */
  async claimWithVariables(id: string, workerId: string, q: Queryable = this.db, unlimitedOnly = true, currentStep: string | null = null): Promise<ClaimedExecution | null> {
    return this.claimStatement(unlimitedOnly ? CLAIM_STATEMENTS.one : CLAIM_STATEMENTS.oneAny, id, [id, workerId, currentStep], q);
  }

  /**
   * Several claims in one statement and one commit (group commit of the claims a worker receives
   * together, e.g. a burst of fires due at the same instant): each execution pending → running
   * like `claimWithVariables` (same condition, `unlimitedOnly` always), with its `current_step`
   * set when given (the first step, known before the claim) and the variables it sees. Returns
   * the claimed ones, by id; an execution missing from the result was not claimed here (taken by
   * another delivery, not pending, or its job has a max_concurrent limit). Throws when the
   * statement fails as a whole, e.g. ConcurrentRunError for any one of them (the caller then
   * claims them one by one, which says which).
   */
  async claimManyWithVariables(items: { id: string; currentStep: string | null }[], workerId: string): Promise<Map<string, ClaimedExecution>> {
    const out = new Map<string, ClaimedExecution>();
    if (items.length === 0) return out;
    const rows = await this.claimRows(CLAIM_STATEMENTS.many, [items.map((i) => i.id), workerId, items.map((i) => i.currentStep)], this.db);
    for (const { variables, ...execution } of rows) out.set(execution.id, { execution, variables });
    return out;
  }

  /**
   * The resume of a `running` execution that waits for a retry (or was put back by recovery):
   * takes it for this worker (`worker_id`, `next_attempt_at` cleared) in one conditional
   * statement with the variables, like `claimWithVariables`. Exactly one delivery wins; null when
   * it is not waiting any more (resumed by another delivery, stopped, finished). `started_at` is
   * kept: the job's timeout counts from the first claim.
   *
   * `nextAttemptAt`: the wait the delivery was scheduled for (its Bull job names it). A delivery
   * of an earlier wait that arrives once the execution waits again (a duplicate delivery that
   * was late) then finds nothing: it does not cut the new wait short. Waits are stored to the
   * millisecond, as JavaScript dates carry them.
   */
  async claimResumeWithVariables(id: string, workerId: string, q: Queryable = this.db, nextAttemptAt: Date | null = null): Promise<ClaimedExecution | null> {
    return this.claimStatement(CLAIM_STATEMENTS.resume, id, [id, workerId, nextAttemptAt], q);
  }

  /**
   * Prepares the claim statements on one connection, claiming nothing: each is parsed and
   * planned there, and the connection's server process loads the catalog entries they use. The
   * pool hands out the connection used last first, so after a quiet period most connections
   * have never run a claim; a burst that reaches them would pay for this at its due instant
   * (measured: a first claim on such a connection took 67 ms instead of 7).
   */
  async prepareClaims(client: NamedQueryable): Promise<void> {
    for (const statement of Object.values(CLAIM_STATEMENTS)) {
      await client.query({ name: statement.name, text: statement.text, values: [...statement.idle] });
    }
  }

  private async claimStatement(statement: ClaimStatement, id: string, params: unknown[], q: Queryable): Promise<ClaimedExecution | null> {
    try {
      const row = (await this.claimRows(statement, params, q))[0];
      if (!row) return null;
      const { variables, ...execution } = row;
      return { execution, variables };
    } catch (err) {
      const e = err as { constraint?: string; code?: string };
      if (e.constraint === EXCLUSIVE_RUN_INDEX) throw new ConcurrentRunError(id);
      if (e.code === SERIALIZATION_FAILURE) return null;
      throw err;
    }
  }

  /** A claim statement's rows, each with the variables its execution sees (global ones, then the job's own). */
  private async claimRows(statement: ClaimStatement, params: unknown[], q: Queryable): Promise<(ExecutionRecord & { variables: StoredVariable[] })[]> {
    type Row = ExecutionRecord & { variables: StoredVariable[] };
    // On the pool the statement is named: parsed and planned once per connection. In a caller's
    // transaction it is sent as it is (the client may be any connection, used once).
    const { rows } =
      q === this.db ? await this.db.pool.query<Row>({ name: statement.name, text: statement.text, values: params }) : await q.query<Row>(statement.text, params);
    return rows;
  }

  /** Records the step about to run; returns the stop asked for meanwhile, if any (checked between steps). */
  async setCurrentStep(id: string, stepId: string | null): Promise<StopRequest | null> {
    const { rows } = await this.db.query<StopColumns>(
      `update job_executions set current_step=$2, updated_at=now() where id=$1 returning ${STOP_COLUMNS}`,
      [id, stepId],
    );
    return rows[0] ? stopRequestOf(rows[0]) : null;
  }

  /**
   * running → running, waiting for a resume: no worker holds it (`worker_id` null),
   * `next_attempt_at` = now + delay, `resume_step` and `current_step` = the step to resume at; the
   * given attempts are recorded in the same statement. Not done (null) when the execution is not
   * running, is held by another worker than `expectWorkerId`, or a stop was asked for.
   */
  async markWaiting(id: string, w: WaitRequest, q: Queryable = this.db): Promise<ExecutionRecord | null> {
    const { rows } = await q.query<ExecutionRecord>(
      `with m as (
         update job_executions set next_attempt_at = date_trunc('milliseconds', now() + make_interval(secs => $3::double precision / 1000)),
           resume_step=$2, current_step=$2, attempt=coalesce($4, attempt), worker_id=null, updated_at=now()
         where id=$1 and status='running' and cancel_requested_at is null
           and ($5::boolean or worker_id is not distinct from $6)
         returning ${COLUMNS}
       ), a as (${INSERT_ATTEMPTS_FROM('m', '$7')})
       select * from m`,
      [id, w.resumeStep, Math.max(0, w.delayMs), w.attempt ?? null, w.expectWorkerId === undefined, w.expectWorkerId ?? null, attemptsJson(w.attempts)],
    );
    return rows[0] ?? null;
  }

  /** How many attempts of an execution ended with this error code (e.g. WORKER_LOST resumes so far). */
  async countAttempts(executionId: string, errorCode: string): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      `select count(*)::int as n from execution_attempts where execution_id=$1 and error_code=$2`,
      [executionId, errorCode],
    );
    return rows[0]!.n;
  }

  /** The attempts recorded for an execution, oldest first. */
  async listAttempts(executionId: string): Promise<AttemptRecord[]> {
    const { rows } = await this.db.query<AttemptRecord>(
      `select id::text, execution_id, step_id, attempt, status, error_code, error_message, retryable, started_at, finished_at,
         next_attempt_at, worker_id from execution_attempts where execution_id=$1 order by execution_attempts.id`,
      [executionId],
    );
    return rows;
  }

  /** Waiting executions whose resume is overdue by `olderThan` (their delayed Bull job was lost). */
  async findOverdueWaiting(olderThan: Date, limit: number): Promise<ExecutionRecord[]> {
    const { rows } = await this.db.query<ExecutionRecord>(
      `select ${COLUMNS} from job_executions where status='running' and next_attempt_at < $1 order by next_attempt_at limit $2`,
      [olderThan, limit],
    );
    return rows;
  }

  /**
   * Stops an execution. One conditional statement records the request on a pending or running
   * row (the first request's time and author are kept); a pending one is then ended `cancelled`
   * if it is still pending — if a worker claimed it in between, the claim returned the flag and
   * that worker ends it. A finished execution is left alone.
   */
  async requestStop(id: string, requester: StopRequester): Promise<StopOutcome> {
    const { rows } = await this.db.query<ExecutionRecord>(
      `update job_executions set cancel_requested_at=coalesce(cancel_requested_at, now()),
         cancel_requested_by=coalesce(cancel_requested_by, $2), cancel_requested_by_user_id=coalesce(cancel_requested_by_user_id, $3),
         updated_at=now()
       where id=$1 and status in ('pending','running') returning ${COLUMNS}`,
      [id, requester.by, requester.userId ?? null],
    );
    const flagged = rows[0];
    if (!flagged) {
      const current = await this.findById(id);
      return current ? { outcome: 'finished', status: current.status } : { outcome: 'not_found' };
    }
    if (flagged.status === 'pending') {
      const cancelled = await this.finish(id, 'cancelled', stoppedError(stopRequestOf(flagged)!), this.db, ['pending']);
      if (cancelled) return { outcome: 'cancelled', execution: cancelled };
      const current = await this.findById(id);
      if (current && current.status !== 'running') return { outcome: 'finished', status: current.status };
      return { outcome: 'running', execution: current ?? flagged };
    }
    if (flagged.next_attempt_at) {
      // Waiting for a retry, held by no worker: ended here, unless a resume claimed it meanwhile
      // (that claim returned the flag and its worker ends it).
      const cancelled = await this.finish(id, 'cancelled', stoppedError(stopRequestOf(flagged)!), this.db, ['running'], { waitingOnly: true });
      if (cancelled) return { outcome: 'cancelled', execution: { ...cancelled, next_attempt_at: flagged.next_attempt_at } };
    }
    return { outcome: 'running', execution: flagged };
  }

  /**
   * Serialises the triggers of one job: each takes this lock inside its transaction (an advisory lock released at commit) so they cannot both see "nothing
   * running" and both insert (allow_concurrent=false; webhook and manual triggers).
   */
  async lockJobTriggers(jobId: string, q: Queryable): Promise<void> {
    await q.query(`select pg_advisory_xact_lock(hashtextextended($1, 0))`, [`vecron:trigger:${jobId}`]);
  }

  /**
   * The execution of the job in progress: running, or pending and already due (not a future
   * scheduled fire); a running one first. Null when none.
   */
  async findActiveExecution(jobId: string, q: Queryable = this.db): Promise<string | null> {
    const { rows } = await q.query<{ id: string }>(
      `select id from job_executions where job_id=$1 and (status='running'
         or (status='pending' and (scheduled_for is null or scheduled_for <= now())))
       order by status='running' desc, created_at limit 1`,
      [jobId],
    );
    return rows[0]?.id ?? null;
  }

  /**
   * running|pending → a terminal status, in one statement that also counts the run in
   * job_stats and sets the job's last_run_at. Returns null if the execution was already finished.
   */
  async finish(
    id: string,
    status: ExecutionStatus,
    error: ExecutionError | null,
    q: Queryable = this.db,
    from: readonly ExecutionStatus[] = ['pending', 'running'],
    options: FinishOptions = {},
  ): Promise<ExecutionRecord | null> {
    const { rows } = await q.query<ExecutionRecord>(
      `with f as (
         update job_executions set status=$2, error=$3, completed_at=now(), updated_at=now(), next_attempt_at=null
         where id=$1 and status = any($4::text[]) and (not $5::boolean or next_attempt_at is not null)
           and ($7::text is null or worker_id = $7) returning ${COLUMNS}
       ), a as (${INSERT_ATTEMPTS_FROM('f', '$6')}), s as (
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
       select * from f`,
      [id, status, error, from, options.waitingOnly ?? false, attemptsJson(options.attempts), options.expectWorkerId ?? null],
    );
    return rows[0] ?? null;
  }

  async findById(id: string): Promise<ExecutionRecord | null> {
    const { rows } = await this.db.query<ExecutionRecord>(`select ${COLUMNS} from job_executions where id=$1`, [id]);
    return rows[0] ?? null;
  }

  /**
   * Worker heartbeat: marks these running executions as still alive. Returns the stops asked
   * for among them (a stop whose Redis message this worker missed is acted on here).
   */
  async touchRunning(ids: string[]): Promise<StopRequest[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.db.query<StopColumns>(
      `update job_executions set updated_at=now() where id = any($1::uuid[]) and status='running' returning ${STOP_COLUMNS}`,
      [ids],
    );
    return rows.flatMap((r) => stopRequestOf(r) ?? []);
  }

  /**
   * Running executions without a heartbeat since `olderThan`: their worker is gone. None while
   * the database itself has not been up since `olderThan`: after a restart of PostgreSQL the
   * workers get a full period to send their heartbeats again before any row counts as stale.
   */
  async findStaleRunning(olderThan: Date, limit: number): Promise<ExecutionRecord[]> {
    const { rows } = await this.db.query<ExecutionRecord>(
      `select ${COLUMNS} from job_executions where status='running' and next_attempt_at is null and updated_at < $1
         and pg_postmaster_start_time() < $1
       order by updated_at limit $2`,
      [olderThan, limit],
    );
    return rows;
  }

  /** Pending executions older than `olderThan` (lost between insert and enqueue): to put back on the queue. */
  async findStalePending(olderThan: Date, limit: number): Promise<ExecutionRecord[]> {
    const { rows } = await this.db.query<ExecutionRecord>(
      `select ${COLUMNS} from job_executions where status='pending' and greatest(created_at, coalesce(scheduled_for, created_at)) < $1
       order by created_at limit $2`,
      [olderThan, limit],
    );
    return rows;
  }

  /** Records who triggered an execution (the api, right after a manual trigger). */
  async setTriggeredBy(id: string, userId: string): Promise<void> {
    await this.db.query('update job_executions set triggered_by = $2 where id = $1', [id, userId]);
  }

  async list(f: ExecutionListFilter): Promise<{ items: ExecutionRecord[]; total: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown): void => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (f.jobId) add('job_id = ?', f.jobId);
    if (f.status) add('status = ?', f.status);
    if (f.triggerSource) add('trigger_source = ?', f.triggerSource);
    if (f.from) add('created_at >= ?', f.from);
    if (f.to) add('created_at < ?', f.to);
    if (f.triggeredBy) add('triggered_by = ?', f.triggeredBy);
    const cond = where.length ? `where ${where.join(' and ')}` : '';
    const total = await this.db.query<{ n: string }>(`select count(*) as n from job_executions ${cond}`, params);
    params.push(f.pageSize, (f.page - 1) * f.pageSize);
    const { rows } = await this.db.query<ExecutionRecord>(
      `select ${COLUMNS} from job_executions ${cond} order by created_at desc, id desc limit $${params.length - 1} offset $${params.length}`,
      params,
    );
    return { items: rows, total: Number(total.rows[0]!.n) };
  }
}
