import { IANAZone } from 'luxon';
import { ScheduleError } from './schedule.errors';

/** Time zone of a schedule that does not name one (ARCHITECTURE.md, invariant 6). */
export const DEFAULT_TIMEZONE = 'Asia/Ho_Chi_Minh';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * True for a time zone name the runtime's IANA database knows (`Asia/Ho_Chi_Minh`, `UTC`,
 * `Etc/GMT-7`). Offsets such as `+07:00` are not zone names and are rejected.
 */
export function isValidTimeZone(name: unknown): name is string {
  if (typeof name !== 'string' || name.trim() === '' || name !== name.trim()) return false;
  if (/^[+-]/.test(name)) return false;
  return IANAZone.isValidZone(name);
}

const zoneCache = new Map<string, IANAZone>();

const clockCache = new Map<string, ZoneClock>();

/** The luxon zone for `name`; throws ScheduleError for an unknown name. */
export function zoneOf(name: string): IANAZone {
  let zone = zoneCache.get(name);
  if (zone === undefined) {
    if (!isValidTimeZone(name)) throw new ScheduleError(`unknown time zone "${name}"`);
    zone = IANAZone.create(name);
    if (zoneCache.size > 500) zoneCache.clear();
    zoneCache.set(name, zone);
  }
  return zone;
}

/**
 * Wall-clock arithmetic. A "wall" value is the local date-time of a zone written as if it were
 * UTC milliseconds (`Date.UTC(y, m - 1, d, h, mi, s)`), so that calendar fields can be read
 * with the getUTC* methods and compared as numbers.
 */
export class ZoneClock {
  /**
   * Offsets at whole-hour instants (bucket index → offset ms). When the offsets at both ends of
   * an hour are equal, the offset inside that hour is taken to be the same (no zone changes its
   * offset twice within one hour); otherwise the exact offset is asked from the zone.
   */
  private readonly hourOffsets = new Map<number, number>();

  constructor(readonly zone: IANAZone) {}

  static of(name: string): ZoneClock {
    let clock = clockCache.get(name);
    if (clock === undefined) {
      clock = new ZoneClock(zoneOf(name));
      if (clockCache.size > 500) clockCache.clear();
      clockCache.set(name, clock);
    }
    return clock;
  }

  private exactOffsetMs(ms: number): number {
    return Math.round(this.zone.offset(ms) * MINUTE_MS);
  }

  private hourOffset(bucket: number): number {
    let offset = this.hourOffsets.get(bucket);
    if (offset === undefined) {
      offset = this.exactOffsetMs(bucket * HOUR_MS);
      if (this.hourOffsets.size > 20_000) this.hourOffsets.clear();
      this.hourOffsets.set(bucket, offset);
    }
    return offset;
  }

  /** Offset from UTC in milliseconds at the instant `ms`. */
  offsetMs(ms: number): number {
    const bucket = Math.floor(ms / HOUR_MS);
    const start = this.hourOffset(bucket);
    return start === this.hourOffset(bucket + 1) ? start : this.exactOffsetMs(ms);
  }

  /** Local wall time of the instant `ms`. */
  toWall(ms: number): number {
    return ms + this.offsetMs(ms);
  }

  /**
   * Every instant whose local time is `wall`, earliest first: one normally, none in a
   * spring-forward gap, two in a fall-back overlap.
   */
  toInstants(wall: number): number[] {
    const before = this.offsetMs(wall - DAY_MS);
    const after = this.offsetMs(wall + DAY_MS);
    const candidates = before === after ? [before] : [before, after, this.offsetMs(wall)];
    const found: number[] = [];
    for (const offset of candidates) {
      const instant = wall - offset;
      if (this.offsetMs(instant) === offset && !found.includes(instant)) found.push(instant);
    }
    return found.sort((a, b) => a - b);
  }

  /** First instant in (from, to] whose offset differs from the offset at `from` (binary search). */
  private transitionBetween(from: number, to: number): number {
    const start = this.offsetMs(from);
    let lo = from;
    let hi = to;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.offsetMs(mid) === start) lo = mid;
      else hi = mid;
    }
    return hi;
  }

  /**
   * For a wall time inside a spring-forward gap: the first wall time after the gap (the local
   * time at the transition instant). Returns undefined when `wall` is not in a gap.
   */
  gapEnd(wall: number): number | undefined {
    const early = this.offsetMs(wall - DAY_MS);
    const late = this.offsetMs(wall + DAY_MS);
    if (late <= early) return undefined;
    const transition = this.transitionBetween(wall - late, wall - early);
    return this.toWall(transition);
  }

  /**
   * For a wall time inside a spring-forward gap: the wall time at which the gap starts (the first
   * non-existent local time). Wall times just before it exist.
   */
  gapStart(wall: number): number | undefined {
    const early = this.offsetMs(wall - DAY_MS);
    const late = this.offsetMs(wall + DAY_MS);
    if (late <= early) return undefined;
    const transition = this.transitionBetween(wall - late, wall - early);
    return transition + early;
  }

  /**
   * For a wall time that occurs twice (fall-back): the wall time at which the repeated span ends,
   * i.e. the first local time after the overlap that occurs once.
   */
  overlapEnd(wall: number): number | undefined {
    const instants = this.toInstants(wall);
    if (instants.length < 2) return undefined;
    const first = instants[0] as number;
    const second = instants[instants.length - 1] as number;
    const transition = this.transitionBetween(first, second);
    // Local time at the transition measured with the old (earlier, larger) offset.
    return transition + this.offsetMs(first);
  }
}
