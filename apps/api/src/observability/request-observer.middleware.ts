import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { NextFunction, Request, Response } from 'express';
import { vecronTracer, type ApiMetrics } from '@vecron/telemetry';

const UNTRACED = new Set(['/health', '/metrics']);
const TRIGGER_ROUTE = /^\/api\/jobs\/[^/]+\/trigger$/;

/**
 * Express middleware, after the body parsers: one server span per request (the caller's
 * `traceparent` as its parent), active while the handler runs, so the execution a trigger
 * enqueues carries it to the worker; and the webhook/trigger counters by answer status.
 * With tracing off the span is a no-op.
 */
export function observeRequests(metrics: ApiMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const path = req.path;
    if (UNTRACED.has(path)) return next();
    const parent = propagation.extract(context.active(), req.headers);
    const span = vecronTracer().startSpan(`${req.method} ${path.startsWith('/webhooks/') ? '/webhooks/:key' : path}`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': req.method, 'url.path': path.startsWith('/webhooks/') ? '/webhooks/:key' : path },
    }, parent);
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path;
      if (route) span.updateName(`${req.method} ${route}`);
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      if (req.method === 'POST') {
        if (path.startsWith('/webhooks/')) {
          metrics.webhookCalls.inc({ status: String(res.statusCode) });
          if (res.statusCode === 202) metrics.triggers.inc({ trigger_source: 'webhook' });
        } else if (res.statusCode === 202 && TRIGGER_ROUTE.test(path)) {
          metrics.triggers.inc({ trigger_source: 'manual' });
        }
      }
    });
    context.with(trace.setSpan(parent, span), next);
  };
}
