import { sampleContext } from '../test/scope.fixture';
import { createTemplateScope, executionDate } from './template-scope';

describe('executionDate', () => {
  test.each<[string, string, string]>([
    ['2024-03-01T16:59:59.999Z', 'Asia/Ho_Chi_Minh', '2024-03-01'],
    ['2024-03-01T17:00:00.000Z', 'Asia/Ho_Chi_Minh', '2024-03-02'],
    ['2024-03-01T17:00:00.000Z', 'UTC', '2024-03-01'],
    ['2024-03-01T03:00:00.000Z', 'America/New_York', '2024-02-29'],
    ['2024-12-31T23:30:00.000Z', 'Asia/Tokyo', '2025-01-01'],
  ])('%s in %s → %s', (instant, tz, expected) => {
    expect(executionDate(instant, tz)).toBe(expected);
  });

  it('accepts Dates and epoch milliseconds and defaults to Asia/Ho_Chi_Minh', () => {
    expect(executionDate(new Date('2024-01-01T18:00:00Z'))).toBe('2024-01-02');
    expect(executionDate(Date.UTC(2024, 0, 1, 16, 0))).toBe('2024-01-01');
  });

  it('rejects invalid instants and time zones', () => {
    expect(() => executionDate('nope')).toThrow('invalid execution start: nope');
    expect(() => executionDate(new Date(0), 'Mars/Olympus')).toThrow(RangeError);
  });
});

describe('createTemplateScope', () => {
  it('computes system values and leaves missing ones out', () => {
    const s = createTemplateScope({
      context: sampleContext(),
      startedAt: '2024-03-01T17:00:00Z',
      attempt: 1,
      triggerSource: 'webhook',
    });
    expect(s.system).toStrictEqual({ execution_date: '2024-03-02', attempt: 1, trigger_source: 'webhook' });
    expect(s.variables).toStrictEqual({});
    expect(createTemplateScope({ context: sampleContext() }).system).toStrictEqual({});
  });
});
