import Decimal from 'decimal.js';

/**
 * Driver values → JSON: integers and decimals as numbers when the number is exactly the same
 * value, otherwise as strings; dates as ISO-8601 strings; binary as base64; bigint like numbers.
 */

/** `text` (an integer or decimal) as a number when it converts exactly, else the text itself. */
export function numberIfExact(text: string): number | string {
  const n = Number(text);
  if (!Number.isFinite(n)) return text;
  try {
    return new Decimal(text).equals(new Decimal(n.toString())) ? n : text;
  } catch {
    return text;
  }
}

/** A value read from a driver, as JSON. */
export function toJsonValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return numberIfExact(value.toString());
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (Array.isArray(value)) return value.map(toJsonValue);
  return value;
}

/** A row with every value converted by toJsonValue (same key order). */
export function toJsonRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(row)) out[key] = toJsonValue(row[key]);
  return out;
}

/** `YYYY-MM-DD HH:MM:SS[.f]` (a wall-clock time without zone) → `YYYY-MM-DDTHH:MM:SS[.f]`. */
export function isoLocal(text: string): string {
  return text.replace(' ', 'T');
}
