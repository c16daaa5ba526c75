import { ScheduleError } from './schedule.errors';
import { fireSeries, fixedDelayDue } from './schedule.math';
import {
  DEFAULT_MISFIRE_MAX_FIRES,
  DEFAULT_MISFIRE_POLICY,
  MAX_MISFIRE_MAX_FIRES,
  MISFIRE_POLICIES,
  type MisfirePolicy,
  type Schedule,
} from './schedule.model';

/**
 * Misfire planning: what to run now for the fires due between the last handled fire and now.
 * One function for every path (scheduler tick, restart after downtime, re-enable).
 *
 * Due fires are those in (lastFireTime, now] (and not after end_date). A due fire that is at most
 * `misfireThresholdMs` late (default 60 s, as Quartz) is on time: it simply runs. When at least
 * one due fire is later than that, the schedule misfired and its policy decides:
 * - `fire_once`: one run, identified by the LATEST due fire time; the others are skipped
 *   (`misfire_coalesced`);
 * - `skip`: the late fires are skipped (`misfire_skipped`); on-time ones still run;
 * - `fire_all`: the latest `maxFires` due fires run (oldest first); older ones are skipped
 *   (`misfire_cap_exceeded`) — the newest fires matter most, so today's run is never dropped for
 *   one from last year.
 * Each planned fire keeps its due time as its fire time (the idempotency key uses it).
 *
 * Bounded work: at most MAX_LISTED_MISSED_FIRES due fires are listed from the oldest; when more
 * are due, the newest ones the policy needs are found walking back from now, and the fires in
 * between are summarised in `skipped_summary` (with an exact count for fixed_rate, null for
 * cron), so a job missed for years costs the same as one missed for a day.
 *
 * fixed_delay has at most one pending fire (previous end + delay, or the anchor for the first
 * run) and a late fixed_delay fire is not a misfire — the delay is a minimum gap — so it simply
 * runs; its next fire is known only when that run finishes (`waits_for_completion`).
 */

export const DEFAULT_MISFIRE_THRESHOLD_MS = 60_000;
export const MAX_LISTED_MISSED_FIRES = 10_000;

export type MisfireSkipReason = 'misfire_coalesced' | 'misfire_skipped' | 'misfire_cap_exceeded';

export interface SkippedFire {
  fire_time: Date;
  reason: MisfireSkipReason;
}

/** Skipped fires that were not listed one by one (only when more than MAX_LISTED_MISSED_FIRES were due). */
export interface SkippedFireSummary {
  reason: MisfireSkipReason;
  /** Exact number of fires in [from, to] when known (fixed_rate), else null. */
  count: number | null;
  from: Date;
  to: Date;
}

export interface MisfirePlan {
  /** Fire times to run now, oldest first. */
  fire: Date[];
  /** Due fires that will not run, oldest first. */
  skipped: SkippedFire[];
  skipped_summary: SkippedFireSummary | null;
  /** First fire after now (and after lastFireTime), or null when the schedule has no more. */
  next: Date | null;
  /** fixed_delay: the next fire depends on when the planned (or running) run finishes. */
  waits_for_completion: boolean;
}

export interface PlanMisfiresOptions {
  /** The last fire that was handled (run or skipped), or the anchor when there was none. */
  lastFireTime: Date;
  now: Date;
  /** Default: the schedule's misfire_policy. */
  policy?: MisfirePolicy;
  /** Cap for fire_all (1-1000). Default: the schedule's misfire_max_fires. */
  maxFires?: number;
  /** Lateness still counted as on time. Default DEFAULT_MISFIRE_THRESHOLD_MS. */
  misfireThresholdMs?: number;
  /** Anchor of fixed_rate / fixed_delay (job creation or re-enable). Default: lastFireTime. */
  createdAt?: Date | null;
  /** fixed_delay only. */
  lastStartedAt?: Date | null;
  /** fixed_delay only. */
  lastFinishedAt?: Date | null;
}

function instant(date: Date | null | undefined, name: string): number | undefined {
  if (date === undefined || date === null) return undefined;
  const value = date instanceof Date ? date.getTime() : Number.NaN;
  if (!Number.isFinite(value)) throw new ScheduleError(`${name} must be a valid Date`);
  return value;
}

const EMPTY: MisfirePlan = { fire: [], skipped: [], skipped_summary: null, next: null, waits_for_completion: false };

