import { createHmac } from 'crypto';

export interface WebhookCall {
  body?: string | Buffer;
  /** The job's secret; undefined: no signature header. */
  secret?: string;
  /** Unix seconds signed with the body; undefined: body-only signature. */
  timestamp?: number;
  headers?: Record<string, string>;
  query?: string;
}

export interface WebhookAnswer {
  status: number;
  headers: Headers;
  body: { execution_id?: string; statusCode?: number; message?: string } | null;
}

/** `sha256=` HMAC-SHA256 of the body, or of `{timestamp}.{body}` — what a sender computes. */
export function sign(secret: string, body: string | Buffer, timestamp?: number): string {
  const mac = createHmac('sha256', secret);
  if (timestamp !== undefined) mac.update(`${timestamp}.`);
  return `sha256=${mac.update(body).digest('hex')}`;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** POSTs to a webhook URL path (`/webhooks/{key}`) of an api at baseUrl, signed as asked. */
export async function callWebhook(baseUrl: string, path: string, c: WebhookCall = {}): Promise<WebhookAnswer> {
  const body = c.body ?? '';
  const headers: Record<string, string> = { 'content-type': 'application/json', ...c.headers };
  if (c.secret !== undefined) headers['x-webhook-signature'] = sign(c.secret, body, c.timestamp);
  if (c.timestamp !== undefined) headers['x-webhook-timestamp'] = String(c.timestamp);
  const res = await fetch(`${baseUrl}${path}${c.query ? `?${c.query}` : ''}`, { method: 'POST', headers, body });
  const text = await res.text();
  let parsed: WebhookAnswer['body'] = null;
  try {
    parsed = text ? (JSON.parse(text) as WebhookAnswer['body']) : null;
  } catch {
    parsed = { message: text.slice(0, 200) };
  }
  return { status: res.status, headers: res.headers, body: parsed };
}
