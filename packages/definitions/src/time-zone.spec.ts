import { isValidTimeZone, ZoneClock } from './time-zone';

describe('isValidTimeZone', () => {
  it.each(['Asia/Ho_Chi_Minh', 'Europe/Berlin', 'UTC', 'Etc/GMT-7', 'America/Argentina/Buenos_Aires'])('accepts %s', (tz) => {
    expect(isValidTimeZone(tz)).toBe(true);
  });
  it.each(['Mars/Base', '', ' UTC', '+07:00', '-05', 'Asia/Hanoi_City', 42, null])('rejects %j', (tz) => {
    expect(isValidTimeZone(tz)).toBe(false);
  });
});

describe('ZoneClock', () => {
  const berlin = ZoneClock.of('Europe/Berlin');
  const wall = (s: string): number => Date.parse(`${s}Z`);

  it('maps a normal local time to one instant', () => {
    expect(berlin.toInstants(wall('2026-06-01T12:00:00'))).toEqual([Date.parse('2026-06-01T10:00:00Z')]);
  });

  it('maps a local time in the spring-forward gap to none, and finds the gap edges', () => {
    const inGap = wall('2026-03-29T02:30:00');
    expect(berlin.toInstants(inGap)).toEqual([]);
    expect(berlin.gapStart(inGap)).toBe(wall('2026-03-29T02:00:00'));
    expect(berlin.gapEnd(inGap)).toBe(wall('2026-03-29T03:00:00'));
  });

  it('maps a repeated local time to two instants, and finds the end of the repeat', () => {
    const repeated = wall('2026-10-25T02:30:00');
    expect(berlin.toInstants(repeated)).toEqual([Date.parse('2026-10-25T00:30:00Z'), Date.parse('2026-10-25T01:30:00Z')]);
    expect(berlin.overlapEnd(repeated)).toBe(wall('2026-10-25T03:00:00'));
  });

  it('gives the offset at an instant', () => {
    expect(berlin.offsetMs(Date.parse('2026-03-29T00:59:59Z'))).toBe(3_600_000);
    expect(berlin.offsetMs(Date.parse('2026-03-29T01:00:00Z'))).toBe(7_200_000);
    expect(ZoneClock.of('Asia/Ho_Chi_Minh').offsetMs(Date.parse('2026-01-01T00:00:00Z'))).toBe(25_200_000);
  });
});
