import { CronSyntaxError, type CronFieldName } from './schedule.errors';

/**
 * Cron expressions, Quartz style and Unix style.
 *
 * Format is chosen by the number of fields:
 * - 6 or 7 fields, Quartz: `second minute hour day-of-month month day-of-week [year]`;
 *   day-of-week 1-7 = SUN-SAT.
 * - 5 fields, Unix: `minute hour day-of-month month day-of-week`; seconds are 0;
 *   day-of-week 0-7 with 0 and 7 = SUN.
 *
 * Every field accepts `*`, single values, lists `a,b`, ranges `a-b`, steps `a/n`, `* /n`,
 * `a-b/n`; month names JAN-DEC and day names SUN-SAT (case-insensitive). A range whose start is
 * after its end wraps around (`FRI-MON`, hours `22-2`), except in the year field.
 * Day-of-month also accepts `L` (last day), `L-n` (n days before the last day), `LW` (last
 * weekday), `nW` (weekday nearest to day n, never leaving the month; no fire in a month without
 * day n). Day-of-week also accepts `L` (= Saturday, as in Quartz), `nL` (last weekday n of the
 * month, e.g. `6L` last Friday) and `n#k` (k-th weekday n, k 1-5, e.g. `6#3`). These special
 * items may be mixed with others in a list (`1,15,L`), which Quartz itself rejects.
 * `?` means "no restriction" and is accepted only in day-of-month and day-of-week.
 * Year: 1970-2099 (Quartz's range); no fire is ever computed after 2099.
 *
 * Day-of-month vs day-of-week. Quartz: at most one of them may be restricted (the other `?` or
 * `*`); restricting both is rejected, as Quartz does. `*` in both (or `?` in both) means every
 * day — accepted for convenience (Quartz requires one `?`). Unix: when both are restricted a
 * day matches if EITHER matches (classic cron); a field counts as restricted unless it is
 * exactly `*` or `?`.
 */

export type CronFormat = 'quartz' | 'unix';

export interface DayOfMonthSpec {
  /** The field is `*` or `?`. */
  readonly any: boolean;
  /** Plain days 1-31. */
  readonly days: readonly number[];
  /** `L`: the last day of the month. */
  readonly last: boolean;
  /** `L-n`: n days before the last day. */
  readonly lastOffsets: readonly number[];
  /** `LW`: the last weekday (Mon-Fri) of the month. */
  readonly lastWeekday: boolean;
  /** `nW`: the weekday nearest to day n within the month. */
  readonly nearestWeekdays: readonly number[];
}

export interface DayOfWeekSpec {
  /** The field is `*` or `?`. */
  readonly any: boolean;
  /** Days, Quartz numbering 1 = SUN … 7 = SAT (also for Unix expressions). */
  readonly days: readonly number[];
  /** `nL`: last such weekday of the month (Quartz numbering). */
  readonly lastOf: readonly number[];
  /** `n#k`: the k-th such weekday of the month (Quartz numbering). */
  readonly nth: readonly { readonly day: number; readonly nth: number }[];
}

export interface CronExpression {
  /** The expression as given (trimmed). */
  readonly source: string;
  readonly format: CronFormat;
  readonly seconds: readonly number[];
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly dayOfMonth: DayOfMonthSpec;
  readonly months: readonly number[];
  readonly dayOfWeek: DayOfWeekSpec;
  /** Allowed years, or null for any year. */
  readonly years: readonly number[] | null;
}

export const CRON_MIN_YEAR = 1970;
export const CRON_MAX_YEAR = 2099;

const MONTH_NAMES: Record<string, number> = {
  JAN: 1, FEB: 2, MAR: 3, APR: 4, MAY: 5, JUN: 6, JUL: 7, AUG: 8, SEP: 9, OCT: 10, NOV: 11, DEC: 12,
};
const QUARTZ_DAY_NAMES: Record<string, number> = { SUN: 1, MON: 2, TUE: 3, WED: 4, THU: 5, FRI: 6, SAT: 7 };
const UNIX_DAY_NAMES: Record<string, number> = { SUN: 0, MON: 1, TUE: 2, WED: 3, THU: 4, FRI: 5, SAT: 6 };

