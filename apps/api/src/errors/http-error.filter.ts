import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { AppError } from './app-errors';
import { StorageUnavailableError } from '@vecron/storage';

const REASONS: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict',
  413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity', 429: 'Too Many Requests',
  500: 'Internal Server Error', 503: 'Service Unavailable',
};

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: { path: string; message: string }[];
  /** The execution a 409 is about (one in progress, one already finished). */
  execution_id?: string;
}

/** Maps every error to `{statusCode, error, message, details?}` — the only place errors become HTTP statuses. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const body = this.toBody(exception);
    if (body.statusCode >= 500) this.logger.error({ err: exception }, body.message);
    if (exception instanceof AppError) for (const [name, value] of Object.entries(exception.headers)) res.setHeader(name, value);
    res.status(body.statusCode).json(body);
  }

  toBody(exception: unknown): ErrorBody {
    if (exception instanceof AppError) {
      return {
        ...exception.fields,
        statusCode: exception.status,
        error: REASONS[exception.status] ?? 'Error',
        message: exception.message,
        ...(exception.details ? { details: exception.details } : {}),
      };
    }
    if (exception instanceof StorageUnavailableError) {
      return { statusCode: 503, error: REASONS[503]!, message: 'object storage unavailable' };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const r = exception.getResponse();
      const message = typeof r === 'string' ? r : typeof (r as { message?: unknown }).message === 'string' ? (r as { message: string }).message : exception.message;
      return { statusCode: status, error: REASONS[status] ?? 'Error', message };
    }
    // Body parsers (http-errors): a client error they chose to expose (bad encoding, too large…).
    const e = exception as { status?: unknown; expose?: unknown; message?: unknown };
    if (exception instanceof Error && e.expose === true && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      return { statusCode: e.status, error: REASONS[e.status] ?? 'Error', message: exception.message };
    }
    const status = HttpStatus.INTERNAL_SERVER_ERROR;
    return { statusCode: status, error: REASONS[status]!, message: 'internal error' };
  }
}
