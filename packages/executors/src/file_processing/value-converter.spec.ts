import Decimal from 'decimal.js';
import { ConversionProblem, createConverter, spreadsheetDateText } from './value-converter';

const reason = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConversionProblem) return err.reason;
    throw err;
  }
  throw new Error('expected a conversion problem');
};

describe('createConverter', () => {
  it('decimal: the plain-text fast path gives exactly what decimal.js gives', () => {
    const texts = ['0', '-0', '-0.00', '00', '007.5', '-007.50', '5.', '-5.', '0.000', '0.1', '100', '-100.1', '1.005', '999.995', '12345678901234567890.12'];
    for (const text of texts) {
      const places = /\.(\d+)$/.exec(text)?.[1]?.length ?? 0;
      expect(createConverter({ target_type: 'decimal' })(text)).toBe(new Decimal(text).toFixed(places));
      for (const scale of [0, 2, 4]) {
        expect(createConverter({ target_type: 'decimal', scale })(text)).toBe(new Decimal(text).toFixed(scale, Decimal.ROUND_HALF_UP));
      }
    }
    expect(createConverter({ target_type: 'decimal', scale: 2 })('-007.5')).toBe('-7.50');
  });

  it('decimal keeps exact values as strings: never a binary float', () => {
    const decimal = createConverter({ target_type: 'decimal' });
    expect(decimal('0.1')).toBe('0.1');
    expect(decimal('1234.50')).toBe('1234.50');
    expect(decimal('-.5')).toBe('-0.5');
    expect(decimal('12345678901234567890.123456789')).toBe('12345678901234567890.123456789');
    expect(decimal('1.5e3')).toBe('1500');
    expect(decimal(0.3)).toBe('0.3');
    expect(createConverter({ target_type: 'decimal', scale: 2 })('2.675')).toBe('2.68');
    expect(createConverter({ target_type: 'decimal', decimal_separator: ',', thousands_separator: '.' })('1.234.567,05')).toBe('1234567.05');
    expect(reason(() => decimal('12,5'))).toBe('is not a number');
    expect(decimal('')).toBeNull();
    expect(decimal(null)).toBeNull();
  });

  it('integer and number', () => {
    const integer = createConverter({ target_type: 'integer', thousands_separator: ',' });
    expect(integer('1,234')).toBe(1234);
    expect(integer('12.0')).toBe(12);
    expect(reason(() => integer('12.5'))).toBe('is not an integer');
    expect(reason(() => integer('99999999999999999999'))).toContain('safe integer range');
    expect(createConverter({ target_type: 'number' })(' 1.25 ')).toBe(1.25);
    expect(reason(() => createConverter({ target_type: 'number' })('abc'))).toBe('is not a number');
  });

  it('boolean words, English and Vietnamese', () => {
    const bool = createConverter({ target_type: 'boolean' });
    expect(['true', 'YES', '1', 'có', 'y'].map(bool)).toEqual([true, true, true, true, true]);
    expect(['false', 'No', '0', 'không', 'n'].map(bool)).toEqual([false, false, false, false, false]);
    expect(reason(() => bool('maybe'))).toContain('is not a boolean');
  });

  it('date and datetime: ISO by default, a format when given, zones converted to UTC', () => {
    const date = createConverter({ target_type: 'date' });
    const datetime = createConverter({ target_type: 'datetime' });
    expect(date('2024-02-29')).toBe('2024-02-29');
    expect(reason(() => date('2023-02-29'))).toBe('has no such day in that month');
    expect(datetime('2024-01-31 08:30')).toBe('2024-01-31T08:30:00');
    expect(datetime('2024-01-31T08:30:00.250+07:00')).toBe('2024-01-31T01:30:00.250Z');
    expect(createConverter({ target_type: 'date', format: 'DD/MM/YYYY' })('05/11/2024')).toBe('2024-11-05');
    expect(createConverter({ target_type: 'datetime', format: 'D/M/YY H:mm' })('5/1/24 7:05')).toBe('2024-01-05T07:05:00');
    expect(reason(() => createConverter({ target_type: 'date', format: 'DD/MM/YYYY' })('2024-11-05'))).toBe('does not match the format DD/MM/YYYY');
    // An Excel serial: 45322 is 2024-01-31.
    expect(date(45322)).toBe('2024-01-31');
  });

  it('string keeps text and renders other values', () => {
    const text = createConverter({ target_type: 'string' });
    expect(text(12.5)).toBe('12.5');
    expect(text('  x ')).toBe('  x ');
    expect(text(null)).toBeNull();
  });
});

describe('spreadsheetDateText', () => {
  it('gives a date at midnight and a wall-clock date-time otherwise', () => {
    expect(spreadsheetDateText(new Date(Date.UTC(2024, 0, 31)))).toBe('2024-01-31');
    expect(spreadsheetDateText(new Date(Date.UTC(2024, 0, 31, 13, 5, 9)))).toBe('2024-01-31T13:05:09');
  });
});
