/** Query parameter names whose values are masked in logs and error messages. */
const SECRET_PARAM = /(token|secret|pass|pwd|key|sig|auth|cred|session|code)/i;

/** The URL without user:password, fragment, or the values of secret-looking query parameters. */
export function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return '[invalid url]';
  }
  url.username = '';
  url.password = '';
  url.hash = '';
  for (const name of [...new Set(url.searchParams.keys())]) {
    if (SECRET_PARAM.test(name)) url.searchParams.set(name, 'REDACTED');
  }
  return url.toString();
}

/** Replaces every occurrence of the given secrets (≥ 4 chars) with `[REDACTED]`. */
export function maskSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[REDACTED]');
  }
  return out;
}

/** First `max` characters of `text`, whitespace-trimmed, with an ellipsis when cut. */
export function excerpt(text: string, max = 500): string {
  const trimmed = text.trim();
  return trimmed.length <= max ? trimmed : `${trimmed.slice(0, max)}…`;
}

export class BodyTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`body exceeds ${maxBytes} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/**
 * Reads a whole response body, failing with BodyTooLargeError once more than `maxBytes`
 * arrive (or when Content-Length already says so). The stream is cancelled on failure.
 */
export async function readBodyLimited(response: Response, maxBytes: number): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await cancelBody(response);
    throw new BodyTooLargeError(maxBytes);
  }
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLargeError(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

/** Reads at most about `maxBytes` of a body (for error excerpts), then cancels the rest. */
export async function readBodyPrefix(response: Response, maxBytes: number): Promise<Buffer> {
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (total < maxBytes) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks, total);
    chunks.push(value);
    total += value.byteLength;
  }
  await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks, total).subarray(0, maxBytes);
}

/** Discards a body we do not need, freeing the connection. */
export async function cancelBody(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

/** Lower-cased media type without parameters (`application/json`). */
export function mediaType(contentType: string | null): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

export function isJsonMediaType(type: string): boolean {
  return type === 'application/json' || type === 'text/json' || type.endsWith('+json');
}

/** Decodes with the charset of the Content-Type (UTF-8 when absent or unknown). */
export function decodeText(bytes: Buffer, contentType: string | null): string {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '')?.[1];
  if (charset) {
    try {
      return new TextDecoder(charset).decode(bytes);
    } catch {
      // unknown label: fall through to UTF-8
    }
  }
  return new TextDecoder('utf-8').decode(bytes);
}

/** Response headers as a plain object with lower-case names; repeated headers joined by ", ". */
export function headersToRecord(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = name in out ? `${out[name]}, ${value}` : value;
  });
  return out;
}

/** Network error code of a fetch failure (`ECONNREFUSED`, `UND_ERR_SOCKET`…), if any. */
export function networkCode(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const inner = (current as { errors?: unknown }).errors;
    if (Array.isArray(inner) && inner.length > 0) {
      const innerCode = networkCode(inner[0]);
      if (innerCode) return innerCode;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Whether a fetch/body-read rejection is a transport failure rather than a bug. */
export function isNetworkFailure(err: unknown): boolean {
  // By name, not instanceof: fetch's errors may come from another realm (e.g. under jest).
  if (!isErrorNamed(err, 'TypeError')) return false;
  return err.message === 'fetch failed' || err.message === 'terminated' || networkCode(err.cause) !== undefined;
}

/** Realm-independent `err instanceof <builtin error class named name>`. */
export function isErrorNamed(err: unknown, name: string): err is Error {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === name && 'message' in err;
}

/** Short description of the innermost cause of a fetch failure (no secrets: host/port only). */
export function describeNetworkFailure(err: unknown): string {
  let current: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  const seen = new Set<unknown>();
  while (typeof current === 'object' && current !== null && !seen.has(current)) {
    seen.add(current);
    const { message: m, cause, errors } = current as { message?: unknown; cause?: unknown; errors?: unknown };
    if (typeof m === 'string' && m) message = m;
    current = cause ?? (Array.isArray(errors) ? errors[0] : undefined);
  }
  return message;
}
