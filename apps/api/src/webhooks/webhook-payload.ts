import type { IncomingHttpHeaders } from 'http';
import type { WebhookData } from '@vecron/context';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from './webhook-signature';

/** Headers never copied into `webhook.headers` unless the job's `forward_headers` names them. */
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization', 'cookie', SIGNATURE_HEADER, TIMESTAMP_HEADER]);

/** Deepest JSON nesting accepted in a payload (templates and PostgreSQL walk it recursively). */
export const MAX_PAYLOAD_DEPTH = 100;

/** The body, query or headers cannot be handed to a job (400); the message says why. */
export class WebhookPayloadError extends Error {
  constructor(readonly path: string, message: string) {
    super(message);
    this.name = 'WebhookPayloadError';
  }
}

export interface WebhookRequestParts {
  body: Buffer;
  contentType: string | undefined;
  /** The query string, without `?`. */
  query: string;
  headers: IncomingHttpHeaders;
  /** Lower-case names; null: every header but CREDENTIAL_HEADERS. */
  forwardHeaders: string[] | null;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** PostgreSQL jsonb refuses NUL and unpaired surrogates: such input is a 400, not a 500. */
function storable(s: string): boolean {
  return !s.includes('\u0000') && !LONE_SURROGATE.test(s);
}

/** Every string (keys included) storable and nesting at most MAX_PAYLOAD_DEPTH; iterative, so any depth is safe to check. */
function checkValue(root: unknown, path: string): void {
  const stack: { v: unknown; depth: number }[] = [{ v: root, depth: 0 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (!storable(v)) throw new WebhookPayloadError(path, 'contains a NUL character or an unpaired surrogate, which cannot be stored');
    } else if (v !== null && typeof v === 'object') {
      if (depth >= MAX_PAYLOAD_DEPTH) throw new WebhookPayloadError(path, `is nested deeper than ${MAX_PAYLOAD_DEPTH} levels`);
      for (const [k, child] of Object.entries(v)) {
        if (!storable(k)) throw new WebhookPayloadError(path, 'contains a NUL character or an unpaired surrogate, which cannot be stored');
        stack.push({ v: child, depth: depth + 1 });
      }
    }
  }
}

/** `webhook.payload`: parsed JSON for a JSON content type, the text otherwise; null for an empty body. */
export function parsePayload(body: Buffer, contentType: string | undefined): unknown {
  if (body.length === 0) return null;
  const text = body.toString('utf8');
  if (!contentType || !JSON_TYPE.test(contentType)) return text;
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown;
  } catch {
    throw new WebhookPayloadError('body', 'is not valid JSON (Content-Type says JSON)');
  }
}

/** `webhook.query_params`: a repeated parameter becomes an array. */
export function parseQuery(query: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const [k, v] of new URLSearchParams(query)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return { ...out };
}

/** `webhook.headers`: the named headers, or all but the credential ones; names lower-case. */
export function pickHeaders(headers: IncomingHttpHeaders, forward: string[] | null): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const names = forward ?? Object.keys(headers).filter((n) => !CREDENTIAL_HEADERS.has(n));
  for (const name of names) {
    const v = headers[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** The `webhook` section of the Job Context for one request; throws WebhookPayloadError (a 400). */
export function buildWebhookData(p: WebhookRequestParts): WebhookData {
  const payload = parsePayload(p.body, p.contentType);
  checkValue(payload, 'body');
  const query_params = parseQuery(p.query);
  checkValue(query_params, 'query');
  const headers = pickHeaders(p.headers, p.forwardHeaders);
  checkValue(headers, 'headers');
  return { payload, query_params, headers };
}
