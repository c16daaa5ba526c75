import { Cron } from 'croner';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { cronMatches, nextCronFire, nextCronFires, prevCronFire } from './cron-fire';

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());
const next = (expr: string, after: string, tz = 'UTC'): string | null => iso(nextCronFire(expr, new Date(after), tz));
const fires = (expr: string, after: string, n: number, tz = 'UTC'): string[] =>
  nextCronFires(expr, new Date(after), n, tz).map((d) => d.toISOString());

describe('nextCronFire', () => {
  const table: [string, string, string, string | null][] = [
    // expression, time zone, after, expected
    ['0 0 1 * * ?', 'Asia/Ho_Chi_Minh', '2026-01-01T00:00:00Z', '2026-01-01T18:00:00.000Z'],
    ['0 0 1 * * *', 'Asia/Ho_Chi_Minh', '2026-01-01T18:00:00Z', '2026-01-02T18:00:00.000Z'],
    ['0 */15 * * * ?', 'UTC', '2026-05-05T10:07:30Z', '2026-05-05T10:15:00.000Z'],
    ['*/5 * * * *', 'UTC', '2026-05-05T10:07:30Z', '2026-05-05T10:10:00.000Z'],
    ['30 9 * * 1-5', 'UTC', '2026-05-08T10:00:00Z', '2026-05-11T09:30:00.000Z'],
    ['0 30 9 ? * MON-FRI', 'UTC', '2026-05-08T10:00:00Z', '2026-05-11T09:30:00.000Z'],
    ['0 0 12 L * ?', 'UTC', '2026-02-10T00:00:00Z', '2026-02-28T12:00:00.000Z'],
    ['0 0 12 L * ?', 'UTC', '2028-02-10T00:00:00Z', '2028-02-29T12:00:00.000Z'],
    ['0 0 12 L-3 * ?', 'UTC', '2026-02-10T00:00:00Z', '2026-02-25T12:00:00.000Z'],
    ['0 0 12 LW * ?', 'UTC', '2026-05-01T00:00:00Z', '2026-05-29T12:00:00.000Z'],
    ['0 0 12 1W * ?', 'UTC', '2026-08-01T13:00:00Z', '2026-08-03T12:00:00.000Z'],
    ['0 0 9 15W * ?', 'UTC', '2026-03-01T00:00:00Z', '2026-03-16T09:00:00.000Z'],
    ['0 0 9 15W * ?', 'UTC', '2026-05-01T00:00:00Z', '2026-05-15T09:00:00.000Z'],
    ['0 0 0 31W * ?', 'UTC', '2026-04-01T00:00:00Z', '2026-05-29T00:00:00.000Z'],
    ['0 0 12 ? * 6L', 'UTC', '2026-05-01T00:00:00Z', '2026-05-29T12:00:00.000Z'],
    ['0 0 12 ? * 6#3', 'UTC', '2026-05-01T00:00:00Z', '2026-05-15T12:00:00.000Z'],
    ['0 0 12 ? * 2#5', 'UTC', '2026-01-01T00:00:00Z', '2026-03-30T12:00:00.000Z'],
    ['0 0 12 ? * L', 'UTC', '2026-05-01T00:00:00Z', '2026-05-02T12:00:00.000Z'],
    ['0 0 0 1 1 ? 2030', 'UTC', '2026-06-01T00:00:00Z', '2030-01-01T00:00:00.000Z'],
    ['0 0 0 1 1 ? 2020', 'UTC', '2026-06-01T00:00:00Z', null],
    ['0 15 10 ? * 6L 2026', 'UTC', '2026-11-30T00:00:00Z', '2026-12-25T10:15:00.000Z'],
    ['0 15 10 ? * 6L 2026', 'UTC', '2026-12-26T00:00:00Z', null],
    ['0 0 0 29 2 ?', 'UTC', '2026-03-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['0 0 0 30 2 ?', 'UTC', '2026-03-01T00:00:00Z', null],
    ['0 0 1,15 * MON', 'UTC', '2026-05-02T00:00:00Z', '2026-05-04T00:00:00.000Z'],
    ['0 0 1,15 * MON', 'UTC', '2026-05-11T00:00:00Z', '2026-05-15T00:00:00.000Z'],
    ['59 59 23 31 12 ?', 'UTC', '2026-06-01T00:00:00Z', '2026-12-31T23:59:59.000Z'],
    ['* * * * * ?', 'UTC', '2026-01-01T00:00:00.500Z', '2026-01-01T00:00:01.000Z'],
    ['* * * * * ?', 'UTC', '2026-01-01T00:00:01.000Z', '2026-01-01T00:00:02.000Z'],
    ['0 0 0 * * ?', 'UTC', '2026-12-31T12:00:00Z', '2027-01-01T00:00:00.000Z'],
    ['0 0 0 ? * SUN', 'America/New_York', '2026-05-01T00:00:00Z', '2026-05-03T04:00:00.000Z'],
    ['0 0 22-2 * * ?', 'UTC', '2026-05-01T02:30:00Z', '2026-05-01T22:00:00.000Z'],
    // Asia/Kolkata is UTC+5:30: 05:30 local is 00:00Z — equal to `after`, so the next is a day later.
    ['0 30 5 * * ?', 'Asia/Kolkata', '2026-05-01T00:00:00Z', '2026-05-02T00:00:00.000Z'],
  ];

  it.each(table)('%s in %s after %s → %s', (expr, tz, after, expected) => {
    expect(next(expr, after, tz)).toBe(expected);
  });

  it('returns a time strictly after `after`', () => {
    expect(next('0 0 12 * * ?', '2026-05-01T12:00:00Z')).toBe('2026-05-02T12:00:00.000Z');
  });

  it('accepts a parsed expression and defaults to Asia/Ho_Chi_Minh', () => {
    expect(iso(nextCronFire('0 0 1 * * ?', new Date('2026-01-01T00:00:00Z')))).toBe('2026-01-01T18:00:00.000Z');
  });

  it('throws for an unknown time zone and an invalid date', () => {
    expect(() => nextCronFire('0 0 1 * * ?', new Date(), 'Mars/Base')).toThrow('unknown time zone "Mars/Base"');
    expect(() => nextCronFire('0 0 1 * * ?', new Date('nope'), 'UTC')).toThrow('after must be a valid Date');
  });

  it('jumps field by field instead of scanning (far and never-matching expressions are fast)', () => {
    const started = Date.now();
    expect(next('0 0 0 29 2 ? 2096', '2026-01-01T00:00:00Z')).toBe('2096-02-29T00:00:00.000Z');
    expect(next('0 0 0 30 2 ?', '2026-01-01T00:00:00Z')).toBeNull();
    expect(next('0 0 0 31 4,6,9,11 ?', '2026-01-01T00:00:00Z')).toBeNull();
    let cursor = new Date('2026-01-01T00:00:00Z');
    for (let i = 0; i < 5000; i++) cursor = nextCronFire('*/7 * * * * ?', cursor, 'Europe/Berlin') as Date;
    // 9 fires a minute (0, 7, … 56): fire 5000 is the 5th of minute 555.
    expect(cursor.toISOString()).toBe('2026-01-01T09:15:35.000Z');
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('DST', () => {
  describe('Europe/Berlin spring forward (2026-03-29, 02:00-02:59 does not exist)', () => {
    it('skips a daily fire whose local time does not exist that day', () => {
      expect(fires('0 30 2 * * ?', '2026-03-27T12:00:00Z', 3, 'Europe/Berlin')).toEqual([
        '2026-03-28T01:30:00.000Z', // 02:30 CET
        '2026-03-30T00:30:00.000Z', // 02:30 CEST — nothing on the 29th
        '2026-03-31T00:30:00.000Z',
      ]);
    });

    it('continues every 30 minutes after the gap', () => {
      expect(fires('0 0/30 * * * ?', '2026-03-29T00:00:00Z', 4, 'Europe/Berlin')).toEqual([
        '2026-03-29T00:30:00.000Z', // 01:30 CET
        '2026-03-29T01:00:00.000Z', // 03:00 CEST (02:00 and 02:30 skipped)
        '2026-03-29T01:30:00.000Z',
        '2026-03-29T02:00:00.000Z',
      ]);
    });

    it('fires hourly without the missing hour', () => {
      expect(fires('0 0 * * * ?', '2026-03-28T23:30:00Z', 3, 'Europe/Berlin')).toEqual([
        '2026-03-29T00:00:00.000Z', // 01:00 CET
        '2026-03-29T01:00:00.000Z', // 03:00 CEST
        '2026-03-29T02:00:00.000Z',
      ]);
    });
  });

  describe('Europe/Berlin fall back (2026-10-25, 02:00-02:59 repeats)', () => {
    it('fires a repeated local time once, at its first occurrence', () => {
      expect(fires('0 30 2 * * ?', '2026-10-24T12:00:00Z', 2, 'Europe/Berlin')).toEqual([
        '2026-10-25T00:30:00.000Z', // 02:30 CEST; 02:30 CET (01:30Z) does not fire
        '2026-10-26T01:30:00.000Z', // 02:30 CET
      ]);
    });

    it('does not fire the repeated half hours a second time', () => {
      expect(fires('0 0/30 * * * ?', '2026-10-24T23:45:00Z', 4, 'Europe/Berlin')).toEqual([
        '2026-10-25T00:00:00.000Z', // 02:00 CEST
        '2026-10-25T00:30:00.000Z', // 02:30 CEST
        '2026-10-25T02:00:00.000Z', // 03:00 CET (02:00/02:30 CET skipped)
        '2026-10-25T02:30:00.000Z',
      ]);
    });

    it('from inside the second pass of the repeated hour, goes on after it', () => {
      expect(next('0 0/30 * * * ?', '2026-10-25T01:10:00Z', 'Europe/Berlin')).toBe('2026-10-25T02:00:00.000Z');
      expect(next('0 30 2 * * ?', '2026-10-25T01:10:00Z', 'Europe/Berlin')).toBe('2026-10-26T01:30:00.000Z');
    });

    it('from inside the first pass, fires the rest of the first pass', () => {
      expect(next('0 0/30 * * * ?', '2026-10-25T00:10:00Z', 'Europe/Berlin')).toBe('2026-10-25T00:30:00.000Z');
    });
  });

  it('America/New_York fall back fires 01:30 once (EDT)', () => {
    expect(fires('0 30 1 * * ?', '2026-10-31T12:00:00Z', 2, 'America/New_York')).toEqual([
      '2026-11-01T05:30:00.000Z',
      '2026-11-02T06:30:00.000Z',
    ]);
  });

  it('Australia/Lord_Howe 30-minute shift skips 02:15 on 2026-10-04', () => {
    expect(fires('0 15 2 * * ?', '2026-10-02T00:00:00Z', 2, 'Australia/Lord_Howe')).toEqual([
      '2026-10-02T15:45:00.000Z', // 02:15 +10:30 on the 3rd
      '2026-10-04T15:15:00.000Z', // 02:15 +11:00 on the 5th
    ]);
  });
});

// croner has a time-zone mode of its own, but with Vixie cron's DST rules, not ours: a fixed-time
// job skipped by spring-forward runs at the end of the gap, and an interval job runs twice in a
// repeated hour. So croner only matches wall-clock values (at offset 0) and cron-fire.ts maps
// them to instants with the rule above. These cases show the difference.
describe("croner's own time-zone mode (not used)", () => {
  const inBerlin = (pattern: string): Cron => new Cron(pattern, { timezone: 'Europe/Berlin', paused: true });

  it('fires 02:30 at 03:00 on the spring-forward day; nextCronFire skips that day', () => {
    const croner = inBerlin('0 30 2 * * *').nextRuns(2, new Date('2026-03-27T12:00:00Z')).map((d) => d.toISOString());
    expect(croner).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z']);
    expect(fires('0 30 2 * * ?', '2026-03-27T12:00:00Z', 2, 'Europe/Berlin')).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-30T00:30:00.000Z',
    ]);
  });

  it('fires the repeated half hours twice on the fall-back day; nextCronFire fires them once', () => {
    const croner = inBerlin('0 */30 * * * *').nextRuns(4, new Date('2026-10-24T23:45:00Z')).map((d) => d.toISOString());
    expect(croner).toEqual([
      '2026-10-25T00:00:00.000Z', // 02:00 CEST
      '2026-10-25T00:30:00.000Z', // 02:30 CEST
      '2026-10-25T01:00:00.000Z', // 02:00 CET again
      '2026-10-25T01:30:00.000Z', // 02:30 CET again
    ]);
    expect(fires('0 */30 * * * ?', '2026-10-24T23:45:00Z', 3, 'Europe/Berlin')).toEqual([
      '2026-10-25T00:00:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T02:00:00.000Z', // 03:00 CET
    ]);
  });
});

describe('prevCronFire', () => {
  it('finds the last fire strictly before', () => {
    expect(iso(prevCronFire('0 0 12 * * ?', new Date('2026-05-02T12:00:00Z'), 'UTC'))).toBe('2026-05-01T12:00:00.000Z');
    expect(iso(prevCronFire('0 0 12 * * ?', new Date('2026-05-02T12:00:00.001Z'), 'UTC'))).toBe('2026-05-02T12:00:00.000Z');
    expect(iso(prevCronFire('0 0 12 L * ?', new Date('2026-03-15T00:00:00Z'), 'UTC'))).toBe('2026-02-28T12:00:00.000Z');
  });

  it('skips nonexistent local times and counts repeated ones at their first occurrence', () => {
    expect(iso(prevCronFire('0 30 2 * * ?', new Date('2026-03-30T00:30:00Z'), 'Europe/Berlin'))).toBe(
      '2026-03-28T01:30:00.000Z',
    );
    expect(iso(prevCronFire('0 0/30 * * * ?', new Date('2026-10-25T01:15:00Z'), 'Europe/Berlin'))).toBe(
      '2026-10-25T00:30:00.000Z',
    );
    expect(iso(prevCronFire('0 0/30 * * * ?', new Date('2026-10-25T02:00:00.001Z'), 'Europe/Berlin'))).toBe(
      '2026-10-25T02:00:00.000Z',
    );
  });

  it('returns null before the first fire', () => {
    expect(prevCronFire('0 0 0 1 1 ? 2030', new Date('2029-01-01T00:00:00Z'), 'UTC')).toBeNull();
  });
});

describe('cronMatches', () => {
  it('matches fire times only', () => {
    expect(cronMatches('0 30 2 * * ?', new Date('2026-10-25T00:30:00Z'), 'Europe/Berlin')).toBe(true);
    expect(cronMatches('0 30 2 * * ?', new Date('2026-10-25T01:30:00Z'), 'Europe/Berlin')).toBe(false); // second pass
    expect(cronMatches('0 30 2 * * ?', new Date('2026-10-25T00:30:00.001Z'), 'Europe/Berlin')).toBe(false);
    expect(cronMatches('0 0 1 * * ?', new Date('2026-01-01T18:00:00Z'), 'Asia/Ho_Chi_Minh')).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Property: for random valid expressions, the next fire is after `after`, matches the expression
// (checked independently with luxon against the generated field sets), and no instant between
// them matches (brute force, minute by minute, over a bounded window).
// ---------------------------------------------------------------------------------------------

interface FieldSpec {
  text: string;
  values: number[];
}

const span = (a: number, b: number, step = 1): number[] => {
  const out: number[] = [];
  for (let v = a; v <= b; v += step) out.push(v);
  return out;
};

function fieldArb(min: number, max: number, star: number): fc.Arbitrary<FieldSpec> {
  return fc.oneof(
    { weight: star, arbitrary: fc.constant({ text: '*', values: span(min, max) }) },
    { weight: 2, arbitrary: fc.integer({ min, max }).map((v) => ({ text: String(v), values: [v] })) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.integer({ min, max }), fc.integer({ min, max }))
        .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const)
        .map(([a, b]) => ({ text: `${a}-${b}`, values: span(a, b) })),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.integer({ min, max }), fc.integer({ min: 1, max: Math.max(1, Math.floor((max - min) / 2)) }))
        .map(([a, step]) => ({ text: `${a}/${step}`, values: span(a, max, step) })),
    },
    {
      weight: 2,
      arbitrary: fc
        .uniqueArray(fc.integer({ min, max }), { minLength: 1, maxLength: 4 })
        .map((vs) => ({ text: vs.join(','), values: [...vs].sort((x, y) => x - y) })),
    },
  );
}

interface Generated {
  expression: string;
  seconds: number[];
  minutes: number[];
  hours: number[];
  dom: number[] | null;
  months: number[];
  dow: number[] | null; // Quartz numbering
}

const secondsArb = fc.constantFrom<FieldSpec>(
  { text: '0', values: [0] },
  { text: '0,30', values: [0, 30] },
  { text: '15', values: [15] },
);

const expressionArb: fc.Arbitrary<Generated> = fc
  .record({
    seconds: secondsArb,
    minutes: fieldArb(0, 59, 3),
    hours: fieldArb(0, 23, 4),
    dom: fieldArb(1, 31, 4),
    months: fieldArb(1, 12, 6),
    dow: fieldArb(1, 7, 4),
    which: fc.constantFrom('dom', 'dow'),
  })
  .map(({ seconds, minutes, hours, dom, months, dow, which }) => {
    const domText = which === 'dom' ? dom.text : '?';
    const dowText = which === 'dow' ? dow.text : '?';
    return {
      expression: `${seconds.text} ${minutes.text} ${hours.text} ${domText} ${months.text} ${dowText}`,
      seconds: seconds.values,
      minutes: minutes.values,
      hours: hours.values,
      dom: which === 'dom' ? dom.values : null,
      months: months.values,
      dow: which === 'dow' ? dow.values : null,
    };
  });

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Ho_Chi_Minh', 'Australia/Lord_Howe', 'America/Sao_Paulo', 'Asia/Kolkata'];
const DST_INSTANTS = [
  '2026-03-29T01:00:00Z', // Berlin spring
  '2026-10-25T01:00:00Z', // Berlin fall
  '2026-03-08T07:00:00Z', // New York spring
  '2026-11-01T06:00:00Z', // New York fall
  '2026-10-03T15:30:00Z', // Lord Howe spring
  '2026-04-04T15:00:00Z', // Lord Howe fall
].map((s) => Date.parse(s));

const afterArb = fc.oneof(
  fc.integer({ min: Date.parse('2025-01-01T00:00:00Z'), max: Date.parse('2028-01-01T00:00:00Z') }),
  fc.tuple(fc.constantFrom(...DST_INSTANTS), fc.integer({ min: -36 * 3600, max: 36 * 3600 })).map(([t, s]) => t + s * 1000),
);

/** Independent matcher: local fields from luxon, plus "first occurrence of this local time". */
function independentlyMatches(g: Generated, ms: number, zone: string): boolean {
  if (ms % 1000 !== 0) return false;
  const local = DateTime.fromMillis(ms, { zone });
  const quartzDow = (local.weekday % 7) + 1;
  const dayOk = g.dom !== null ? g.dom.includes(local.day) : g.dow !== null ? g.dow.includes(quartzDow) : true;
  const fieldsOk =
    g.seconds.includes(local.second) &&
    g.minutes.includes(local.minute) &&
    g.hours.includes(local.hour) &&
    g.months.includes(local.month) &&
    dayOk;
  if (!fieldsOk) return false;
  // A second occurrence of a repeated local time is not a fire.
  for (let k = 1; k <= 8; k++) {
    const earlier = DateTime.fromMillis(ms - k * 15 * 60_000, { zone });
    if (earlier.toFormat('yyyy-MM-dd HH:mm:ss') === local.toFormat('yyyy-MM-dd HH:mm:ss')) return false;
  }
  return true;
}

describe('nextCronFire properties', () => {
  it('the next fire is after `after`, matches, and nothing in between matches', () => {
    fc.assert(
      fc.property(expressionArb, fc.constantFrom(...ZONES), afterArb, (g, zone, after) => {
        const result = nextCronFire(g.expression, new Date(after), zone);
        const nextMs = result === null ? Number.POSITIVE_INFINITY : result.getTime();
        if (result !== null) {
          expect(nextMs).toBeGreaterThan(after);
          expect(independentlyMatches(g, nextMs, zone)).toBe(true);
          expect(cronMatches(g.expression, result, zone)).toBe(true);
          // The reverse walk agrees: the fire before `next` is not after `after`.
          const prev = prevCronFire(g.expression, result, zone);
          if (prev !== null) expect(prev.getTime()).toBeLessThanOrEqual(after);
        }
        // Brute force over at most 30 hours after `after`.
        const end = Math.min(nextMs, after + 30 * 3600_000);
        const firstMinute = Math.floor(after / 60_000) * 60_000;
        for (let minute = firstMinute; minute < end; minute += 60_000) {
          for (const s of g.seconds) {
            const t = minute + s * 1000;
            if (t > after && t < end && independentlyMatches(g, t, zone)) {
              throw new Error(`${g.expression} in ${zone}: ${new Date(t).toISOString()} matches before ${String(result?.toISOString())}`);
            }
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('around DST transitions, every-day expressions fire exactly at the matching first occurrences', () => {
    const dailyArb: fc.Arbitrary<Generated> = fc
      .record({ seconds: secondsArb, minutes: fieldArb(0, 59, 3), hours: fieldArb(0, 23, 2) })
      .map(({ seconds, minutes, hours }) => ({
        expression: `${seconds.text} ${minutes.text} ${hours.text} * * ?`,
        seconds: seconds.values,
        minutes: minutes.values,
        hours: hours.values,
        dom: null,
        months: span(1, 12),
        dow: null,
      }));
    const nearDst = fc
      .tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: -6 * 3600, max: 2 * 3600 }))
      .map(([i, s]) => ({ zone: ['Europe/Berlin', 'Europe/Berlin', 'America/New_York', 'America/New_York', 'Australia/Lord_Howe', 'Australia/Lord_Howe'][i] as string, after: (DST_INSTANTS[i] as number) + s * 1000 }));
    fc.assert(
      fc.property(dailyArb, nearDst, (g, { zone, after }) => {
        const got = nextCronFires(g.expression, new Date(after), 3, zone).map((d) => d.getTime());
        // Expected by brute force: the first 3 matching instants within 3 days.
        const expected: number[] = [];
        const firstMinute = Math.floor(after / 60_000) * 60_000;
        for (let minute = firstMinute; expected.length < 3 && minute < after + 3 * 86_400_000; minute += 60_000) {
          for (const s of g.seconds) {
            const t = minute + s * 1000;
            if (t > after && independentlyMatches(g, t, zone) && expected.length < 3) expected.push(t);
          }
        }
        expect(got.slice(0, expected.length)).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });

  it('prevCronFire returns a matching time before `before` with no match in between', () => {
    fc.assert(
      fc.property(expressionArb, fc.constantFrom(...ZONES), afterArb, (g, zone, before) => {
        const prev = prevCronFire(g.expression, new Date(before), zone);
        if (prev === null) return;
        expect(prev.getTime()).toBeLessThan(before);
        expect(independentlyMatches(g, prev.getTime(), zone)).toBe(true);
        const following = nextCronFire(g.expression, prev, zone);
        expect(following === null || following.getTime() >= before).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
