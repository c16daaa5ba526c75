import type { JobRecord } from '@vecron/db';
import { nextFireTime, planMisfires, type Schedule } from '@vecron/definitions';

/** What to do with one due job in this tick. */
export interface FirePlan {
  /** Fire times to run now; each becomes one execution keyed `sched:{job_id}:{fire_time}`. */
  fires: Date[];
  /** Fire times that will not run, with why. */
  skipped: { fire_time: Date; reason: string }[];
  /** The job's next due time (null: none, or fixed_delay waiting for the run to end). */
  next: Date | null;
  /** The latest fire time handled (becomes last_fire_time). */
  lastFireTime: Date;
  /** one_time schedule done. */
  completed: boolean;
}

/**
 * Plans one due job. A fire later than `misfireThresholdMs` goes through the job's
 * misfire_policy via planMisfires — the one function used on every path (start-up after
 * downtime, re-enable, lock takeover), since all of them show up here as a past next_run_at.
 */
export function planDueJob(job: Pick<JobRecord, 'schedule' | 'next_run_at' | 'last_fire_time' | 'created_at'>, now: Date, misfireThresholdMs: number): FirePlan {
  const schedule = job.schedule as unknown as Schedule;
  const due = job.next_run_at!;
  const afterFire = (fire: Date): Date | null =>
    schedule.type === 'fixed_delay' || schedule.type === 'one_time' ? null : nextFireTime(schedule, { after: fire, createdAt: job.created_at });

  if (now.getTime() - due.getTime() <= misfireThresholdMs) {
    return { fires: [due], skipped: [], next: afterFire(due), lastFireTime: due, completed: schedule.type === 'one_time' };
  }
  const plan = planMisfires(schedule, {
    // The first missed fire is next_run_at itself: start just before it.
    lastFireTime: new Date(due.getTime() - 1),
    now,
    policy: schedule.misfire_policy ?? 'fire_once',
    maxFires: schedule.misfire_max_fires ?? 100,
  });
  const handled = [...plan.fire, ...plan.skipped.map((s) => s.fire_time)];
  const lastFireTime = handled.reduce((a, b) => (b > a ? b : a), due);
  const next = schedule.type === 'fixed_delay' && plan.fire.length > 0 ? null : schedule.type === 'one_time' ? null : plan.next;
  return { fires: plan.fire, skipped: plan.skipped, next, lastFireTime, completed: schedule.type === 'one_time' };
}
