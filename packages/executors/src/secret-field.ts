import { JSONSchema } from 'class-validator-jsonschema';
import { getMetadataSchema } from 'class-validator-jsonschema/build/decorators';

type SchemaObject = Record<string, unknown>;
type SchemaFunction = (schema: SchemaObject, options: unknown) => SchemaObject;

/**
 * Marks a config field as a secret (a password, token, private key, a connection string with
 * credentials). The mark lives in the field's JSON Schema, generated from the config class like
 * every other rule: `writeOnly: true` for the whole value, or `x-secret-keys` (a regular
 * expression source, case-insensitive) for an object of name → value whose matching names hold
 * secrets (`Authorization` in `headers`). Job export (@vecron/definitions `extractSecrets`)
 * replaces literal secret values by `${SECRET:name}` placeholders; a value that is a template
 * (`${DB_PASSWORD}`) is a reference and is kept.
 *
 * Put it above the field's other decorators: it keeps the schema they set (decorators run
 * bottom-up) and adds the mark.
 */
export function Secret(options: { keys?: RegExp } = {}): PropertyDecorator {
  const mark: SchemaObject = options.keys === undefined ? { writeOnly: true } : { 'x-secret-keys': options.keys.source };
  return (target, key) => {
    const existing = getMetadataSchema(target, String(key)) as SchemaObject | SchemaFunction;
    const merged =
      typeof existing === 'function'
        ? (schema: SchemaObject, opts: unknown) => ({ ...existing(schema, opts), ...mark })
        : { ...existing, ...mark };
    JSONSchema(merged as Parameters<typeof JSONSchema>[0])(target, String(key));
  };
}
