import { hostname } from 'os';
import { Inject, Injectable, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import pino, { type Logger } from 'pino';
import { Database, ExecutionsRepository, JobsRepository, type ExecutionRecord, type JobRecord } from '@vecron/db';
import { ExecutionDispatcher } from '@vecron/queue';
import { SCHEDULER_CONFIG, type SchedulerEnv } from '../config/scheduler.env';
import { planDueJob } from './fire-planner';
import { LeaderLock } from './leader-lock';

export const SCHEDULER_REDIS = Symbol('SCHEDULER_REDIS');

export interface TickResult {
  leader: boolean;
  jobs: number;
  fired: number;
  skipped: number;
}

/**
 * The scheduler loop. Every tick the leader (Redis lock with TTL, renewed each tick) reads
 * the jobs due within the look-ahead window from the next_run_at index — so a tick costs what
 * is due, not what exists — inserts one pending execution per fire (unique key
 * `sched:{job_id}:{fire_time}`), advances the job, and enqueues with a Bull delay so the
 * first step starts on time. Two schedulers firing the same instant collide on the key.
 */
@Injectable()
export class SchedulerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger: Logger;
  private readonly lock: LeaderLock;
  private timer: NodeJS.Timeout | null = null;
  private tickInFlight: Promise<unknown> | null = null;
  private stopped = false;
  private lastRecovery = 0;
  readonly id: string;

  constructor(
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerEnv,
    @Inject(SCHEDULER_REDIS) redis: Redis,
    private readonly db: Database,
    private readonly jobs: JobsRepository,
    private readonly executions: ExecutionsRepository,
    private readonly dispatcher: ExecutionDispatcher,
  ) {
    this.id = config.SCHEDULER_ID ?? `${hostname()}:${process.pid}`;
    this.logger = pino({ name: 'vecron-scheduler', level: config.LOG_LEVEL }).child({ scheduler_id: this.id });
    this.lock = new LeaderLock(redis, `${config.QUEUE_PREFIX}:scheduler:leader`, config.SCHEDULER_LOCK_TTL_MS);
  }

  onApplicationBootstrap(): void {
    this.logger.info({ tick_ms: this.config.SCHEDULER_TICK_MS }, 'scheduler started');
    this.schedule(0);
  }

  /** Finish the current tick, release the lock. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.tickInFlight;
    await this.lock.release();
    this.logger.info('scheduler stopped; leadership released');
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.tickInFlight = this.tick()
        .catch((err: unknown) => this.logger.error({ err }, 'tick failed'))
        .finally(() => {
          this.tickInFlight = null;
          this.schedule(this.config.SCHEDULER_TICK_MS);
        });
    }, delay);
  }

  /** One tick: lead or not; if leading, fire what is due. */
  async tick(now: Date = new Date()): Promise<TickResult> {
    const { leader, tookOver } = await this.lock.refresh();
    if (!leader) return { leader: false, jobs: 0, fired: 0, skipped: 0 };
    if (tookOver) this.logger.info('leadership acquired');
    const result: TickResult = { leader: true, jobs: 0, fired: 0, skipped: 0 };
    const until = new Date(now.getTime() + this.config.SCHEDULER_LOOKAHEAD_MS);
    const due = await this.jobs.findDue(until, this.config.SCHEDULER_BATCH_SIZE);
    for (const job of due) {
      if (this.stopped || !this.lock.isLeader) break;
      const r = await this.fireJob(job, new Date());
      result.jobs++;
      result.fired += r.fired;
      result.skipped += r.skipped;
    }
    if (Date.now() - this.lastRecovery >= this.config.SCHEDULER_RECOVERY_INTERVAL_MS) {
      this.lastRecovery = Date.now();
      await this.requeueLostExecutions();
    }
    return result;
  }

  private async fireJob(job: JobRecord, now: Date): Promise<{ fired: number; skipped: number }> {
    const log = this.logger.child({ job_id: job.id });
    const plan = planDueJob(job, now, this.config.SCHEDULER_MISFIRE_THRESHOLD_MS);
    // Overlap (allow_concurrent=false) is decided by the worker when the run starts, not here:
    // fires are enqueued ahead of time, while the previous run may still be finishing.
    const { fires, skipped } = plan;
    const created: ExecutionRecord[] = [];
    const advanced = await this.db.transaction(async (tx) => {
      for (const fire of fires) {
        const r = await this.dispatcher.dispatch(
          {
            jobId: job.id,
            definitionVersion: job.current_version,
            allowConcurrent: job.allow_concurrent,
            triggerSource: 'scheduled',
            idempotencyKey: `sched:${job.id}:${fire.toISOString()}`,
            scheduledFor: fire,
            triggerMetadata: { scheduler_id: this.id },
          },
          tx,
        );
        if (r.execution) created.push(r.execution);
      }
      await this.jobs.recordSkips(job.id, skipped, tx);
      const ok = await this.jobs.advanceSchedule(
        job.id,
        { next_run_at: job.next_run_at!, current_version: job.current_version },
        { next_run_at: plan.next, last_fire_time: plan.lastFireTime, completed: plan.completed },
        tx,
      );
      if (!ok) throw new JobChangedDuringTick();
      return ok;
    }).catch((err: unknown) => {
      if (err instanceof JobChangedDuringTick) return false;
      throw err;
    });
    if (!advanced) {
      log.info('job changed during the tick; it will be planned again');
      return { fired: 0, skipped: 0 };
    }
    for (const e of created) {
      await this.dispatcher.enqueue(e, e.scheduled_for ? e.scheduled_for.getTime() - Date.now() : 0);
    }
    if (skipped.length) log.info({ skipped: skipped.map((s) => ({ fire_time: s.fire_time.toISOString(), reason: s.reason })).slice(0, 20), count: skipped.length }, 'fires skipped');
    if (created.length) log.debug({ fires: created.map((e) => e.scheduled_for?.toISOString()), next_run_at: plan.next?.toISOString() ?? null }, 'fired');
    return { fired: created.length, skipped: skipped.length };
  }

  /** Pending executions whose Bull job was lost (crash between commit and enqueue) go back on the queue. */
  private async requeueLostExecutions(): Promise<void> {
    const stale = await this.executions.findStalePending(new Date(Date.now() - this.config.SCHEDULER_RECOVERY_INTERVAL_MS), 500);
    for (const e of stale) await this.dispatcher.enqueue(e, 0);
    if (stale.length) this.logger.warn({ count: stale.length }, 're-enqueued pending executions');
  }
}

class JobChangedDuringTick extends Error {}
