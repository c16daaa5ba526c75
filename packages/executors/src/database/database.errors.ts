import { StepError } from '../errors';
import type { DatabaseType } from './database.config';

/** What went wrong, as far as the step can tell from the driver's error. */
export type DatabaseErrorKind =
  | 'auth'
  | 'unknown_database'
  | 'syntax'
  | 'constraint'
  | 'connection'
  | 'deadlock'
  | 'resources'
  | 'query';

const CODES: Record<DatabaseErrorKind, string> = {
  auth: 'DATABASE_AUTH_FAILED',
  unknown_database: 'DATABASE_NOT_FOUND',
  syntax: 'DATABASE_SYNTAX_ERROR',
  constraint: 'DATABASE_CONSTRAINT_VIOLATION',
  connection: 'DATABASE_CONNECTION_FAILED',
  deadlock: 'DATABASE_DEADLOCK',
  resources: 'DATABASE_BUSY',
  query: 'DATABASE_QUERY_FAILED',
};

const RETRYABLE: Record<DatabaseErrorKind, boolean> = {
  auth: false,
  unknown_database: false,
  syntax: false,
  constraint: false,
  connection: true,
  deadlock: true,
  resources: true,
  query: false,
};

/**
 * A failure reported by the target database or its driver. `code` follows `kind`; retryable
 * for connection failures, deadlocks / serialization failures and exhausted resources.
 * `details`: `{database_type, kind, sql_state?, driver_code?}`. The message is the driver's,
 * with the connection string's password masked.
 */
export class DatabaseError extends StepError {
  constructor(
    readonly kind: DatabaseErrorKind,
    message: string,
    details: { database_type: DatabaseType; sql_state?: string; driver_code?: string | number },
    cause?: unknown,
  ) {
    // No `cause`: a driver error object may carry connection settings; the message is masked instead.
    super(message, CODES[kind], RETRYABLE[kind], { details: { ...details, kind } });
    void cause;
  }
}

/** Node socket errors that mean the server could not be reached (retryable). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
]);

interface DriverErrorShape {
  message?: unknown;
  code?: unknown;
  errno?: unknown;
  sqlState?: unknown;
  errorNum?: unknown;
  fatal?: unknown;
}

/** SQLSTATE classes (PostgreSQL, MySQL) → kind. */
function kindFromSqlState(state: string): DatabaseErrorKind {
  if (state.startsWith('28')) return 'auth';
  if (state === '3D000') return 'unknown_database';
  if (state.startsWith('42')) return 'syntax';
  if (state.startsWith('23')) return 'constraint';
  if (state.startsWith('08')) return 'connection';
  if (state === '40001' || state === '40P01') return 'deadlock';
  if (state.startsWith('53') || state === '57P01' || state === '57P02' || state === '57P03') return 'resources';
  return 'query';
}

/** MySQL/MariaDB error numbers that SQLSTATE alone does not classify. */
const MYSQL_ERRNO: Record<number, DatabaseErrorKind> = {
  1044: 'auth', // access denied to database
  1045: 'auth',
  1049: 'unknown_database',
  1064: 'syntax',
  1146: 'syntax', // table does not exist
  1054: 'syntax', // unknown column
  1062: 'constraint',
  1451: 'constraint',
  1452: 'constraint',
  1048: 'constraint',
  1213: 'deadlock',
  1205: 'deadlock', // lock wait timeout
  1040: 'resources', // too many connections
  1203: 'resources',
};

/** Oracle error numbers → kind. */
const ORACLE_ERRNO: Record<number, DatabaseErrorKind> = {
  1017: 'auth',
  28000: 'auth',
  12514: 'unknown_database',
  12505: 'unknown_database',
  900: 'syntax',
  904: 'syntax',
  942: 'syntax',
  933: 'syntax',
  936: 'syntax',
  1: 'constraint',
  1400: 'constraint',
  2291: 'constraint',
  2292: 'constraint',
  2290: 'constraint',
  60: 'deadlock',
  8177: 'deadlock',
  12541: 'connection',
  12170: 'connection',
  3113: 'connection',
  3114: 'connection',
  12520: 'resources',
  12516: 'resources',
};

/** Classifies a driver error. `mask` removes credentials from the message. */
export function toDatabaseError(err: unknown, databaseType: DatabaseType, mask: (text: string) => string): DatabaseError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as DriverErrorShape;
  const rawMessage = typeof e.message === 'string' && e.message !== '' ? e.message : String(err);
  const code = typeof e.code === 'string' ? e.code : undefined;
  let sqlState: string | undefined;
  let kind: DatabaseErrorKind = 'query';
  let driverCode: string | number | undefined = code;
  if (databaseType === 'postgresql') {
    if (code && /^[0-9A-Z]{5}$/.test(code)) {
      sqlState = code;
      kind = kindFromSqlState(code);
      driverCode = undefined;
    } else if (code && NETWORK_CODES.has(code)) {
      kind = 'connection';
    } else if (/Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED/i.test(rawMessage)) {
      kind = 'connection';
    }
  } else if (databaseType === 'mysql') {
    sqlState = typeof e.sqlState === 'string' ? e.sqlState : undefined;
    const errno = typeof e.errno === 'number' ? e.errno : undefined;
    if (errno !== undefined && MYSQL_ERRNO[errno]) kind = MYSQL_ERRNO[errno];
    else if (code && NETWORK_CODES.has(code)) kind = 'connection';
    else if (sqlState && sqlState !== 'HY000') kind = kindFromSqlState(sqlState);
    else if (e.fatal === true) kind = 'connection';
    if (errno !== undefined) driverCode = code ? `${code} (${errno})` : errno;
  } else {
    const errorNum = typeof e.errorNum === 'number' ? e.errorNum : undefined;
    if (errorNum !== undefined && ORACLE_ERRNO[errorNum]) kind = ORACLE_ERRNO[errorNum];
    else if (code && NETWORK_CODES.has(code)) kind = 'connection';
    else if (code && /^NJS-5\d\d$/.test(code)) kind = 'connection';
    driverCode = code ?? errorNum;
  }
  const state = sqlState ? ` (SQLSTATE ${sqlState})` : '';
  const details: { database_type: DatabaseType; sql_state?: string; driver_code?: string | number } = { database_type: databaseType };
  if (sqlState) details.sql_state = sqlState;
  if (driverCode !== undefined) details.driver_code = driverCode;
  return new DatabaseError(kind, `${databaseType}: ${mask(rawMessage)}${state}`, details, err);
}
