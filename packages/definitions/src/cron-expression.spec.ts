import { Cron } from 'croner';
import { parseCron } from './cron-expression';
import { cronMatches, nextCronFires, prevCronFire } from './cron-fire';
import { CronSyntaxError } from './schedule.errors';

const range = (a: number, b: number, step = 1): number[] => {
  const out: number[] = [];
  for (let v = a; v <= b; v += step) out.push(v);
  return out;
};

/** The next `n` fires in UTC, as ISO texts. */
const fires = (expr: string, after: string, n: number): string[] =>
  nextCronFires(expr, new Date(after), n, 'UTC').map((d) => d.toISOString());

/** The distinct values of one calendar field over the next `n` fires (UTC). */
const valuesOf = (expr: string, n: number, get: (d: Date) => number, after = '2026-01-01T00:00:00Z'): number[] =>
  [...new Set(nextCronFires(expr, new Date(after), n, 'UTC').map(get))].sort((a, b) => a - b);
const second = (d: Date): number => d.getUTCSeconds();
const minute = (d: Date): number => d.getUTCMinutes();
const hour = (d: Date): number => d.getUTCHours();
const dayOfMonth = (d: Date): number => d.getUTCDate();
const month = (d: Date): number => d.getUTCMonth() + 1;
const year = (d: Date): number => d.getUTCFullYear();
/** Quartz numbering 1 = SUN … 7 = SAT. */
const weekday = (d: Date): number => d.getUTCDay() + 1;

