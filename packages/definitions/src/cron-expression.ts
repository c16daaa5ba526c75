import { Cron } from 'croner';
import { CronSyntaxError, type CronFieldName } from './schedule.errors';

/**
 * Cron expressions, Quartz style and Unix style, evaluated by the `croner` library.
 *
 * Format is chosen by the number of fields:
 * - 6 or 7 fields, Quartz: `second minute hour day-of-month month day-of-week [year]`;
 *   day-of-week 1-7 = SUN-SAT.
 * - 5 fields, Unix: `minute hour day-of-month month day-of-week`; seconds are 0;
 *   day-of-week 0-7 with 0 and 7 = SUN.
 *
 * Every field accepts `*`, single values, lists `a,b`, ranges `a-b`, steps `a/n`, `* /n`,
 * `a-b/n`; month names JAN-DEC and day names SUN-SAT (case-insensitive). A range whose start is
 * after its end wraps around (`FRI-MON`, hours `22-2`), as in Quartz, except in the year field.
 * Day-of-month also accepts `L` (last day), `L-n` (n days before the last day), `LW` (last
 * weekday), `L-nW` (weekday nearest to the last day minus n), `nW` (weekday nearest to day n,
 * never leaving the month; no fire in a month without day n). Day-of-week also accepts `L`
 * (= Saturday, as in Quartz), `nL` (last weekday n of the month, e.g. `6L` last Friday) and
 * `n#k` (k-th weekday n, k 1-5, e.g. `6#3`). These special items may be mixed with others in a
 * list (`1,15,L`), which Quartz itself rejects.
 * `?` means "no restriction" and is accepted only in day-of-month and day-of-week.
 * Year: 1970-2099 (Quartz's range); no fire is ever computed after 2099.
 *
 * Day-of-month vs day-of-week. Quartz: at most one of them may be restricted (the other `?` or
 * `*`); restricting both is rejected, as Quartz does. `*` in both (or `?` in both) means every
 * day — accepted for convenience (Quartz requires one `?`). Unix: when both are restricted a
 * day matches if EITHER matches (classic cron); a field counts as restricted unless it is
 * exactly `*` or `?`.
 *
 * What this module adds to croner (each is shown by a case in cron-expression.spec.ts):
 * - checks and messages naming the field (croner accepts `?` in every field, `8#1`, years
 *   outside 1970-2099 and both day fields restricted in Quartz, and its messages count days
 *   from 0: `0 0 0 32 * ?` is "Invalid value for day: 31");
 * - a rewrite to croner's own syntax: wrap-around ranges become lists, `a/n` becomes
 *   `a-max/n`, Quartz weekday numbers become 0-6, day-of-week `L` becomes Saturday, the year
 *   defaults to 1970-2099;
 * - `L-n`, `L-nW`, and `LW` inside a list (croner refuses them): croner searches the days those
 *   items can fall on (e.g. 25-28 for `L-3`), and a day filter keeps the exact ones.
 * Time zones and daylight-saving time are handled in cron-fire.ts; here every time is a "wall"
 * value: a local date-time written as UTC milliseconds (see ZoneClock).
 */

export type CronFormat = 'quartz' | 'unix';

export interface CronExpression {
  /** The expression as given (trimmed). */
  readonly source: string;
  readonly format: CronFormat;
  /** The same schedule in croner's 7-field syntax (weekdays 0-6 = SUN-SAT, years 1970-2099). */
  readonly pattern: string;
  /** The first matching wall value ≥ `wall` (whole seconds), or null (none up to 2099). */
  nextWall(wall: number): number | null;
  /** The last matching wall value ≤ `wall` (whole seconds), or null (none since 1970). */
  prevWall(wall: number): number | null;
  /** True when the wall value is a whole second that matches every field. */
  matchesWall(wall: number): boolean;
}

export const CRON_MIN_YEAR = 1970;
export const CRON_MAX_YEAR = 2099;

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldDef {
  readonly name: CronFieldName;
  readonly min: number;
  readonly max: number;
  /** Names and the value of the first one (JAN = 1; SUN = 1 in Quartz, 0 in Unix). */
  readonly names?: { readonly list: readonly string[]; readonly first: number; readonly kind: string };
  /** The value as croner reads it in this field (Quartz weekdays 1-7 → 0-6). */
  readonly toCroner?: (value: number) => number;
}

