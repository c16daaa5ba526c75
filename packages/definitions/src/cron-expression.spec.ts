import { parseCron } from './cron-expression';
import { CronSyntaxError } from './schedule.errors';

const range = (a: number, b: number, step = 1): number[] => {
  const out: number[] = [];
  for (let v = a; v <= b; v += step) out.push(v);
  return out;
};

describe('parseCron', () => {
  it('parses a Quartz expression with seconds', () => {
    const c = parseCron('0 0 1 * * ?');
    expect(c.format).toBe('quartz');
    expect(c.seconds).toEqual([0]);
    expect(c.minutes).toEqual([0]);
    expect(c.hours).toEqual([1]);
    expect(c.dayOfMonth.any).toBe(true);
    expect(c.dayOfWeek.any).toBe(true);
    expect(c.months).toEqual(range(1, 12));
    expect(c.years).toBeNull();
  });

  it('detects the format by the number of fields', () => {
    expect(parseCron('*/5 * * * *').format).toBe('unix');
    expect(parseCron('0 */5 * * * ?').format).toBe('quartz');
    expect(parseCron('0 0 12 * * ? 2030').format).toBe('quartz');
  });

  it('gives a five-field Unix expression second 0', () => {
    const c = parseCron('30 9 * * 1-5');
    expect(c.seconds).toEqual([0]);
    expect(c.minutes).toEqual([30]);
    expect(c.hours).toEqual([9]);
    expect(c.dayOfWeek.days).toEqual([2, 3, 4, 5, 6]); // MON-FRI in Quartz numbering
  });

  it('maps Unix day-of-week 0 and 7 to Sunday', () => {
    expect(parseCron('0 0 * * 0').dayOfWeek.days).toEqual([1]);
    expect(parseCron('0 0 * * 7').dayOfWeek.days).toEqual([1]);
    expect(parseCron('0 0 * * 0,6').dayOfWeek.days).toEqual([1, 7]);
    expect(parseCron('0 0 * * SUN').dayOfWeek.days).toEqual([1]);
  });

  it('accepts lists, ranges and steps', () => {
    expect(parseCron('1,2,30 * * * * ?').seconds).toEqual([1, 2, 30]);
    expect(parseCron('0 10-15 * * * ?').minutes).toEqual([10, 11, 12, 13, 14, 15]);
    expect(parseCron('0/15 * * * * ?').seconds).toEqual([0, 15, 30, 45]);
    expect(parseCron('5/20 * * * * ?').seconds).toEqual([5, 25, 45]);
    expect(parseCron('0 0 */2 * * ?').hours).toEqual(range(0, 22, 2));
    expect(parseCron('0 10-40/5 * * * ?').minutes).toEqual([10, 15, 20, 25, 30, 35, 40]);
    expect(parseCron('0 0 1-3,10-12/2,20 * * ?').hours).toEqual([1, 2, 3, 10, 12, 20]);
    expect(parseCron('0 0 0 1/10 * ?').dayOfMonth.days).toEqual([1, 11, 21, 31]);
  });

  it('wraps a range whose start is after its end', () => {
    expect(parseCron('0 0 22-2 * * ?').hours).toEqual([0, 1, 2, 22, 23]);
    expect(parseCron('0 0 0 ? * FRI-MON').dayOfWeek.days).toEqual([1, 2, 6, 7]);
    expect(parseCron('0 0 0 1 NOV-FEB ?').months).toEqual([1, 2, 11, 12]);
    expect(parseCron('0 0 22-4/2 * * ?').hours).toEqual([0, 2, 4, 22]);
  });

  it('accepts month and weekday names in any case', () => {
    expect(parseCron('0 0 0 1 jan,Jun,DEC ?').months).toEqual([1, 6, 12]);
    expect(parseCron('0 0 0 1 MAR-MAY ?').months).toEqual([3, 4, 5]);
    expect(parseCron('0 0 0 ? * mon-fri').dayOfWeek.days).toEqual([2, 3, 4, 5, 6]);
    expect(parseCron('0 0 0 ? * SUN,sat').dayOfWeek.days).toEqual([1, 7]);
  });

  it('uses Quartz day-of-week numbering 1 = SUN … 7 = SAT', () => {
    expect(parseCron('0 0 0 ? * 1').dayOfWeek.days).toEqual([1]);
    expect(parseCron('0 0 0 ? * 2-6').dayOfWeek.days).toEqual([2, 3, 4, 5, 6]);
  });

  it('parses L, L-n, LW and nW in day-of-month', () => {
    expect(parseCron('0 0 0 L * ?').dayOfMonth.last).toBe(true);
    expect(parseCron('0 0 0 L-3 * ?').dayOfMonth.lastOffsets).toEqual([3]);
    expect(parseCron('0 0 0 LW * ?').dayOfMonth.lastWeekday).toBe(true);
    expect(parseCron('0 0 0 15W * ?').dayOfMonth.nearestWeekdays).toEqual([15]);
    const mixed = parseCron('0 0 0 1,15,L * ?').dayOfMonth;
    expect(mixed.days).toEqual([1, 15]);
    expect(mixed.last).toBe(true);
  });

  it('parses L, nL and n#k in day-of-week', () => {
    expect(parseCron('0 0 0 ? * L').dayOfWeek.days).toEqual([7]);
    expect(parseCron('0 0 0 ? * 6L').dayOfWeek.lastOf).toEqual([6]);
    expect(parseCron('0 0 0 ? * FRIL').dayOfWeek.lastOf).toEqual([6]);
    expect(parseCron('0 0 0 ? * 6#3').dayOfWeek.nth).toEqual([{ day: 6, nth: 3 }]);
    expect(parseCron('0 0 0 ? * MON#1').dayOfWeek.nth).toEqual([{ day: 2, nth: 1 }]);
    expect(parseCron('0 0 * * 5#3').dayOfWeek.nth).toEqual([{ day: 6, nth: 3 }]); // Unix 5 = FRI
  });

  it('parses the year field', () => {
    expect(parseCron('0 0 0 1 1 ? 2030').years).toEqual([2030]);
    expect(parseCron('0 0 0 1 1 ? 2030-2032').years).toEqual([2030, 2031, 2032]);
    expect(parseCron('0 0 0 1 1 ? 2030/30').years).toEqual([2030, 2060, 2090]);
    expect(parseCron('0 0 0 1 1 ? *').years).toBeNull();
  });

  it('accepts * in both day fields and ? in both (every day)', () => {
    const star = parseCron('0 0 1 * * *');
    expect(star.dayOfMonth.any && star.dayOfWeek.any).toBe(true);
    const question = parseCron('0 0 1 ? * ?');
    expect(question.dayOfMonth.any && question.dayOfWeek.any).toBe(true);
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

  it('accepts day-of-month and day-of-week both restricted in a Unix expression', () => {
    const c = parseCron('0 0 1,15 * MON');
    expect(c.dayOfMonth.days).toEqual([1, 15]);
    expect(c.dayOfWeek.days).toEqual([2]);
  });
});