// The field sets of the former hand-written parser, now checked through the fires croner computes.
describe('parseCron', () => {
  it('parses a Quartz expression with seconds', () => {
    expect(parseCron('0 0 1 * * ?').format).toBe('quartz');
    expect(fires('0 0 1 * * ?', '2026-01-30T12:00:00Z', 3)).toEqual([
      '2026-01-31T01:00:00.000Z',
      '2026-02-01T01:00:00.000Z',
      '2026-02-02T01:00:00.000Z',
    ]);
    expect(valuesOf('0 0 1 * * ?', 400, month)).toEqual(range(1, 12));
    expect(valuesOf('0 0 1 * * ?', 400, year)).toEqual([2026, 2027]);
  });

  it('detects the format by the number of fields', () => {
    expect(parseCron('*/5 * * * *').format).toBe('unix');
    expect(parseCron('0 */5 * * * ?').format).toBe('quartz');
    expect(parseCron('0 0 12 * * ? 2030').format).toBe('quartz');
  });

  it('gives a five-field Unix expression second 0', () => {
    expect(fires('30 9 * * 1-5', '2026-05-08T00:00:00Z', 3)).toEqual([
      '2026-05-08T09:30:00.000Z', // Friday
      '2026-05-11T09:30:00.000Z', // Monday
      '2026-05-12T09:30:00.000Z',
    ]);
    expect(valuesOf('30 9 * * 1-5', 30, weekday)).toEqual([2, 3, 4, 5, 6]); // MON-FRI in Quartz numbering
  });

  it('maps Unix day-of-week 0 and 7 to Sunday', () => {
    expect(valuesOf('0 0 * * 0', 10, weekday)).toEqual([1]);
    expect(valuesOf('0 0 * * 7', 10, weekday)).toEqual([1]);
    expect(valuesOf('0 0 * * 0,6', 10, weekday)).toEqual([1, 7]);
    expect(valuesOf('0 0 * * SUN', 10, weekday)).toEqual([1]);
    expect(valuesOf('0 0 * * 5-7', 10, weekday)).toEqual([1, 6, 7]);
  });

  it('accepts lists, ranges and steps', () => {
    expect(valuesOf('1,2,30 * * * * ?', 9, second)).toEqual([1, 2, 30]);
    expect(valuesOf('0 10-15 * * * ?', 18, minute)).toEqual([10, 11, 12, 13, 14, 15]);
    expect(valuesOf('0/15 * * * * ?', 12, second)).toEqual([0, 15, 30, 45]);
    expect(valuesOf('5/20 * * * * ?', 9, second)).toEqual([5, 25, 45]);
    expect(valuesOf('0 0 */2 * * ?', 24, hour)).toEqual(range(0, 22, 2));
    expect(valuesOf('0 10-40/5 * * * ?', 21, minute)).toEqual([10, 15, 20, 25, 30, 35, 40]);
    expect(valuesOf('0 0 1-3,10-12/2,20 * * ?', 18, hour)).toEqual([1, 2, 3, 10, 12, 20]);
    expect(valuesOf('0 0 0 1/10 * ?', 60, dayOfMonth)).toEqual([1, 11, 21, 31]);
  });

  it('wraps a range whose start is after its end', () => {
    expect(valuesOf('0 0 22-2 * * ?', 15, hour)).toEqual([0, 1, 2, 22, 23]);
    expect(valuesOf('0 0 0 ? * FRI-MON', 12, weekday)).toEqual([1, 2, 6, 7]);
    expect(valuesOf('0 0 0 1 NOV-FEB ?', 8, month)).toEqual([1, 2, 11, 12]);
    expect(valuesOf('0 0 22-4/2 * * ?', 12, hour)).toEqual([0, 2, 4, 22]);
    expect(valuesOf('0 0 0 28-3 * ?', 40, dayOfMonth)).toEqual([1, 2, 3, 28, 29, 30, 31]);
  });

  it('accepts month and weekday names in any case', () => {
    expect(valuesOf('0 0 0 1 jan,Jun,DEC ?', 6, month)).toEqual([1, 6, 12]);
    expect(valuesOf('0 0 0 1 MAR-MAY ?', 6, month)).toEqual([3, 4, 5]);
    expect(valuesOf('0 0 0 ? * mon-fri', 15, weekday)).toEqual([2, 3, 4, 5, 6]);
    expect(valuesOf('0 0 0 ? * SUN,sat', 6, weekday)).toEqual([1, 7]);
  });

  it('uses Quartz day-of-week numbering 1 = SUN … 7 = SAT', () => {
    expect(valuesOf('0 0 0 ? * 1', 5, weekday)).toEqual([1]);
    expect(valuesOf('0 0 0 ? * 2-6', 15, weekday)).toEqual([2, 3, 4, 5, 6]);
    expect(valuesOf('0 0 0 ? * */2', 15, weekday)).toEqual([1, 3, 5, 7]);
  });

  it('parses L, L-n, LW and nW in day-of-month', () => {
    expect(fires('0 0 0 L * ?', '2026-01-15T00:00:00Z', 3)).toEqual([
      '2026-01-31T00:00:00.000Z',
      '2026-02-28T00:00:00.000Z',
      '2026-03-31T00:00:00.000Z',
    ]);
    expect(fires('0 0 0 L-3 * ?', '2026-01-15T00:00:00Z', 3)).toEqual([
      '2026-01-28T00:00:00.000Z',
      '2026-02-25T00:00:00.000Z',
      '2026-03-28T00:00:00.000Z',
    ]);
    expect(fires('0 0 0 LW * ?', '2026-01-01T00:00:00Z', 3)).toEqual([
      '2026-01-30T00:00:00.000Z', // 31st is a Saturday
      '2026-02-27T00:00:00.000Z', // 28th is a Saturday
      '2026-03-31T00:00:00.000Z',
    ]);
    expect(fires('0 0 0 15W * ?', '2026-02-01T00:00:00Z', 2)).toEqual([
      '2026-02-16T00:00:00.000Z', // 15th is a Sunday → Monday
      '2026-03-16T00:00:00.000Z',
    ]);
    expect(fires('0 0 0 1,15,L * ?', '2026-01-31T12:00:00Z', 4)).toEqual([
      '2026-02-01T00:00:00.000Z',
      '2026-02-15T00:00:00.000Z',
      '2026-02-28T00:00:00.000Z',
      '2026-03-01T00:00:00.000Z',
    ]);
  });

  it('parses L, nL and n#k in day-of-week', () => {
    expect(valuesOf('0 0 0 ? * L', 5, weekday)).toEqual([7]);
    const lastFridays = ['2026-05-29T00:00:00.000Z', '2026-06-26T00:00:00.000Z'];
    expect(fires('0 0 0 ? * 6L', '2026-05-01T00:00:00Z', 2)).toEqual(lastFridays);
    expect(fires('0 0 0 ? * FRIL', '2026-05-01T00:00:00Z', 2)).toEqual(lastFridays);
    const thirdFridays = ['2026-05-15T00:00:00.000Z', '2026-06-19T00:00:00.000Z'];
    expect(fires('0 0 0 ? * 6#3', '2026-05-01T00:00:00Z', 2)).toEqual(thirdFridays);
    expect(fires('0 0 * * 5#3', '2026-05-01T00:00:00Z', 2)).toEqual(thirdFridays); // Unix 5 = FRI
    expect(fires('0 0 0 ? * MON#1', '2026-05-01T00:00:00Z', 2)).toEqual([
      '2026-05-04T00:00:00.000Z',
      '2026-06-01T00:00:00.000Z',
    ]);
  });

  it('parses the year field', () => {
    expect(fires('0 0 0 1 1 ? 2030', '2026-01-01T00:00:00Z', 3)).toEqual(['2030-01-01T00:00:00.000Z']);
    expect(valuesOf('0 0 0 1 1 ? 2030-2032', 5, year)).toEqual([2030, 2031, 2032]);
    // 2030/30 is 2030, 2060, 2090; 2120 is past the last year, 2099.
    expect(valuesOf('0 0 0 1 1 ? 2030/30', 5, year)).toEqual([2030, 2060, 2090]);
    expect(valuesOf('0 0 0 1 1 ? *', 3, year)).toEqual([2027, 2028, 2029]);
    expect(fires('0 0 0 1 1 ?', '2098-06-01T00:00:00Z', 3)).toEqual(['2099-01-01T00:00:00.000Z']);
  });

  it('accepts * in both day fields and ? in both (every day)', () => {
    expect(valuesOf('0 0 1 * * *', 31, dayOfMonth)).toEqual(range(1, 31));
    expect(valuesOf('0 0 1 ? * ?', 31, dayOfMonth)).toEqual(range(1, 31));
  });

  it('keeps the trimmed source', () => {
    expect(parseCron('  0 0 1 * * ?  ').source).toBe('0 0 1 * * ?');
  });

  const errors: [string, string][] = [
    ['', 'cron expression is empty'],
    ['* * * *', 'expected 5 fields (minute hour day-of-month month day-of-week) or 6-7 fields (second minute hour day-of-month month day-of-week [year]), got 4'],
    ['0 0 0 * * ? 2030 x', 'expected 5 fields (minute hour day-of-month month day-of-week) or 6-7 fields (second minute hour day-of-month month day-of-week [year]), got 8'],
    ['60 * * * * ?', 'second field: value 60 out of range 0-59'],
    ['0 60 * * * ?', 'minute field: value 60 out of range 0-59'],
    ['0 0 24 * * ?', 'hour field: value 24 out of range 0-23'],
    ['0 0 0 32 * ?', 'day-of-month field: value 32 out of range 1-31'],
    ['0 0 0 0 * ?', 'day-of-month field: value 0 out of range 1-31'],
    ['0 0 0 * 13 ?', 'month field: value 13 out of range 1-12'],
    ['0 0 0 ? * 9', 'day-of-week field: value 9 out of range 1-7'],
    ['0 0 0 ? * 0', 'day-of-week field: value 0 out of range 1-7'],
    ['0 0 * * 8', 'day-of-week field: value 8 out of range 0-7'],
    ['0 0 0 1 1 ? 1969', 'year field: value 1969 out of range 1970-2099'],
    ['0 0 0 1 1 ? 2032-2030', 'year field: range 2032-2030 is reversed'],
    ['abc * * * * ?', 'second field: invalid value "abc" (expected 0-59)'],
    ['0 0 0 1 FOO ?', 'month field: invalid value "FOO" (expected 1-12 or JAN-DEC)'],
    ['0 0 0 ? * FUN', 'day-of-week field: invalid value "FUN" (expected 1-7 or SUN-SAT)'],
    ['*/0 * * * * ?', 'second field: step in "*/0" must be a positive integer'],
    ['0/x * * * * ?', 'second field: step in "0/x" must be a positive integer'],
    ['0/70 * * * * ?', 'second field: step 70 in "0/70" is larger than the range 0-59'],
    ['0 0 ? * * ?', 'hour field: "?" is only allowed in the day-of-month and day-of-week fields'],
    ['0 0 L * * ?', 'hour field: "L" is only allowed in the day-of-month and day-of-week fields'],
    ['0 0 0 * 5W ?', 'month field: "W" is only allowed in the day-of-month field'],
    ['0 0 0 ? * 6W', 'day-of-week field: "W" is only allowed in the day-of-month field'],
    ['0 0 0 1#2 * ?', 'day-of-month field: "#" is only allowed in the day-of-week field'],
    ['0 0 0 1-5W * ?', 'day-of-month field: "W" must follow a single day (1-31) or L, got "1-5W"'],
    ['0 0 0 L-31 * ?', 'day-of-month field: offset in "L-31" must be 0-30'],
    ['0 0 0 ? * 6#6', 'day-of-week field: "#" occurrence must be 1-5, got "6"'],
    ['0 0 0 ? * 6#', 'day-of-week field: "#" occurrence must be 1-5, got ""'],
    ['0 0 0 ? * 8#1', 'day-of-week field: value 8 out of range 1-7'],
    ['0 0 0 1,,2 * ?', 'day-of-month field: empty item in list "1,,2"'],
    ['0 0 0 ?,1 * ?', 'day-of-month field: "?" cannot be combined with other items'],
    ['0 0 0 15 * MON', 'day-of-month and day-of-week cannot both be restricted in a Quartz expression; set one of them to "?"'],
  ];

  it.each(errors)('rejects %j with %j', (expression, message) => {
    let caught: unknown;
    try {
      parseCron(expression);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CronSyntaxError);
    expect((caught as CronSyntaxError).message).toBe(message);
  });

  it('names the offending field on the error', () => {
    expect(() => parseCron('0 0 0 ? * 9')).toThrow(expect.objectContaining({ field: 'day-of-week' }));
    expect(() => parseCron('0 0 0 ? * 9')).toThrow(expect.objectContaining({ expression: '0 0 0 ? * 9' }));
  });

  it('accepts day-of-month and day-of-week both restricted in a Unix expression (either matches)', () => {
    expect(fires('0 0 1,15 * MON', '2026-04-30T12:00:00Z', 4)).toEqual([
      '2026-05-01T00:00:00.000Z',
      '2026-05-04T00:00:00.000Z', // Monday
      '2026-05-11T00:00:00.000Z',
      '2026-05-15T00:00:00.000Z',
    ]);
  });
});