const FIELDS: Record<string, FieldDef> = {
  second: { name: 'second', min: 0, max: 59 },
  minute: { name: 'minute', min: 0, max: 59 },
  hour: { name: 'hour', min: 0, max: 23 },
  dom: { name: 'day-of-month', min: 1, max: 31 },
  month: { name: 'month', min: 1, max: 12, names: { list: MONTH_NAMES, first: 1, kind: 'JAN-DEC' } },
  quartzDow: {
    name: 'day-of-week', min: 1, max: 7,
    names: { list: DAY_NAMES, first: 1, kind: 'SUN-SAT' },
    toCroner: (v) => v - 1,
  },
  unixDow: {
    name: 'day-of-week', min: 0, max: 7,
    names: { list: DAY_NAMES, first: 0, kind: 'SUN-SAT' },
    toCroner: (v) => v % 7,
  },
  year: { name: 'year', min: CRON_MIN_YEAR, max: CRON_MAX_YEAR },
};

/** `L-n` (weekday false) or `L-nW` (weekday true): computed here, croner has no such item. */
interface LastDayOffset {
  readonly offset: number;
  readonly weekday: boolean;
}

/** One field rewritten for croner, plus the day-of-month items croner cannot take. */
interface Translated {
  readonly text: string;
  /** The field is `*` or `?`. */
  readonly any: boolean;
  readonly lastOffsets: readonly LastDayOffset[];
  /** The items croner can take (day-of-month with lastOffsets only). */
  readonly plain: readonly string[];
}

class FieldTranslator {
  constructor(
    private readonly expression: string,
    private readonly def: FieldDef,
  ) {}

  fail(message: string): never {
    throw new CronSyntaxError(message, this.expression, this.def.name);
  }

  items(text: string): string[] {
    const items = text.split(',');
    if (items.some((item) => item === '')) this.fail(`empty item in list "${text}"`);
    return items;
  }

  value(token: string): number {
    const { min, max, names } = this.def;
    if (/^\d+$/.test(token)) {
      const n = Number(token);
      if (n < min || n > max) this.fail(`value ${token} out of range ${min}-${max}`);
      return n;
    }
    const index = names?.list.indexOf(token.toUpperCase()) ?? -1;
    if (names !== undefined && index >= 0) return names.first + index;
    this.fail(`invalid value "${token}" (expected ${min}-${max}${names === undefined ? '' : ` or ${names.kind}`})`);
  }

  private out(value: number): number {
    return this.def.toCroner === undefined ? value : this.def.toCroner(value);
  }