interface FieldDef {
  readonly name: CronFieldName;
  readonly min: number;
  readonly max: number;
  readonly names?: Record<string, number>;
}

const SECOND: FieldDef = { name: 'second', min: 0, max: 59 };
const MINUTE: FieldDef = { name: 'minute', min: 0, max: 59 };
const HOUR: FieldDef = { name: 'hour', min: 0, max: 23 };
const DAY_OF_MONTH: FieldDef = { name: 'day-of-month', min: 1, max: 31 };
const MONTH: FieldDef = { name: 'month', min: 1, max: 12, names: MONTH_NAMES };
const QUARTZ_DAY_OF_WEEK: FieldDef = { name: 'day-of-week', min: 1, max: 7, names: QUARTZ_DAY_NAMES };
const UNIX_DAY_OF_WEEK: FieldDef = { name: 'day-of-week', min: 0, max: 7, names: UNIX_DAY_NAMES };
const YEAR: FieldDef = { name: 'year', min: CRON_MIN_YEAR, max: CRON_MAX_YEAR };

class FieldParser {
  constructor(
    private readonly expression: string,
    private readonly def: FieldDef,
  ) {}

  fail(message: string): never {
    throw new CronSyntaxError(message, this.expression, this.def.name);
  }

  value(token: string): number {
    const { min, max, names } = this.def;
    if (/^\d+$/.test(token)) {
      const n = Number(token);
      if (n < min || n > max) this.fail(`value ${token} out of range ${min}-${max}`);
      return n;
    }
    const named = names?.[token.toUpperCase()];
    if (named !== undefined) return named;
    if (names !== undefined) {
      const kind = names === MONTH_NAMES ? 'JAN-DEC' : 'SUN-SAT';
      this.fail(`invalid value "${token}" (expected ${min}-${max} or ${kind})`);
    }
    this.fail(`invalid value "${token}" (expected ${min}-${max})`);
  }

  /** A plain item: `*`, `v`, `v-w`, each optionally followed by `/step`. */
  plain(item: string): number[] {
    const { min, max, name } = this.def;
    const match = /^([^/]+)(?:\/(.*))?$/.exec(item);
    if (match === null) this.fail(`invalid item "${item}"`);
    const base = match[1] as string;
    const stepText = match[2];
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
        this.fail(`step in "${item}" must be a positive integer`);
      }
      step = Number(stepText);
      if (step > max - min + 1) this.fail(`step ${step} in "${item}" is larger than the range ${min}-${max}`);
    }
    let start: number;
    let end: number;
    if (base === '*') {
      start = min;
      end = max;
    } else {
      const dash = base.indexOf('-', 1);
      if (dash > 0) {
        start = this.value(base.slice(0, dash));
        end = this.value(base.slice(dash + 1));
      } else {
        start = this.value(base);
        end = stepText === undefined ? start : max;
      }
    }
    const out: number[] = [];
    if (start <= end) {
      for (let v = start; v <= end; v += step) out.push(v);
    } else {
      if (name === 'year') this.fail(`range ${start}-${end} is reversed`);
      // Wrap-around range (e.g. FRI-MON, 22-2): walk start..max then min..end.
      const span = max - min + 1;
      const length = end - min + (max - start) + 2;
      for (let i = 0; i < length; i += step) out.push(min + ((start - min + i) % span));
    }
    return out;
  }

  rejectSpecial(item: string): void {
    const upper = item.toUpperCase();
    if (upper === '?') this.fail('"?" is only allowed in the day-of-month and day-of-week fields');
    if (upper.includes('#')) this.fail('"#" is only allowed in the day-of-week field');
    if (this.def.names === undefined || !(upper in this.def.names)) {
      if (/^L(-\d+)?$|^\d+L$|^LW$/.test(upper)) {
        this.fail('"L" is only allowed in the day-of-month and day-of-week fields');
      }
      if (/^(\d+|L)W$/.test(upper)) this.fail('"W" is only allowed in the day-of-month field');
    }
  }
}

