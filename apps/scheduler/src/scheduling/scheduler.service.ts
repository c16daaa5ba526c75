import { hostname } from 'os';
import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Optional, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bull';
import type Redis from 'ioredis';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import { Database, ExecutionsRepository, JobsRepository, type JobRecord, type ScheduleSkip } from '@vecron/db';
import { EXECUTIONS_QUEUE, ExecutionDispatcher, RecoveryCounters, type ExecutionJobData } from '@vecron/queue';
import { SchedulerMetrics } from '@vecron/telemetry';
import { SCHEDULER_CONFIG, type SchedulerEnv } from '../config/scheduler.env';
import { ExecutionReconciler } from './execution-reconciler';
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
  private readonly reconciler: ExecutionReconciler;
  readonly id: string;

  constructor(
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerEnv,
    @Inject(SCHEDULER_REDIS) redis: Redis,
    private readonly db: Database,
    private readonly jobs: JobsRepository,
    executions: ExecutionsRepository,
    private readonly dispatcher: ExecutionDispatcher,
    @InjectPinoLogger(SchedulerService.name) logger: PinoLogger,
    @InjectQueue(EXECUTIONS_QUEUE) queue: Queue<ExecutionJobData>,
    @Optional() private readonly metrics?: SchedulerMetrics,
  ) {
    this.id = config.SCHEDULER_ID ?? `${hostname()}:${process.pid}`;
    this.logger = logger.logger.child({ scheduler_id: this.id });
    this.lock = new LeaderLock(redis, `${config.QUEUE_PREFIX}:scheduler:leader`, config.SCHEDULER_LOCK_TTL_MS);
    this.reconciler = new ExecutionReconciler(
      executions,
      dispatcher,
      queue,
      new RecoveryCounters(redis, config.QUEUE_PREFIX),
      {
        pendingAfterMs: config.SCHEDULER_RECOVERY_INTERVAL_MS,
        staleRunningMs: config.SCHEDULER_STALE_RUNNING_MS,
        batch: 500,
        maxResumes: config.SCHEDULER_WORKER_LOST_MAX_RESUMES,
      },
      this.logger,
    );
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
      const started = performance.now();
      this.tickInFlight = this.tick()
        .then(
          (result) => this.metrics?.tick((performance.now() - started) / 1000, result),
          (err: unknown) => {
            this.metrics?.tick((performance.now() - started) / 1000, null);
            this.logger.error({ err }, 'tick failed');
          },
        )
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
      await this.dispatcher.enqueueMany(created, undefined, this.config.SCHEDULER_PREPARE_LEAD_MS);
      result.fired = created.length;
      if (result.skipped) this.logger.info({ count: result.skipped }, 'fires skipped (recorded in schedule_skips)');
      this.logger.debug({ jobs: result.jobs, fired: result.fired }, 'tick');
    }
    if (Date.now() - this.lastRecovery >= this.config.SCHEDULER_RECOVERY_INTERVAL_MS && !this.stopped && this.lock.isLeader) {
      this.lastRecovery = Date.now();
      await this.reconciler.sweep();
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
}