  /** `*`, `v`, `v-w`, each optionally followed by `/step`, in croner's syntax. */
  plain(item: string): string {
    const { min, max, name } = this.def;
    const match = /^([^/]+)(?:\/(.*))?$/.exec(item);
    if (match === null) this.fail(`invalid item "${item}"`);
    const base = match[1] as string;
    const stepText = match[2];
    if (stepText !== undefined && (!/^\d+$/.test(stepText) || Number(stepText) < 1)) {
      this.fail(`step in "${item}" must be a positive integer`);
    }
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step > max - min + 1) this.fail(`step ${step} in "${item}" is larger than the range ${min}-${max}`);
    if (base === '*' && step === 1) return name === 'year' ? `${min}-${max}` : '*';
    const dash = base.indexOf('-', 1);
    const start = base === '*' ? min : this.value(dash > 0 ? base.slice(0, dash) : base);
    const end = base === '*' || (dash < 0 && stepText !== undefined) ? max : dash > 0 ? this.value(base.slice(dash + 1)) : start;
    if (start > end && name === 'year') this.fail(`range ${start}-${end} is reversed`);
    if (start <= end && this.def.toCroner === undefined) {
      return start === end ? `${start}` : `${start}-${end}${step > 1 ? `/${step}` : ''}`;
    }
    // Wrap-around ranges (croner refuses `22-2`) and weekdays become a list of values.
    const span = max - min + 1;
    const length = start <= end ? end - start + 1 : end - min + (max - start) + 2;
    const values = new Set<number>();
    for (let i = 0; i < length; i += step) values.add(this.out(min + ((start - min + i) % span)));
    return [...values].join(',');
  }

  /** A field without L, W, # and ?. */
  simple(text: string): Translated {
    const out: string[] = [];
    for (const item of this.items(text)) {
      const upper = item.toUpperCase();
      if (upper === '?') this.fail('"?" is only allowed in the day-of-month and day-of-week fields');
      if (upper.includes('#')) this.fail('"#" is only allowed in the day-of-week field');
      if (/^L(-\d+)?$|^\d+L$|^LW$/.test(upper)) this.fail('"L" is only allowed in the day-of-month and day-of-week fields');
      if (/^(\d+|L)W$/.test(upper)) this.fail('"W" is only allowed in the day-of-month field');
      out.push(this.plain(item));
    }
    return { text: out.join(','), any: text === '*', lastOffsets: [], plain: [] };
  }

  dayOfMonth(text: string): Translated {
    if (text === '*' || text === '?') return { text: '*', any: true, lastOffsets: [], plain: [] };
    const items = this.items(text);
    const plain: string[] = [];
    const lastOffsets: LastDayOffset[] = [];
    for (const raw of items) {
      const item = raw.toUpperCase();
      let m: RegExpExecArray | null;
      if (item === '?' || item === '*') {
        this.fail(`"${item}" cannot be combined with other items`);
      } else if ((m = /^L(?:-(\d+))?(W?)$|^(W)L$/.exec(item)) !== null) {
        const offset = Number(m[1] ?? 0);
        if (offset > 30) this.fail(`offset in "${raw}" must be 0-30`);
        const weekday = m[2] === 'W' || m[3] === 'W';
        // croner takes `L` anywhere and `LW` alone; the rest is computed by the day filter.
        if (offset === 0 && (!weekday || items.length === 1)) plain.push(weekday ? 'LW' : 'L');
        else lastOffsets.push({ offset, weekday });
      } else if ((m = /^(\d+)W$/.exec(item)) !== null) {
        plain.push(`${this.value(m[1] as string)}W`);
      } else if (item.includes('W')) {
        this.fail(`"W" must follow a single day (1-31) or L, got "${raw}"`);
      } else if (item.includes('L')) {
        this.fail(`invalid use of "L" in "${raw}" (expected L, L-n, LW or L-nW)`);
      } else if (item.includes('#')) {
        this.fail('"#" is only allowed in the day-of-week field');
      } else {
        plain.push(this.plain(raw));
      }
    }
    // For croner: the days a last-day offset can fall on in any month (28-31 days, ±2 for W).
    const candidates = lastOffsets.map(({ offset, weekday }) => {
      const slack = weekday ? 2 : 0;
      const lo = Math.max(1, 28 - offset - slack);
      return `${lo}-${Math.max(lo, Math.min(31, 31 - offset + slack))}`;
    });
    return { text: [...plain, ...candidates].join(','), any: false, lastOffsets, plain };
  }

  dayOfWeek(text: string): Translated {
    if (text === '*' || text === '?') return { text: '*', any: true, lastOffsets: [], plain: [] };
    const out: string[] = [];
    for (const raw of this.items(text)) {
      const item = raw.toUpperCase();
      let m: RegExpExecArray | null;
      if (item === '?' || item === '*') {
        this.fail(`"${item}" cannot be combined with other items`);
      } else if (item === 'L') {
        out.push('6'); // Quartz: "L" alone in day-of-week is the last day of the week, Saturday.
      } else if ((m = /^([A-Z0-9]+)L$/.exec(item)) !== null) {
        out.push(`${this.out(this.value(m[1] as string))}L`);
      } else if ((m = /^([A-Z0-9]+)#(.*)$/.exec(item)) !== null) {
        const day = this.out(this.value(m[1] as string));
        if (!/^[1-5]$/.test(m[2] as string)) this.fail(`"#" occurrence must be 1-5, got "${m[2] as string}"`);
        out.push(`${day}#${m[2] as string}`);
      } else if (item.includes('#')) {
        this.fail(`"#" must be written day#occurrence (e.g. 6#3), got "${raw}"`);
      } else if (/^\d+W$|^LW$/.test(item)) {
        this.fail('"W" is only allowed in the day-of-month field');
      } else {
        out.push(this.plain(raw));
      }
    }
    return { text: out.join(','), any: false, lastOffsets: [], plain: [] };
  }
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * The day `L-n` (or, with `weekday`, `L-nW`) stands for in a month, as Quartz computes it: the
 * last day minus n; with W the nearest weekday to it within the month (Saturday → Friday, or
 * Monday when it is the 1st; Sunday → Monday, or Friday when it is the last day).
 */
function lastDayOffsetDay(year: number, month: number, { offset, weekday }: LastDayOffset): number {
  const dim = daysInMonth(year, month);
  const day = dim - offset;
  if (!weekday || day < 1) return day;
  const dow = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  if (dow === 6) return day === 1 ? day + 2 : day - 1;
  if (dow === 0) return day === dim ? day - 2 : day + 1;
  return day;
}

const DAY_MS = 86_400_000;
/** Each step of the day filter skips a whole day; bounded by the days of 1970-2099. */
const MAX_FILTER_STEPS = 50_000;

function cronerOf(pattern: string, expression: string): Cron {
  try {
    // Wall values are UTC-like, so croner runs at offset 0 (no DST of its own); legacy OR of
    // day-of-month and day-of-week is croner's default.
    return new Cron(pattern, { mode: '7-part', utcOffset: 0, paused: true });
  } catch (err) {
    // Not expected after our own checks; kept so that any croner refusal is still a 400.
    throw new CronSyntaxError(err instanceof Error ? err.message.replace(/^CronPattern: /, '') : String(err), expression);
  }
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
  if (fields.length < 5 || fields.length > 7) {
    throw new CronSyntaxError(
      `expected 5 fields (minute hour day-of-month month day-of-week) or 6-7 fields ` +
        `(second minute hour day-of-month month day-of-week [year]), got ${fields.length}`,
      source,
    );
  }
  const format: CronFormat = fields.length === 5 ? 'unix' : 'quartz';
  const [second, minute, hour, dom, month, dow, year] = (format === 'unix' ? ['0', ...fields] : fields) as [
    string, string, string, string, string, string, string | undefined,
  ];
  const t = (key: string): FieldTranslator => new FieldTranslator(source, FIELDS[key] as FieldDef);
  const translators = [
    () => t('second').simple(second),
    () => t('minute').simple(minute),
    () => t('hour').simple(hour),
    () => t('dom').dayOfMonth(dom),
    () => t('month').simple(month),
    () => t(format === 'quartz' ? 'quartzDow' : 'unixDow').dayOfWeek(dow),
    () => t('year').simple(year ?? '*'),
  ];
  // Fields are checked in the order the former parser used (Unix: the day fields first), so the
  // first error reported for an expression with several is the same as before.
  const parts: Translated[] = [];
  for (const i of format === 'unix' ? [3, 5, 0, 1, 2, 4, 6] : [0, 1, 2, 3, 4, 5, 6]) parts[i] = (translators[i] as () => Translated)();
  const dayOfMonth = parts[3] as Translated;
  const dayOfWeek = parts[5] as Translated;
  if (format === 'quartz' && !dayOfMonth.any && !dayOfWeek.any) {
    throw new CronSyntaxError(
      'day-of-month and day-of-week cannot both be restricted in a Quartz expression; set one of them to "?"',
      source,
    );
  }
  const pattern = parts.map((p) => p.text).join(' ');
  const cron = cronerOf(pattern, source);

  // Day filter for L-n / L-nW: a day croner found is kept when a last-day offset falls on it,
  // or when the rest of the day fields match it (croner with only the plain items).
  let keepDay: ((wall: number) => boolean) | undefined;
  if (dayOfMonth.lastOffsets.length > 0) {
    const rest =
      dayOfMonth.plain.length > 0 || !dayOfWeek.any
        ? cronerOf([...parts.slice(0, 3).map((p) => p.text), dayOfMonth.plain.join(',') || '*', ...parts.slice(4).map((p) => p.text)].join(' '), source)
        : undefined;
    keepDay = (wall) => {
      const d = new Date(wall);
      const [y, mo, day] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
      return dayOfMonth.lastOffsets.some((o) => lastDayOffsetDay(y, mo, o) === day) || (rest?.match(d) ?? false);
    };
  }

  const nextWall = (wall: number): number | null => {
    let from = Math.ceil(wall / 1000) * 1000;
    for (let i = 0; i < MAX_FILTER_STEPS; i++) {
      // croner's nextRun is strictly after a whole second: ask from one second earlier.
      const found = cron.nextRun(new Date(from - 1000))?.getTime() ?? null;
      if (found === null || keepDay === undefined || keepDay(found)) return found;
      from = (Math.floor(found / DAY_MS) + 1) * DAY_MS;
    }
    return null;
  };
  const prevWall = (wall: number): number | null => {
    let to = Math.floor(wall / 1000) * 1000;
    for (let i = 0; i < MAX_FILTER_STEPS; i++) {
      // croner's previousRuns is strictly before the reference: ask from 1 ms later.
      const found = cron.previousRuns(1, new Date(to + 1))[0]?.getTime() ?? null;
      if (found === null || keepDay === undefined || keepDay(found)) return found;
      to = Math.floor(found / DAY_MS) * DAY_MS - 1000;
    }
    return null;
  };
  const matchesWall = (wall: number): boolean =>
    wall % 1000 === 0 && cron.match(new Date(wall)) && (keepDay === undefined || keepDay(wall));
  return { source, format, pattern, nextWall, prevWall, matchesWall };
}