// Quartz's documented behaviour (CronTrigger tutorial, CronExpression javadoc and Quartz's own
// CronExpressionTest.testLastDayOffset), with the dates worked out from those rules.
describe('Quartz documented behaviour', () => {
  it('L-n is n days before the last day (L-2 = the second-to-last day)', () => {
    expect(fires('0 15 10 L-2 * ?', '2026-01-01T00:00:00Z', 3)).toEqual([
      '2026-01-29T10:15:00.000Z',
      '2026-02-26T10:15:00.000Z',
      '2026-03-29T10:15:00.000Z',
    ]);
    expect(cronMatches('0 15 10 L-2 * ? 2010', new Date('2010-10-29T10:15:00Z'), 'UTC')).toBe(true);
    expect(cronMatches('0 15 10 L-2 * ? 2010', new Date('2010-10-28T10:15:00Z'), 'UTC')).toBe(false);
    expect(cronMatches('0 15 10 L-1 * ? 2010', new Date('2010-10-30T10:15:00Z'), 'UTC')).toBe(true);
  });

  it('L-nW is the weekday nearest to the last day minus n: 0 15 10 L-5W * ? 2010', () => {
    // Last day − 5, moved off weekends: Sat → Fri, Sun → Mon.
    expect(fires('0 15 10 L-5W * ? 2010', '2009-12-01T00:00:00Z', 13)).toEqual([
      '2010-01-26T10:15:00.000Z', // 31 − 5 = 26, Tuesday
      '2010-02-23T10:15:00.000Z', // 28 − 5 = 23, Tuesday
      '2010-03-26T10:15:00.000Z', // Friday
      '2010-04-26T10:15:00.000Z', // 30 − 5 = 25 is a Sunday → Monday 26
      '2010-05-26T10:15:00.000Z',
      '2010-06-25T10:15:00.000Z',
      '2010-07-26T10:15:00.000Z',
      '2010-08-26T10:15:00.000Z',
      '2010-09-24T10:15:00.000Z', // 25 is a Saturday → Friday 24
      '2010-10-26T10:15:00.000Z', // Quartz's own test case
      '2010-11-25T10:15:00.000Z',
      '2010-12-27T10:15:00.000Z', // 26 is a Sunday → Monday 27
    ]);
  });

  it('L-1W: the 30th of October 2010 is a Saturday, so the nearest weekday is Friday the 29th', () => {
    expect(fires('0 15 10 L-1W * ? 2010', '2010-10-01T00:00:00Z', 1)).toEqual(['2010-10-29T10:15:00.000Z']);
    expect(cronMatches('0 15 10 L-1W * ? 2010', new Date('2010-10-29T10:15:00Z'), 'UTC')).toBe(true);
    expect(cronMatches('0 15 10 L-1W * ? 2010', new Date('2010-10-30T10:15:00Z'), 'UTC')).toBe(false);
  });

  it('W never leaves the month: a Saturday 1st moves to Monday the 3rd, a Saturday 15th to Friday the 14th', () => {
    // 2026-08-01 and 2026-08-15 are Saturdays.
    expect(fires('0 0 12 1W * ?', '2026-07-31T00:00:00Z', 1)).toEqual(['2026-08-03T12:00:00.000Z']);
    expect(fires('0 0 12 15W * ?', '2026-08-01T00:00:00Z', 1)).toEqual(['2026-08-14T12:00:00.000Z']);
    // L-30W in August 2026: 31 − 30 = the 1st, a Saturday → Monday the 3rd (not July 31st).
    expect(fires('0 0 12 L-30W 8 ?', '2026-07-01T00:00:00Z', 1)).toEqual(['2026-08-03T12:00:00.000Z']);
  });

  it('LW is the last weekday of the month, also inside a list', () => {
    expect(fires('0 0 12 1,LW * ?', '2026-01-01T00:00:00Z', 3)).toEqual([
      '2026-01-01T12:00:00.000Z',
      '2026-01-30T12:00:00.000Z', // the 31st is a Saturday
      '2026-02-01T12:00:00.000Z',
    ]);
  });

  it('day-of-week: L alone is Saturday, 6L the last Friday, 6#3 the third Friday, #5 skips short months', () => {
    expect(fires('0 15 10 ? * L', '2026-05-01T00:00:00Z', 1)).toEqual(['2026-05-02T10:15:00.000Z']);
    expect(fires('0 15 10 ? * 6L 2002-2005', '2005-11-01T00:00:00Z', 3)).toEqual([
      '2005-11-25T10:15:00.000Z',
      '2005-12-30T10:15:00.000Z',
    ]);
    expect(fires('0 15 10 ? * 6#3', '2026-01-01T00:00:00Z', 2)).toEqual([
      '2026-01-16T10:15:00.000Z',
      '2026-02-20T10:15:00.000Z',
    ]);
    // The fifth Wednesday: 2026 has one in April, July, September and December.
    expect(valuesOf('0 0 0 ? * 4#5', 4, month)).toEqual([4, 7, 9, 12]);
  });

  it('the tutorial examples', () => {
    expect(valuesOf('0 0 12 1/5 * ?', 14, dayOfMonth)).toEqual([1, 6, 11, 16, 21, 26, 31]);
    expect(fires('0 11 11 11 11 ?', '2026-01-01T00:00:00Z', 2)).toEqual([
      '2026-11-11T11:11:00.000Z',
      '2027-11-11T11:11:00.000Z',
    ]);
    expect(fires('0 10,44 14 ? 3 WED', '2027-01-01T00:00:00Z', 3)).toEqual([
      '2027-03-03T14:10:00.000Z',
      '2027-03-03T14:44:00.000Z',
      '2027-03-10T14:10:00.000Z',
    ]);
    expect(valuesOf('0 0/5 14,18 * * ?', 30, minute)).toEqual(range(0, 55, 5));
    expect(valuesOf('0 0-5 14 * * ?', 6, minute)).toEqual(range(0, 5));
    expect(fires('0 15 10 * * ? 2005', '2005-12-31T00:00:00Z', 2)).toEqual(['2005-12-31T10:15:00.000Z']);
  });
});

