import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { RequestValidationError, type ErrorDetail } from './app-errors';

function flatten(errors: ValidationError[], prefix = ''): ErrorDetail[] {
  return errors.flatMap((e) => {
    const path = prefix ? (/^\d+$/.test(e.property) ? `${prefix}[${e.property}]` : `${prefix}.${e.property}`) : e.property;
    return [
      ...Object.values(e.constraints ?? {}).map((message) => ({ path, message: message.replace(new RegExp(`^${e.property} `), '') })),
      ...flatten(e.children ?? [], path),
    ];
  });
}

/** Validates DTOs (query strings, bodies) and reports every wrong field by path as a 400. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    exceptionFactory: (errors) => new RequestValidationError(flatten(errors)),
  });
}