export function planMisfires(schedule: Schedule | null, options: PlanMisfiresOptions): MisfirePlan {
  if (schedule === null) return { ...EMPTY, fire: [], skipped: [] };
  const last = instant(options.lastFireTime, 'lastFireTime');
  const now = instant(options.now, 'now');
  if (last === undefined || now === undefined) throw new ScheduleError('lastFireTime and now are required');
  const policy = options.policy ?? schedule.misfire_policy ?? DEFAULT_MISFIRE_POLICY;
  if (!MISFIRE_POLICIES.includes(policy)) throw new ScheduleError(`unknown misfire policy "${String(policy)}"`);
  const maxFires = Math.min(
    Math.max(1, Math.floor(options.maxFires ?? schedule.misfire_max_fires ?? DEFAULT_MISFIRE_MAX_FIRES)),
    MAX_MISFIRE_MAX_FIRES,
  );
  const threshold = Math.max(0, options.misfireThresholdMs ?? DEFAULT_MISFIRE_THRESHOLD_MS);
  const anchor = instant(options.createdAt, 'createdAt') ?? last;

  if (schedule.type === 'fixed_delay') {
    const started = instant(options.lastStartedAt, 'lastStartedAt');
    const finished = instant(options.lastFinishedAt, 'lastFinishedAt');
    const running = started !== undefined && (finished === undefined || finished < started);
    const due = fixedDelayDue(schedule, anchor, started, finished);
    if (due === null) return { fire: [], skipped: [], skipped_summary: null, next: null, waits_for_completion: running };
    if (due > now) return { fire: [], skipped: [], skipped_summary: null, next: new Date(due), waits_for_completion: false };
    return { fire: [new Date(due)], skipped: [], skipped_summary: null, next: null, waits_for_completion: true };
  }

  const series = fireSeries(schedule, anchor);
  if (series === undefined) return { ...EMPTY, fire: [], skipped: [] };

  // Oldest due fires, at most MAX_LISTED_MISSED_FIRES.
  const head: number[] = [];
  let cursor = last;
  let afterHead: number | null = null;
  for (;;) {
    const f = series.after(cursor);
    if (f === null || f > now) break;
    if (head.length === MAX_LISTED_MISSED_FIRES) {
      afterHead = f;
      break;
    }
    head.push(f);
    cursor = f;
  }
  const nextAfterNow = series.after(Math.max(now, last));
  const next = nextAfterNow === null ? null : new Date(nextAfterNow);
  const lateBefore = now - threshold;

  // More due fires than listed: find the newest ones the policy needs, summarise the middle.
  const tail: number[] = [];
  let middle: { from: number; to: number } | null = null;
  if (afterHead !== null) {
    const headLast = head[head.length - 1] as number;
    const needed = policy === 'fire_once' ? 1 : policy === 'fire_all' ? maxFires : MAX_LISTED_MISSED_FIRES;
    let t = now + 1;
    while (tail.length < needed) {
      const f = series.before(t);
      if (f === null || f <= headLast) break;
      if (policy === 'skip' && f < lateBefore && tail.length > 0) break;
      tail.unshift(f);
      t = f;
    }
    const to = tail.length > 0 ? series.before(tail[0] as number) : null;
    if (to !== null && to >= afterHead) middle = { from: afterHead, to };
  }

  const due = [...head, ...tail];
  if (due.length === 0) return { fire: [], skipped: [], skipped_summary: null, next, waits_for_completion: false };

  const plan = (fire: number[], skipped: number[], reason: MisfireSkipReason): MisfirePlan => ({
    fire: fire.map((f) => new Date(f)),
    skipped: skipped.map((f) => ({ fire_time: new Date(f), reason })),
    skipped_summary:
      middle === null
        ? null
        : { reason, count: series.count(middle.from, middle.to), from: new Date(middle.from), to: new Date(middle.to) },
    next,
    waits_for_completion: false,
  });

  const misfired = (due[0] as number) < lateBefore;
  if (!misfired) return plan(due, [], 'misfire_cap_exceeded');
  switch (policy) {
    case 'fire_once':
      return plan(due.slice(-1), due.slice(0, -1), 'misfire_coalesced');
    case 'skip':
      return plan(
        due.filter((f) => f >= lateBefore),
        due.filter((f) => f < lateBefore),
        'misfire_skipped',
      );
    case 'fire_all':
    default: {
      const keep = Math.min(maxFires, due.length);
      return plan(due.slice(due.length - keep), due.slice(0, due.length - keep), 'misfire_cap_exceeded');
    }
  }
}
