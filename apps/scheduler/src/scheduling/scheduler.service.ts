import { hostname } from 'os';
import { Inject, Injectable, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import { Database, ExecutionsRepository, JobsRepository, type JobRecord, type ScheduleSkip } from '@vecron/db';
import { ExecutionDispatcher } from '@vecron/queue';
import { SCHEDULER_CONFIG, type SchedulerEnv } from '../config/scheduler.env';
import { planDueJob, type FirePlan } from './fire-planner';
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
    @InjectPinoLogger(SchedulerService.name) logger: PinoLogger,
  ) {
    this.id = config.SCHEDULER_ID ?? `${hostname()}:${process.pid}`;
    this.logger = logger.logger.child({ scheduler_id: this.id });
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

  /**
   * One tick: lead or not; if leading, fire what is due. All due jobs of the tick are handled
   * in one transaction of three statements (advance the jobs that are unchanged, insert their
   * executions, record skips), then one Bull round trip enqueues them.
   */
  async tick(now: Date = new Date()): Promise<TickResult> {
    const { leader, tookOver } = await this.lock.refresh();
    if (!leader) return { leader: false, jobs: 0, fired: 0, skipped: 0 };
    if (tookOver) this.logger.info('leadership acquired');
    const until = new Date(now.getTime() + this.config.SCHEDULER_LOOKAHEAD_MS);
    const due = await this.jobs.findDue(until, this.config.SCHEDULER_BATCH_SIZE);
    const result: TickResult = { leader: true, jobs: due.length, fired: 0, skipped: 0 };
    if (due.length > 0 && !this.stopped && this.lock.isLeader) {
      const planned = due.map((job) => ({ job, plan: this.plan(job, now) }));
      const created = await this.db.transaction(async (tx) => {
        const moved = await this.jobs.advanceSchedules(
          planned.map(({ job, plan }) => ({
            id: job.id,
            expected_next_run_at: job.next_run_at!,
            expected_version: job.current_version,
            next_run_at: plan.next,
            last_fire_time: plan.lastFireTime,
            completed: plan.completed,
          })),
          tx,
        );
        const fired = planned.filter(({ job }) => moved.has(job.id));
        if (fired.length < planned.length) this.logger.info({ count: planned.length - fired.length }, 'jobs changed during the tick; planned again next tick');
        const skips: ScheduleSkip[] = fired.flatMap(({ job, plan }) => plan.skipped.map((s) => ({ job_id: job.id, ...s })));
        await this.jobs.recordSkips(skips, tx);
        result.skipped = skips.length;
        return this.dispatcher.insertMany(
          fired.flatMap(({ job, plan }) =>
            plan.fires.map((fire) => ({
              jobId: job.id,
              definitionVersion: job.current_version,
              allowConcurrent: job.allow_concurrent,
              triggerSource: 'scheduled' as const,
              idempotencyKey: `sched:${job.id}:${fire.toISOString()}`,
              scheduledFor: fire,
              triggerMetadata: { scheduler_id: this.id },
            })),
          ),
          tx,
        );
      });
      await this.dispatcher.enqueueMany(created);
      result.fired = created.length;
      if (result.skipped) this.logger.info({ count: result.skipped }, 'fires skipped (recorded in schedule_skips)');
      this.logger.debug({ jobs: result.jobs, fired: result.fired }, 'tick');
    }
    if (Date.now() - this.lastRecovery >= this.config.SCHEDULER_RECOVERY_INTERVAL_MS) {
      this.lastRecovery = Date.now();
      await this.requeueLostExecutions();
      await this.failOrphanedExecutions();
    }
    return result;
  }

  /** A job whose schedule cannot be planned (corrupt row) is parked, not retried every tick. */
  private plan(job: JobRecord, now: Date): FirePlan {
    try {
      return planDueJob(job, now, this.config.SCHEDULER_MISFIRE_THRESHOLD_MS);
    } catch (err) {
      this.logger.error({ job_id: job.id, err: (err as Error).message }, 'schedule cannot be planned; job parked until it is edited');
      const due = job.next_run_at!;
      return { fires: [], skipped: [{ fire_time: due, reason: `invalid_schedule: ${(err as Error).message}` }], next: null, lastFireTime: due, completed: false };
    }
  }

  /** Running executions whose worker stopped sending heartbeats (killed) end `failed`, never stay running. */
  private async failOrphanedExecutions(): Promise<void> {
    const stale = await this.executions.findStaleRunning(new Date(Date.now() - this.config.SCHEDULER_STALE_RUNNING_MS), 500);
    for (const e of stale) {
      await this.executions.finish(e.id, 'failed', {
        message: `worker lost: no heartbeat from ${e.worker_id ?? 'its worker'} for ${Math.round(this.config.SCHEDULER_STALE_RUNNING_MS / 1000)} s`,
        code: 'WORKER_LOST',
        ...(e.current_step ? { step_id: e.current_step } : {}),
      });
      this.logger.warn({ job_id: e.job_id, execution_id: e.id, worker_id: e.worker_id }, 'execution failed: worker lost');
    }
  }

  /** Pending executions whose Bull job was lost (crash between commit and enqueue) go back on the queue. */
  private async requeueLostExecutions(): Promise<void> {
    const stale = await this.executions.findStalePending(new Date(Date.now() - this.config.SCHEDULER_RECOVERY_INTERVAL_MS), 500);
    await this.dispatcher.enqueueMany(stale, 0);
    if (stale.length) this.logger.warn({ count: stale.length }, 're-enqueued pending executions');
    // Executions waiting for a retry whose delayed resume job is overdue (lost with Redis data): added again (a no-op if Bull still holds it).
    const waiting = await this.executions.findOverdueWaiting(new Date(Date.now() - this.config.SCHEDULER_RECOVERY_INTERVAL_MS), 500);
    await this.dispatcher.enqueueResumes(waiting);
    if (waiting.length) this.logger.warn({ count: waiting.length }, 're-enqueued overdue retry resumes');
  }
}
