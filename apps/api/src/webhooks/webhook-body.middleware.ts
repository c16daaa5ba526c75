import { raw } from 'body-parser';
import type { NextFunction, Request, Response } from 'express';
import { finished } from 'stream';

/** Where the routes of the public webhook endpoint start. */
export const WEBHOOK_ROUTE_PREFIX = '/webhooks';

/** What reading the raw body gave: the bytes, or the HTTP status of why not (413, 415, 400). */
export type WebhookBody = { ok: true; body: Buffer } | { ok: false; status: number };

const BODY = Symbol('webhookBody');
type WithBody = Request & { [BODY]?: WebhookBody };

/**
 * Reads the raw body of `/webhooks/*` requests (any content type, no decompression: the
 * signature covers the bytes as sent) up to `limit`. It never answers itself: an over-limit
 * body is recorded and the controller answers 413 through the error filter, like every error.
 * Mount it before the JSON body parser, so that parser leaves these requests alone.
 */
export function webhookBodyParser(limit: string): (req: Request, res: Response, next: NextFunction) => void {
  const parse = raw({ type: () => true, limit, inflate: false });
  return (req, res, next) => {
    parse(req, res, (err?: unknown) => {
      const r = req as WithBody;
      if (!err) {
        r[BODY] = { ok: true, body: Buffer.isBuffer(req.body) ? (req.body as Buffer) : Buffer.alloc(0) };
        next();
        return;
      }
      r[BODY] = { ok: false, status: typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : 400 };
      // Some refusals (an unsupported Content-Encoding) come before the body is read: drain it,
      // so that no later body parser picks the request up.
      if (req.readableEnded) {
        next();
        return;
      }
      finished(req, () => next());
      req.resume();
    });
  };
}

/** The body read by webhookBodyParser (an empty body when the parser did not run). */
export function webhookBodyOf(req: Request): WebhookBody {
  return (req as WithBody)[BODY] ?? { ok: true, body: Buffer.alloc(0) };
}