function splitList(parser: FieldParser, text: string): string[] {
  const items = text.split(',');
  if (items.some((item) => item === '')) parser.fail(`empty item in list "${text}"`);
  return items;
}

function sortedUnique(values: Iterable<number>): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

function parseSimple(expression: string, def: FieldDef, text: string): number[] {
  const parser = new FieldParser(expression, def);
  const values: number[] = [];
  for (const item of splitList(parser, text)) {
    parser.rejectSpecial(item);
    values.push(...parser.plain(item));
  }
  return sortedUnique(values);
}

function parseDayOfMonth(expression: string, text: string): DayOfMonthSpec {
  const parser = new FieldParser(expression, DAY_OF_MONTH);
  const any = text === '*' || text === '?';
  const days: number[] = [];
  const lastOffsets: number[] = [];
  const nearestWeekdays: number[] = [];
  let last = false;
  let lastWeekday = false;
  if (!any) {
    for (const raw of splitList(parser, text)) {
      const item = raw.toUpperCase();
      let m: RegExpExecArray | null;
      if (item === '?' || item === '*') {
        parser.fail(`"${item}" cannot be combined with other items`);
      } else if (item === 'L') {
        last = true;
      } else if ((m = /^L-(\d+)$/.exec(item)) !== null) {
        const n = Number(m[1]);
        if (n > 30) parser.fail(`offset in "${raw}" must be 0-30`);
        if (n === 0) last = true;
        else lastOffsets.push(n);
      } else if (item === 'LW' || item === 'WL') {
        lastWeekday = true;
      } else if ((m = /^(\d+)W$/.exec(item)) !== null) {
        const n = Number(m[1]);
        if (n < 1 || n > 31) parser.fail(`value ${m[1]} out of range 1-31`);
        nearestWeekdays.push(n);
      } else if (item.includes('W')) {
        parser.fail(`"W" must follow a single day (1-31) or L, got "${raw}"`);
      } else if (item.includes('L')) {
        parser.fail(`invalid use of "L" in "${raw}" (expected L, L-n or LW)`);
      } else if (item.includes('#')) {
        parser.fail('"#" is only allowed in the day-of-week field');
      } else {
        days.push(...parser.plain(raw));
      }
    }
  }
  return {
    any,
    days: sortedUnique(days),
    last,
    lastOffsets: sortedUnique(lastOffsets),
    lastWeekday,
    nearestWeekdays: sortedUnique(nearestWeekdays),
  };
}

