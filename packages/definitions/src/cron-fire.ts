import { type CronExpression, parseCron } from './cron-expression';
import { ScheduleError } from './schedule.errors';
import { DEFAULT_TIMEZONE, ZoneClock } from './time-zone';

/**
 * Cron fire times in a time zone.
 *
 * croner matches the expression against the local wall clock of `timezone` (cron-expression.ts,
 * at offset 0); this module maps wall values to instants with ZoneClock and applies the
 * project's DST rule, which differs from croner's own (Vixie cron's) time-zone mode — croner
 * runs a fixed-time job skipped by spring-forward at the end of the gap, and an interval job
 * twice in a repeated hour (cron-fire.spec.ts shows both):
 * - spring forward: a local time that does not exist that day (Europe/Berlin 2026-03-29
 *   02:00-02:59) is skipped — `0 30 2 * * ?` does not fire that day;
 * - fall back: a local time that occurs twice (Europe/Berlin 2026-10-25 02:00-02:59) fires once,
 *   at its first occurrence (the summer-time instant); the repeated hour does not fire again.
 * A fire time is always a whole second.
 */

/**
 * Parsed expressions (each holds its croner instances), least recently used dropped first.
 * Building one costs ~40-80 µs and ~80 KB (croner keeps a 10,000-slot year table), and the
 * scheduler asks for the same expressions for many jobs on every tick, so they are built once.
 * Zone-independent: the zone is applied here.
 */
const PARSE_CACHE_LIMIT = 256;
const parseCache = new Map<string, CronExpression>();

/** parseCron with a bounded cache, for callers that pass the expression text. */
export function toCronExpression(cron: CronExpression | string): CronExpression {
  if (typeof cron !== 'string') return cron;
  let parsed = parseCache.get(cron);
  if (parsed === undefined) {
    parsed = parseCron(cron);
    if (parseCache.size >= PARSE_CACHE_LIMIT) parseCache.delete(parseCache.keys().next().value as string);
  } else {
    parseCache.delete(cron); // re-inserted below: most recently used last
  }
  parseCache.set(cron, parsed);
  return parsed;
}

function instantOf(date: Date, name: string): number {
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new ScheduleError(`${name} must be a valid Date`);
  return ms;
}

/** The last nextCronFire answer per parsed expression and zone. */
const lastNext = new WeakMap<CronExpression, Map<string, { after: number; fire: number | null }>>();

/** Guard against a pathological zone; every iteration moves forward by at least one second. */
const MAX_ITERATIONS = 100_000;

/**
 * The first fire strictly after `after`, or null when there is none (e.g. every allowed year is
 * in the past, or no fire before the end of 2099).
 */
export function nextCronFire(
  cron: CronExpression | string,
  after: Date,
  timezone: string = DEFAULT_TIMEZONE,
): Date | null {
  const expr = toCronExpression(cron);
  const clock = ZoneClock.of(timezone);
  const afterMs = instantOf(after, 'after');
  // Many jobs share an expression and fire together (every daily 01:00 job): after one fire the
  // scheduler asks the same question for each of them, so the last answer is kept per zone.
  let byZone = lastNext.get(expr);
  if (byZone === undefined) lastNext.set(expr, (byZone = new Map()));
  const last = byZone.get(timezone);
  if (last !== undefined && last.after === afterMs) return last.fire === null ? null : new Date(last.fire);
  const fire = firstFireAfter(expr, clock, afterMs, timezone);
  if (byZone.size >= 16) byZone.clear();
  byZone.set(timezone, { after: afterMs, fire });
  return fire === null ? null : new Date(fire);
}

function firstFireAfter(expr: CronExpression, clock: ZoneClock, afterMs: number, timezone: string): number | null {
  let wall = clock.toWall(Math.floor(afterMs / 1000) * 1000 + 1000);
  for (let i = 0; i < MAX_ITERATIONS; i++) {
    const candidate = expr.nextWall(wall);
    if (candidate === null) return null;
    const instants = clock.toInstants(candidate);
    if (instants.length === 0) {
      // Spring-forward gap: this local time does not exist; continue after the gap.
      const end = clock.gapEnd(candidate);
      wall = end !== undefined && end > candidate ? end : candidate + 1000;
      continue;
    }
    const first = instants[0] as number;
    if (first > afterMs) return first;
    // A repeated local time whose first occurrence is not after `after`: it already fired.
    const end = instants.length > 1 ? clock.overlapEnd(candidate) : undefined;
    wall = end !== undefined && end > candidate ? end : candidate + 1000;
  }
  throw new ScheduleError(`cron "${expr.source}" did not converge in time zone ${timezone}`);
}

/** The last fire strictly before `before`, or null when there is none (none since 1970). */
export function prevCronFire(
  cron: CronExpression | string,
  before: Date,
  timezone: string = DEFAULT_TIMEZONE,
): Date | null {
  const expr = toCronExpression(cron);
  const clock = ZoneClock.of(timezone);
  const beforeMs = instantOf(before, 'before');
  const startMs = Math.ceil(beforeMs / 1000) * 1000 - 1000;
  let wall = clock.toWall(startMs);
  const startInstants = clock.toInstants(wall);
  if (startInstants.length > 1 && startMs === startInstants[startInstants.length - 1]) {
    // `before` lies in the second pass of a repeated hour: every local time of that hour fired
    // at its first occurrence, which is earlier — search from the end of the repeated span.
    const end = clock.overlapEnd(wall);
    if (end !== undefined) wall = end - 1000;
  }
  for (let i = 0; i < MAX_ITERATIONS; i++) {
    const candidate = expr.prevWall(wall);
    if (candidate === null) return null;
    const instants = clock.toInstants(candidate);
    if (instants.length === 0) {
      const start = clock.gapStart(candidate);
      wall = start !== undefined && start <= candidate ? start - 1000 : candidate - 1000;
      continue;
    }
    const first = instants[0] as number;
    if (first < beforeMs) return new Date(first);
    wall = candidate - 1000;
  }
  throw new ScheduleError(`cron "${expr.source}" did not converge in time zone ${timezone}`);
}

/**
 * True when `date` is a fire time of the expression in `timezone`: a whole second whose local
 * time matches every field and that is the first occurrence of that local time.
 */
export function cronMatches(cron: CronExpression | string, date: Date, timezone: string = DEFAULT_TIMEZONE): boolean {
  const expr = toCronExpression(cron);
  const clock = ZoneClock.of(timezone);
  const ms = instantOf(date, 'date');
  const wall = clock.toWall(ms);
  if (!expr.matchesWall(wall)) return false;
  return clock.toInstants(wall)[0] === ms;
}

/** The next `count` fires strictly after `after` (fewer when the expression runs out). */
export function nextCronFires(
  cron: CronExpression | string,
  after: Date,
  count: number,
  timezone: string = DEFAULT_TIMEZONE,
): Date[] {
  const out: Date[] = [];
  let cursor = after;
  while (out.length < count) {
    const next = nextCronFire(cron, cursor, timezone);
    if (next === null) break;
    out.push(next);
    cursor = next;
  }
  return out;
}

/** True when the expression matches at least one date in 1970-2099 (e.g. not `0 0 0 30 2 ?`). */
export function cronEverFires(cron: CronExpression | string): boolean {
  return toCronExpression(cron).nextWall(Date.UTC(1970, 0, 1)) !== null;
}
