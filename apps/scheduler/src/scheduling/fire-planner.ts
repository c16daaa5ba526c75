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
 * Plans one due job (its next_run_at is at or before now + look-ahead).
 *
 * On time (at most `misfireThresholdMs` late): fire it, move to the next fire. Later than that:
 * the job misfired — the scheduler was down, lost its lock, or the job was re-enabled after its
 * fires went by — and planMisfires applies the job's misfire_policy. Every path that can miss
 * fires ends up here as a past next_run_at, so the policy is applied by this one function.
 * A late fixed_delay fire is not a misfire (the delay is a minimum gap): it just runs.
 */
export function planDueJob(job: Pick<JobRecord, 'schedule' | 'next_run_at'>, now: Date, misfireThresholdMs: number): FirePlan {
  const schedule = job.schedule as unknown as Schedule;
  const due = job.next_run_at!;
  // fixed_delay: the next fire is set by the worker when this run ends; one_time: done after it.
  const waitsOrEnds = schedule.type === 'fixed_delay' || schedule.type === 'one_time';

  if (schedule.type === 'fixed_delay' || now.getTime() - due.getTime() <= misfireThresholdMs) {
    // Anchored on the fire itself so fixed_rate stays on its grid.
    const next = waitsOrEnds ? null : nextFireTime(schedule, { after: due, createdAt: due });
    return { fires: [due], skipped: [], next, lastFireTime: due, completed: schedule.type === 'one_time' };
  }
  const plan = planMisfires(schedule, {
    // The first missed fire is next_run_at itself: start just before it.
    lastFireTime: new Date(due.getTime() - 1),
    createdAt: due,
    now,
    misfireThresholdMs,
  });
  const handled = [...plan.fire, ...plan.skipped.map((s) => s.fire_time)];
  if (plan.skipped_summary) handled.push(plan.skipped_summary.to);
  const skipped: FirePlan['skipped'] = plan.skipped.map((s) => ({ fire_time: s.fire_time, reason: s.reason }));
  if (plan.skipped_summary) {
    // Too many to list one by one: record the range's last fire with a summary reason.
    const s = plan.skipped_summary;
    skipped.push({ fire_time: s.to, reason: `${s.reason} (${s.count ?? 'many'} fires from ${s.from.toISOString()})` });
  }
  const lastFireTime = handled.reduce((a, b) => (b > a ? b : a), due);
  return { fires: plan.fire, skipped, next: schedule.type === 'one_time' ? null : plan.next, lastFireTime, completed: schedule.type === 'one_time' };
}
