/**
 * Network error codes of a PostgreSQL server that cannot be reached or dropped the connection
 * (the server restarting, a network cut).
 */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/**
 * SQLSTATEs of a server that is going away or not ready yet: class 08 (connection exception),
 * 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up / shutting
 * down), 53300 too_many_connections.
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/**
 * The errors node-postgres raises without any code when a connection ends under a query or a
 * pool cannot connect in time. These are the library's own fixed texts (it gives no code or
 * class for them), so they are matched here, in one place, and nowhere else.
 */
const PG_CLIENT_CONNECTION_MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'timeout exceeded when trying to connect',
  'Client was closed and is not queryable',
];

/**
 * True when `err` means the system database is unreachable for now (server down or restarting,
 * connection lost), so the same statement may succeed later; false for every error the
 * database answered (constraint, syntax, serialization…).
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  // Duck-typed: errors of Node's own modules may come from another realm (jest's sandbox).
  if (typeof err !== 'object' || err === null) return false;
  const { code, message, errors } = err as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof code === 'string') return NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08');
  if (Array.isArray(errors)) return errors.some((e) => isDatabaseUnavailable(e));
  return typeof message === 'string' && PG_CLIENT_CONNECTION_MESSAGES.some((m) => message.startsWith(m));
}