function parseDayOfWeek(expression: string, text: string, format: CronFormat): DayOfWeekSpec {
  const def = format === 'quartz' ? QUARTZ_DAY_OF_WEEK : UNIX_DAY_OF_WEEK;
  const parser = new FieldParser(expression, def);
  // Unix numbering 0-7 (0 and 7 = SUN) → Quartz numbering 1-7 (1 = SUN).
  const toQuartz = (v: number): number => (format === 'quartz' ? v : (v % 7) + 1);
  const any = text === '*' || text === '?';
  const days: number[] = [];
  const lastOf: number[] = [];
  const nth: { day: number; nth: number }[] = [];
  if (!any) {
    for (const raw of splitList(parser, text)) {
      const item = raw.toUpperCase();
      let m: RegExpExecArray | null;
      if (item === '?' || item === '*') {
        parser.fail(`"${item}" cannot be combined with other items`);
      } else if (item === 'L') {
        days.push(7); // Quartz: "L" alone in day-of-week means the last day of the week, Saturday.
      } else if ((m = /^([A-Z0-9]+)L$/.exec(item)) !== null) {
        lastOf.push(toQuartz(parser.value(m[1] as string)));
      } else if ((m = /^([A-Z0-9]+)#(.*)$/.exec(item)) !== null) {
        const day = toQuartz(parser.value(m[1] as string));
        const k = m[2] as string;
        if (!/^[1-5]$/.test(k)) parser.fail(`"#" occurrence must be 1-5, got "${k}"`);
        nth.push({ day, nth: Number(k) });
      } else if (item.includes('#')) {
        parser.fail(`"#" must be written day#occurrence (e.g. 6#3), got "${raw}"`);
      } else if (/^\d+W$|^LW$/.test(item)) {
        parser.fail('"W" is only allowed in the day-of-month field');
      } else {
        days.push(...parser.plain(raw).map(toQuartz));
      }
    }
  }
  const uniqueNth = nth.filter((a, i) => nth.findIndex((b) => b.day === a.day && b.nth === a.nth) === i);
  return { any, days: sortedUnique(days), lastOf: sortedUnique(lastOf), nth: uniqueNth };
}

/**
 * Parses a cron expression (see the module comment for the accepted syntax). Throws
 * CronSyntaxError whose message names the field, e.g.
 * `day-of-week field: value 9 out of range 1-7`.
 */
export function parseCron(expression: string): CronExpression {
  if (typeof expression !== 'string') throw new CronSyntaxError('cron expression must be a string', String(expression));
  const source = expression.trim();
  if (source === '') throw new CronSyntaxError('cron expression is empty', expression);
  const fields = source.split(/\s+/);
  if (fields.length === 5) {
    const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
    const dayOfMonth = parseDayOfMonth(source, dom);
    const dayOfWeek = parseDayOfWeek(source, dow, 'unix');
    return {
      source,
      format: 'unix',
      seconds: [0],
      minutes: parseSimple(source, MINUTE, minute),
      hours: parseSimple(source, HOUR, hour),
      dayOfMonth,
      months: parseSimple(source, MONTH, month),
      dayOfWeek,
      years: null,
    };
  }
  if (fields.length === 6 || fields.length === 7) {
    const [second, minute, hour, dom, month, dow, year] = fields as [
      string, string, string, string, string, string, string | undefined,
    ];
    const seconds = parseSimple(source, SECOND, second);
    const minutes = parseSimple(source, MINUTE, minute);
    const hours = parseSimple(source, HOUR, hour);
    const dayOfMonth = parseDayOfMonth(source, dom);
    const months = parseSimple(source, MONTH, month);
    const dayOfWeek = parseDayOfWeek(source, dow, 'quartz');
    const years = year === undefined || year === '*' ? null : parseSimple(source, YEAR, year);
    if (!dayOfMonth.any && !dayOfWeek.any) {
      throw new CronSyntaxError(
        'day-of-month and day-of-week cannot both be restricted in a Quartz expression; set one of them to "?"',
        source,
      );
    }
    return { source, format: 'quartz', seconds, minutes, hours, dayOfMonth, months, dayOfWeek, years };
  }
  throw new CronSyntaxError(
    `expected 5 fields (minute hour day-of-month month day-of-week) or 6-7 fields ` +
      `(second minute hour day-of-month month day-of-week [year]), got ${fields.length}`,
    source,
  );
}

// ---------------------------------------------------------------------------------------------
// Calendar matching on wall-clock values (see ZoneClock: local time written as UTC ms).
// ---------------------------------------------------------------------------------------------

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Day of week, Quartz numbering 1 = SUN … 7 = SAT. */
function weekday(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
}

function isWeekday(year: number, month: number, day: number): boolean {
  const w = weekday(year, month, day);
  return w !== 1 && w !== 7;
}

/** `nW`: the weekday nearest day n, staying in the month; undefined when the month has no day n. */
function nearestWeekday(year: number, month: number, n: number, dim: number): number | undefined {
  if (n > dim) return undefined;
  const w = weekday(year, month, n);
  if (w === 7) return n === 1 ? n + 2 : n - 1; // Saturday → Friday, or Monday the 3rd
  if (w === 1) return n === dim ? n - 2 : n + 1; // Sunday → Monday, or Friday before
  return n;
}

function lastWeekdayOf(year: number, month: number, dim: number): number {
  let d = dim;
  while (!isWeekday(year, month, d)) d--;
  return d;
}

function dayOfMonthMatches(spec: DayOfMonthSpec, year: number, month: number, day: number, dim: number): boolean {
  if (spec.days.includes(day)) return true;
  if (spec.last && day === dim) return true;
  if (spec.lastOffsets.some((n) => dim - n === day)) return true;
  if (spec.lastWeekday && day === lastWeekdayOf(year, month, dim)) return true;
  return spec.nearestWeekdays.some((n) => nearestWeekday(year, month, n, dim) === day);
}

function dayOfWeekMatches(spec: DayOfWeekSpec, year: number, month: number, day: number, dim: number): boolean {
  const w = weekday(year, month, day);
  if (spec.days.includes(w)) return true;
  if (spec.lastOf.includes(w) && day + 7 > dim) return true;
  return spec.nth.some((x) => x.day === w && Math.ceil(day / 7) === x.nth);
}

export function cronDayMatches(cron: CronExpression, year: number, month: number, day: number): boolean {
  const dom = cron.dayOfMonth;
  const dow = cron.dayOfWeek;
  if (dom.any && dow.any) return true;
  const dim = daysInMonth(year, month);
  if (dom.any) return dayOfWeekMatches(dow, year, month, day, dim);
  if (dow.any) return dayOfMonthMatches(dom, year, month, day, dim);
  return dayOfMonthMatches(dom, year, month, day, dim) || dayOfWeekMatches(dow, year, month, day, dim);
}

/** True when the wall-clock value matches every field. */
export function cronMatchesWall(cron: CronExpression, wall: number): boolean {
  const t = new Date(wall);
  const year = t.getUTCFullYear();
  return (
    t.getUTCMilliseconds() === 0 &&
    (cron.years === null || cron.years.includes(year)) &&
    cron.months.includes(t.getUTCMonth() + 1) &&
    cron.hours.includes(t.getUTCHours()) &&
    cron.minutes.includes(t.getUTCMinutes()) &&
    cron.seconds.includes(t.getUTCSeconds()) &&
    cronDayMatches(cron, year, t.getUTCMonth() + 1, t.getUTCDate())
  );
}

function firstAtLeast(values: readonly number[], v: number): number | undefined {
  for (const x of values) if (x >= v) return x;
  return undefined;
}

function lastAtMost(values: readonly number[], v: number): number | undefined {
  for (let i = values.length - 1; i >= 0; i--) {
    const x = values[i] as number;
    if (x <= v) return x;
  }
  return undefined;
}

/**
 * The first wall-clock value ≥ `wall` (whole seconds) that matches the expression, or null when
 * none exists up to the end of CRON_MAX_YEAR. Jumps field by field (year, month, day, hour,
 * minute, second), never second by second.
 */
export function nextWallMatch(cron: CronExpression, wall: number): number | null {
  let t = new Date(Math.ceil(wall / 1000) * 1000);
  for (;;) {
    const y = t.getUTCFullYear();
    if (y > CRON_MAX_YEAR) return null;
    const mo = t.getUTCMonth() + 1;
    let d = t.getUTCDate();
    let h = t.getUTCHours();
    let mi = t.getUTCMinutes();
    let s = t.getUTCSeconds();
    if (y < CRON_MIN_YEAR) {
      t = new Date(Date.UTC(CRON_MIN_YEAR, 0, 1));
      continue;
    }
    if (cron.years !== null && !cron.years.includes(y)) {
      const ny = firstAtLeast(cron.years, y);
      if (ny === undefined) return null;
      t = new Date(Date.UTC(ny, 0, 1));
      continue;
    }
    const nmo = firstAtLeast(cron.months, mo);
    if (nmo === undefined) {
      t = new Date(Date.UTC(y + 1, 0, 1));
      continue;
    }
    if (nmo !== mo) {
      t = new Date(Date.UTC(y, nmo - 1, 1));
      continue;
    }
    const dim = daysInMonth(y, mo);
    let nd: number | undefined;
    for (let x = d; x <= dim; x++) {
      if (cronDayMatches(cron, y, mo, x)) {
        nd = x;
        break;
      }
    }
    if (nd === undefined) {
      t = new Date(Date.UTC(y, mo, 1)); // first day of the next month
      continue;
    }
    if (nd !== d) {
      d = nd;
      h = 0;
      mi = 0;
      s = 0;
    }
    const nh = firstAtLeast(cron.hours, h);
    if (nh === undefined) {
      t = new Date(Date.UTC(y, mo - 1, d + 1));
      continue;
    }
    if (nh !== h) {
      h = nh;
      mi = 0;
      s = 0;
    }
    const nmi = firstAtLeast(cron.minutes, mi);
    if (nmi === undefined) {
      t = new Date(Date.UTC(y, mo - 1, d, h + 1));
      continue;
    }
    if (nmi !== mi) {
      mi = nmi;
      s = 0;
    }
    const ns = firstAtLeast(cron.seconds, s);
    if (ns === undefined) {
      t = new Date(Date.UTC(y, mo - 1, d, h, mi + 1));
      continue;
    }
    return Date.UTC(y, mo - 1, d, h, mi, ns);
  }
}

/**
 * The last wall-clock value ≤ `wall` (whole seconds) that matches the expression, or null when
 * none exists from the start of CRON_MIN_YEAR.
 */
export function prevWallMatch(cron: CronExpression, wall: number): number | null {
  let t = new Date(Math.floor(wall / 1000) * 1000);
  // Wall value of the last second before the start of (y, m, d, h, mi) — used to step back.
  const before = (...parts: [number, number, number?, number?, number?]): Date =>
    new Date(Date.UTC(parts[0], parts[1], parts[2] ?? 1, parts[3] ?? 0, parts[4] ?? 0) - 1000);
  for (;;) {
    const y = t.getUTCFullYear();
    if (y < CRON_MIN_YEAR) return null;
    if (y > CRON_MAX_YEAR) {
      t = before(CRON_MAX_YEAR + 1, 0);
      continue;
    }
    const mo = t.getUTCMonth() + 1;
    let d = t.getUTCDate();
    let h = t.getUTCHours();
    let mi = t.getUTCMinutes();
    let s = t.getUTCSeconds();
    if (cron.years !== null && !cron.years.includes(y)) {
      const py = lastAtMost(cron.years, y);
      if (py === undefined) return null;
      t = before(py + 1, 0);
      continue;
    }
    const pmo = lastAtMost(cron.months, mo);
    if (pmo === undefined) {
      t = before(y, 0);
      continue;
    }
    if (pmo !== mo) {
      t = before(y, pmo); // last second of month pmo
      continue;
    }
    let pd: number | undefined;
    for (let x = d; x >= 1; x--) {
      if (cronDayMatches(cron, y, mo, x)) {
        pd = x;
        break;
      }
    }
    if (pd === undefined) {
      t = before(y, mo - 1);
      continue;
    }
    if (pd !== d) {
      d = pd;
      h = 23;
      mi = 59;
      s = 59;
    }
    const ph = lastAtMost(cron.hours, h);
    if (ph === undefined) {
      t = before(y, mo - 1, d);
      continue;
    }
    if (ph !== h) {
      h = ph;
      mi = 59;
      s = 59;
    }
    const pmi = lastAtMost(cron.minutes, mi);
    if (pmi === undefined) {
      t = before(y, mo - 1, d, h);
      continue;
    }
    if (pmi !== mi) {
      mi = pmi;
      s = 59;
    }
    const ps = lastAtMost(cron.seconds, s);
    if (ps === undefined) {
      t = before(y, mo - 1, d, h, mi);
      continue;
    }
    return Date.UTC(y, mo - 1, d, h, mi, ps);
  }
}