describe('last-day offsets computed beside croner', () => {
  it.each(['0 0 12 L-3 * ?', '0 15 10 L-5W * ?', '0 0 12 1,LW * ?', '0 0 12 L-1W,15 * ?', '0 */20 9 L-2 * ?', '0 0 L-3 * MON'])(
    '%s: every fire matches, and prevCronFire walks the same fires back',
    (expr) => {
      const list = nextCronFires(expr, new Date('2026-01-01T00:00:00Z'), 40, 'Europe/Berlin');
      expect(list).toHaveLength(40);
      for (const d of list) expect(cronMatches(expr, d, 'Europe/Berlin')).toBe(true);
      for (let i = list.length - 1; i > 0; i--) {
        expect(prevCronFire(expr, list[i] as Date, 'Europe/Berlin')).toEqual(list[i - 1]);
      }
    },
  );

  it('Unix: a last-day offset or the weekday (either matches)', () => {
    expect(fires('0 0 L-3 * MON', '2026-05-20T00:00:00Z', 4)).toEqual([
      '2026-05-25T00:00:00.000Z', // Monday
      '2026-05-28T00:00:00.000Z', // 31 − 3
      '2026-06-01T00:00:00.000Z', // Monday
      '2026-06-08T00:00:00.000Z',
    ]);
  });
});

