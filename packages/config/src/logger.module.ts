import type { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { trace, type Span } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { BaseEnv } from './base.env';

export interface CreateLoggerOptions {
  /** The process name on every line (`vecron-api`, `vecron-scheduler`, `vecron-worker`, `vecron-cli`). */
  name: string;
  /** pino hooks of the root logger (the worker's secret masking installs its `logMethod` here). */
  hooks?: LoggerOptions['hooks'];
  /** Where lines go; default stdout, written asynchronously and flushed when the process exits. */
  destination?: DestinationStream;
}

/** Request headers that carry credentials: never logged by the api's request lines. */
export const REDACTED_LOG_PATHS: readonly string[] = ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-webhook-signature"]', 'res.headers["set-cookie"]'];

/**
 * A logger property holding the span its lines belong to when no span is active (the worker sets
 * it on an execution's logger; pino children inherit it).
 */
export const LOG_TRACE_SPAN = Symbol('vecron.log.span');

type SpanCarryingLogger = Logger & { [LOG_TRACE_SPAN]?: Span };

/** `trace_id`/`span_id` of the active span (or the logger's own), on every line; nothing when tracing is off. */
function traceMixin(_obj: object, _level: number, logger: Logger): Record<string, string> {
  const span = trace.getActiveSpan() ?? (logger as SpanCarryingLogger)[LOG_TRACE_SPAN];
  if (!span) return {};
  const ctx = span.spanContext();
  return ctx.traceId === '00000000000000000000000000000000' ? {} : { trace_id: ctx.traceId, span_id: ctx.spanId };
}

/**
 * The one logging setup of the three apps: JSON lines from pino at `LOG_LEVEL`, named after the
 * process, credentials in request headers redacted, `trace_id` and `span_id` of the current span
 * on every line when tracing is on. Entry points build it once and hand it to
 * their Nest module (`loggerModule`); everything else receives it (or a child) by injection.
 */
export function createLogger(env: Pick<BaseEnv, 'LOG_LEVEL'>, options: CreateLoggerOptions): Logger {
  return pino(
    {
      name: options.name,
      level: env.LOG_LEVEL,
      redact: [...REDACTED_LOG_PATHS],
      mixin: traceMixin,
      ...(options.hooks ? { hooks: options.hooks } : {}),
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/**
 * nestjs-pino over an existing root logger: Nest's own messages (with `app.useLogger(app.get(Logger))`),
 * `PinoLogger` / `@InjectPinoLogger` for services, and in the api one line per request
 * (`/health` left out) carrying the request's id.
 */
export function loggerModule(logger: Logger): DynamicModule {
  return LoggerModule.forRoot({
    pinoHttp: {
      logger,
      autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/metrics' },
    },
  });
}
