import { createHash } from 'crypto';
import { SECRET_MASK } from '@vecron/context';
import { UnrecoverableStepError } from '../errors';
import type { DatabaseType } from './database.config';

/** A parsed connection string: what to connect with, what may be shown, what must be hidden. */
export interface ConnectionTarget {
  databaseType: DatabaseType;
  /** The connection string as given (mariadb:// normalised to mysql://). */
  url: string;
  /** The URL with the password masked, for logs. */
  safe: string;
  /** Pool cache key: type + a hash of the whole connection string. */
  key: string;
  user: string;
  password: string;
  host: string;
  port: number | undefined;
  database: string;
  /** Strings never to show (password, its URL-encoded form, the whole URL). */
  secrets: string[];
}

/** Parses `connection_string`; a malformed one fails the step (not retryable), without echoing it. */
export function parseConnectionString(databaseType: DatabaseType, connectionString: string): ConnectionTarget {
  const url = connectionString.replace(/^mariadb:/i, 'mysql:');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UnrecoverableStepError(`${databaseType}: connection_string is not a valid URL`, 'DATABASE_CONFIG_INVALID');
  }
  let password = '';
  try {
    password = decodeURIComponent(parsed.password);
  } catch {
    password = parsed.password;
  }
  const secrets = [connectionString, url, password, parsed.password, encodeURIComponent(password)].filter((s) => s.length > 0);
  const safeUrl = new URL(url);
  if (safeUrl.password !== '') safeUrl.password = SECRET_MASK;
  return {
    databaseType,
    url,
    safe: safeUrl.toString(),
    key: `${databaseType}:${createHash('sha256').update(url).digest('hex')}`,
    user: safeDecode(parsed.username),
    password,
    host: parsed.hostname,
    port: parsed.port === '' ? undefined : Number(parsed.port),
    database: safeDecode(parsed.pathname.replace(/^\//, '')),
    secrets: [...new Set(secrets)].sort((a, b) => b.length - a.length),
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Replaces every secret of the target in `text`. */
export function maskTarget(text: string, target: Pick<ConnectionTarget, 'secrets'>): string {
  let out = text;
  for (const secret of target.secrets) out = out.split(secret).join(SECRET_MASK);
  return out;
}