// What croner (the library under parseCron) does with the same text on its own, and why the
// adapter in cron-expression.ts steps in. If a croner upgrade changes one of these, the adapter
// step for it may become unnecessary.
describe('croner alone', () => {
  const croner = (pattern: string, quartz = true): Cron =>
    new Cron(pattern, { utcOffset: 0, paused: true, alternativeWeekdays: quartz });

  it('refuses L-n, L-nW and LW inside a list: the adapter computes those days itself', () => {
    expect(() => croner('0 15 10 L-5W * ? 2010')).toThrow('L has to be a value of its own');
    expect(() => croner('0 15 10 L-2 * ?')).toThrow('L has to be a value of its own');
    expect(() => croner('0 0 12 1,LW * ?')).toThrow('LW can not be in a list');
  });

  it('refuses wrap-around ranges, which Quartz accepts: the adapter writes them as lists', () => {
    expect(() => croner('0 0 22-2 * * ?')).toThrow('From value is larger than to value');
    expect(() => croner('0 0 0 ? * FRI-MON')).toThrow('From value is larger than to value');
  });

  it('refuses "L" alone in day-of-week (Quartz: Saturday) and "5/20" without sloppyRanges', () => {
    expect(() => croner('0 0 12 ? * L')).toThrow('not a number');
    expect(() => croner('5/20 * * * * ?')).toThrow('stepping with numeric prefix');
  });

  it('accepts what Quartz refuses: the adapter checks those rules', () => {
    expect(croner('0 0 ? * * ?').nextRuns(2, new Date('2026-01-01T00:00:00Z')).map((d) => d.toISOString())).toEqual([
      '2026-01-01T01:00:00.000Z', // "?" read as "*" in the hour field
      '2026-01-01T02:00:00.000Z',
    ]);
    expect(() => croner('0 0 0 15 * MON')).not.toThrow(); // both day fields restricted
    expect(() => croner('0 0 0 ? * 8#1')).not.toThrow(); // weekday 8
    expect(() => croner('0 0 0 1 1 ? 2100')).not.toThrow(); // Quartz years end at 2099
    expect(() => parseCron('0 0 ? * * ?')).toThrow(CronSyntaxError);
    expect(() => parseCron('0 0 0 1 1 ? 2100')).toThrow('year field: value 2100 out of range 1970-2099');
  });

  it('counts days from 0 in its messages: the adapter names the field and the value as written', () => {
    expect(() => croner('0 0 0 32 * ?')).toThrow('Invalid value for day: 31');
    expect(() => parseCron('0 0 0 32 * ?')).toThrow('day-of-month field: value 32 out of range 1-31');
  });
});
