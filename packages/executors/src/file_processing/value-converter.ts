import Decimal from 'decimal.js';
import type { ConversionTargetType, TypeConversionTransformation } from './file-processing.config';

/** A value that cannot be converted; `reason` says why (the caller adds file, row and column). */
export class ConversionProblem extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ConversionProblem';
  }
}

export type ValueConverter = (value: unknown) => unknown;

const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;
const TRUE_WORDS = new Set(['true', '1', 'yes', 'y', 't', 'có', 'co']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'n', 'f', 'không', 'khong']);
/** ISO-8601 date or date-time: `2024-01-31`, `2024-01-31T08:30`, `2024-01-31 08:30:00.250+07:00`. */
const ISO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
/** Days between 1899-12-30 (Excel's day 0, 1900 date system) and 1970-01-01. */
const EXCEL_EPOCH_DAYS = 25_569;
const DAY_MS = 86_400_000;

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** Builds the converter of one `type_conversion`. */
export function createConverter(t: Pick<TypeConversionTransformation, 'target_type' | 'format' | 'scale' | 'decimal_separator' | 'thousands_separator'>): ValueConverter {
  const target: ConversionTargetType = t.target_type;
  if (target === 'string') return toText;
  const numberText = numberTextReader(t.decimal_separator ?? '.', t.thousands_separator);
  const dateParser = t.format ? formatParser(t.format) : undefined;
  const convert = ((): ValueConverter => {
    switch (target) {
      case 'integer':
        return (v) => toInteger(v, numberText);
      case 'number':
        return (v) => toNumber(v, numberText);
      case 'decimal':
        return (v) => toDecimal(v, numberText, t.scale);
      case 'boolean':
        return toBoolean;
      case 'date':
        return (v) => formatParts(toDateParts(v, dateParser), 'date');
      case 'datetime':
        return (v) => formatParts(toDateParts(v, dateParser), 'datetime');
    }
  })();
  return (value) => (isEmpty(value) ? null : convert(value));
}

function toText(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The canonical numeric text of a value (`1.234,56` with `,` decimals → `1234.56`). */
function numberTextReader(decimalSeparator: string, thousandsSeparator: string | undefined): (v: unknown) => string {
  return (value) => {
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new ConversionProblem('is not a finite number');
      return String(value);
    }
    if (typeof value === 'bigint') return value.toString();
    if (typeof value !== 'string') throw new ConversionProblem(`is a ${typeof value}, not a number`);
    let text = value.trim();
    if (thousandsSeparator !== undefined) text = text.split(thousandsSeparator).join('');
    if (decimalSeparator !== '.') {
      if (text.includes('.')) throw new ConversionProblem(`is not a number (decimal separator is "${decimalSeparator}")`);
      text = text.replace(decimalSeparator, '.');
    }
    if (!NUMERIC.test(text)) throw new ConversionProblem('is not a number');
    return text;
  };
}

function toInteger(value: unknown, read: (v: unknown) => string): number {
  const text = read(value);
  let n: number;
  if (INTEGER.test(text)) {
    n = Number(text);
  } else {
    const d = new Decimal(text);
    if (!d.isInteger()) throw new ConversionProblem('is not an integer');
    n = d.toNumber();
  }
  if (!Number.isSafeInteger(n)) throw new ConversionProblem('is outside the safe integer range (±9007199254740991); use decimal or string');
  return n;
}

function toNumber(value: unknown, read: (v: unknown) => string): number {
  const n = Number(read(value));
  if (!Number.isFinite(n)) throw new ConversionProblem('is out of range for a number');
  return n;
}

/** Exact decimal text: `1234.50` stays `1234.50`; with `scale`, rounded half-up to that many decimals. */
function toDecimal(value: unknown, read: (v: unknown) => string, scale: number | undefined): string {
  const text = read(value);
  const plain = plainDecimalText(text, scale);
  if (plain !== undefined) return plain;
  let d: Decimal;
  try {
    d = new Decimal(text);
  } catch {
    throw new ConversionProblem('is not a decimal number');
  }
  if (!d.isFinite()) throw new ConversionProblem('is not a finite decimal number');
  if (scale !== undefined) return d.toFixed(scale, Decimal.ROUND_HALF_UP);
  // Keep the decimals as written (trailing zeros of money amounts included) unless an exponent was used.
  const match = /\.(\d+)$/.exec(text);
  const places = /[eE]/.test(text) ? d.decimalPlaces() : match ? match[1]!.length : 0;
  return d.toFixed(places);
}

const PLAIN_DECIMAL = /^(-?)(\d+)(?:\.(\d*))?$/;

/**
 * The fast path of toDecimal, without decimal.js: plain `[-]digits[.digits]` text that needs no
 * rounding (no more decimals than `scale`) gives the same text decimal.js would (leading zeros
 * dropped, decimals padded to `scale`). Anything else (an exponent, rounding, negative zero):
 * undefined, and decimal.js does it.
 */
function plainDecimalText(text: string, scale: number | undefined): string | undefined {
  const m = PLAIN_DECIMAL.exec(text);
  if (m === null) return undefined;
  const fraction = m[3] ?? '';
  if (scale !== undefined && fraction.length > scale) return undefined;
  let integer = m[2]!;
  if (integer.length > 1 && integer.charCodeAt(0) === 48) integer = integer.replace(/^0+(?=\d)/, '');
  if (m[1] === '-' && integer === '0' && /^0*$/.test(fraction)) return undefined;
  const places = scale ?? fraction.length;
  if (places === 0) return m[1]! + integer;
  return `${m[1]!}${integer}.${fraction.padEnd(places, '0')}`;
}

function toBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (value === 1) return true;
    if (value === 0) return false;
    throw new ConversionProblem('is not a boolean (numbers: 1 or 0)');
  }
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
  }
  throw new ConversionProblem('is not a boolean (true/false, 1/0, yes/no, có/không)');
}

interface DateParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
  /** The source named a zone: the parts are UTC. */
  utc: boolean;
}

type DateParser = (text: string) => DateParts;

const TOKEN_PATTERNS: Record<string, string> = {
  YYYY: '(\\d{4})',
  YY: '(\\d{2})',
  MM: '(\\d{2})',
  M: '(\\d{1,2})',
  DD: '(\\d{2})',
  D: '(\\d{1,2})',
  HH: '(\\d{2})',
  H: '(\\d{1,2})',
  mm: '(\\d{2})',
  ss: '(\\d{2})',
  SSS: '(\\d{3})',
};
const TOKEN = /YYYY|YY|MM|M|DD|D|HH|H|mm|ss|SSS/g;

/** A parser for a format such as `DD/MM/YYYY HH:mm`. */
export function formatParser(format: string): DateParser {
  const fields: string[] = [];
  let source = '';
  let last = 0;
  for (const match of format.matchAll(TOKEN)) {
    source += escapeRegExp(format.slice(last, match.index)) + TOKEN_PATTERNS[match[0]]!;
    fields.push(match[0]);
    last = (match.index ?? 0) + match[0].length;
  }
  source += escapeRegExp(format.slice(last));
  const pattern = new RegExp(`^${source}$`);
  return (text) => {
    const m = pattern.exec(text.trim());
    if (!m) throw new ConversionProblem(`does not match the format ${format}`);
    const parts: DateParts = { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, ms: 0, utc: false };
    fields.forEach((field, i) => {
      const n = Number(m[i + 1]);
      if (field === 'YYYY') parts.year = n;
      else if (field === 'YY') parts.year = n < 70 ? 2000 + n : 1900 + n;
      else if (field === 'MM' || field === 'M') parts.month = n;
      else if (field === 'DD' || field === 'D') parts.day = n;
      else if (field === 'HH' || field === 'H') parts.hour = n;
      else if (field === 'mm') parts.minute = n;
      else if (field === 'ss') parts.second = n;
      else parts.ms = n;
    });
    return checked(parts);
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function checked(p: DateParts): DateParts {
  const daysInMonth = new Date(Date.UTC(p.year, p.month, 0)).getUTCDate();
  if (p.month < 1 || p.month > 12) throw new ConversionProblem('has no such month');
  if (p.day < 1 || p.day > daysInMonth) throw new ConversionProblem('has no such day in that month');
  if (p.hour > 23 || p.minute > 59 || p.second > 59) throw new ConversionProblem('has no such time of day');
  return p;
}

function partsOfDate(date: Date, utc: boolean): DateParts {
  if (Number.isNaN(date.getTime())) throw new ConversionProblem('is an invalid date');
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    hour: date.getUTCHours(),
    minute: date.getUTCMinutes(),
    second: date.getUTCSeconds(),
    ms: date.getUTCMilliseconds(),
    utc,
  };
}

function toDateParts(value: unknown, parser: DateParser | undefined): DateParts {
  if (value instanceof Date) return partsOfDate(value, false);
  if (typeof value === 'number') {
    // An Excel serial date (days since 1899-12-30; fractions are the time of day).
    if (!Number.isFinite(value) || value < 0 || value > 2_958_465) throw new ConversionProblem('is not an Excel date serial');
    return partsOfDate(new Date(Math.round((value - EXCEL_EPOCH_DAYS) * DAY_MS)), false);
  }
  if (typeof value !== 'string') throw new ConversionProblem(`is a ${typeof value}, not a date`);
  if (parser) return parser(value);
  const m = ISO_DATETIME.exec(value.trim());
  if (!m) throw new ConversionProblem('is not an ISO-8601 date (give a format, e.g. DD/MM/YYYY)');
  const parts = checked({
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
    ms: Number((m[7] ?? '0').slice(0, 3).padEnd(3, '0')),
    utc: false,
  });
  if (m[8] === undefined) return parts;
  // A zone was given: move to UTC.
  const zone = m[8];
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const digits = zone.replace(':', '');
    offsetMinutes = (digits.startsWith('-') ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  }
  const utcMs = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second, parts.ms) - offsetMinutes * 60_000;
  return partsOfDate(new Date(utcMs), true);
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `YYYY-MM-DD` or `YYYY-MM-DDTHH:mm:ss[.SSS][Z]`. */
function formatParts(p: DateParts, kind: 'date' | 'datetime'): string {
  const date = `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;
  if (kind === 'date') return date;
  const ms = p.ms ? `.${pad(p.ms, 3)}` : '';
  return `${date}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${ms}${p.utc ? 'Z' : ''}`;
}

/**
 * How a date read from a spreadsheet is written in rows: `YYYY-MM-DD` at midnight, otherwise
 * `YYYY-MM-DDTHH:mm:ss[.SSS]` (spreadsheet dates have no zone: the wall-clock time as stored).
 */
export function spreadsheetDateText(date: Date): string {
  const parts = partsOfDate(date, false);
  const midnight = parts.hour === 0 && parts.minute === 0 && parts.second === 0 && parts.ms === 0;
  return formatParts(parts, midnight ? 'date' : 'datetime');
}
