import { ValidateBy, type ValidationOptions } from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';
import { isValidTimeZone } from './time-zone';

/**
 * Named custom constraints of the definition model (the standard class-validator decorators
 * cover the rest). Each carries a @JSONSchema hint, since the schema generator cannot infer them.
 */

const NOT_BLANK = /\S/;

/** A validation rule plus the JSON Schema hint describing it. */
export function withHint(rule: PropertyDecorator, schema: Record<string, unknown>): PropertyDecorator {
  const hint = JSONSchema(schema);
  return (target, key) => {
    rule(target, key);
    hint(target, String(key));
  };
}

/** A string with at least one non-space character (`must not be empty`). */
export function IsNotBlank(options?: ValidationOptions): PropertyDecorator {
  return withHint(ValidateBy(
    {
      name: 'isNotBlank',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && NOT_BLANK.test(value),
        defaultMessage: () => 'must not be empty',
      },
    },
    options,
  ), { type: 'string', minLength: 1, not: { pattern: '^\\s*$' } });
}

/** An IANA time zone the runtime knows (`Asia/Ho_Chi_Minh`, `UTC`); offsets like `+07:00` are refused. */
export function IsTimeZone(options?: ValidationOptions): PropertyDecorator {
  return withHint(ValidateBy(
    {
      name: 'isTimeZone',
      validator: {
        validate: (value: unknown) => isValidTimeZone(value),
        defaultMessage: (args) => (typeof args?.value === 'string' ? `unknown time zone "${args.value}"` : 'must be a string'),
      },
    },
    options,
  ), { type: 'string', description: 'IANA time zone name, e.g. Asia/Ho_Chi_Minh or UTC' });
}

/**
 * Messages of the standard decorators, in the `{path, message}` style (the path names the field,
 * so the message never repeats it). `$constraint1` is class-validator's placeholder.
 */
export const REQUIRED = { message: 'is required' };
export const A_STRING = { message: 'must be a string' };
export const AN_INTEGER = { message: 'must be an integer' };
export const A_BOOLEAN = { message: 'must be a boolean' };
export const AN_OBJECT = { message: 'must be an object' };
export const AN_ARRAY = { message: 'must be an array' };
export const AT_LEAST = { message: 'must be at least $constraint1' };
export const AT_MOST = { message: 'must be at most $constraint1' };
export const AT_MOST_CHARS = { message: 'must be at most $constraint1 characters long' };
export const AT_LEAST_CHARS = { message: 'must be at least $constraint1 characters long' };

export function oneOfMessage(values: readonly string[]): { message: string } {
  return { message: `must be one of ${values.join(', ')}` };
}
