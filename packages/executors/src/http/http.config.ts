import { Transform, Type } from 'class-transformer';
import {
  Allow,
  Equals,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateNested,
  type ValidationArguments,
  type ValidationOptions,
} from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';
import { Secret } from '../secret-field';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export const HTTP_AUTH_TYPES = ['basic', 'bearer', 'oauth2'] as const;
export type HttpAuthType = (typeof HTTP_AUTH_TYPES)[number];

/** A JSON value (what a resolved template or a definition can hold). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Header names whose values are credentials. */
export const SECRET_HEADER_NAMES = /^(authorization|proxy-authorization|cookie|x-api-key|api-key|apikey|x-auth-token|x-access-token)$/;
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// CR, LF and NUL: header injection / request splitting.
const BAD_HEADER_VALUE = /[\r\n\0]/;

/** A validation rule plus the JSON Schema describing it (the generator cannot infer custom rules). */
function withSchema(rule: PropertyDecorator, schema: Parameters<typeof JSONSchema>[0]): PropertyDecorator {
  const hint = JSONSchema(schema);
  return (target, key) => {
    rule(target, key);
    hint(target, String(key));
  };
}

/** Absolute http:// or https:// URL without user:password (credentials go in `auth`). */
export function IsHttpUrl(options?: ValidationOptions): PropertyDecorator {
  return withSchema(ValidateBy(
    {
      name: 'isHttpUrl',
      validator: {
        validate: (value: unknown) => httpUrlProblem(value) === undefined,
        defaultMessage: (args?: ValidationArguments) => httpUrlProblem(args?.value) ?? 'must be an http(s) URL',
      },
    },
    options,
  ), { type: 'string', format: 'uri', pattern: '^https?://', description: 'absolute http(s) URL without credentials (use auth)' });
}

function httpUrlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be an http(s) URL string';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must use the http or https scheme';
  if (url.username !== '' || url.password !== '') return 'must not contain credentials (use auth instead)';
  return undefined;
}

/** An object of header name → string value; names are HTTP tokens, values have no CR/LF/NUL. */
export function IsHeaderRecord(options?: ValidationOptions): PropertyDecorator {
  return withSchema(ValidateBy(
    {
      name: 'isHeaderRecord',
      validator: {
        validate: (value: unknown) => headerProblem(value) === undefined,
        defaultMessage: (args?: ValidationArguments) => headerProblem(args?.value) ?? 'must be an object of strings',
      },
    },
    options,
  ), () => ({
    type: 'object',
    propertyNames: { pattern: HEADER_NAME.source },
    additionalProperties: { type: 'string' },
    description: 'header name → value',
  }));
}

function headerProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return 'must be an object of header name to string value';
  }
  for (const [name, v] of Object.entries(value)) {
    if (!HEADER_NAME.test(name)) return `has an invalid header name "${name.slice(0, 100)}"`;
    if (typeof v !== 'string') return `header "${name}" must be a string`;
    if (BAD_HEADER_VALUE.test(v)) return `header "${name}" must not contain CR, LF or NUL characters`;
  }
  return undefined;
}

/** A string, or a JSON value sent as application/json; not allowed with GET. */
export function IsHttpBody(options?: ValidationOptions): PropertyDecorator {
  return withSchema(ValidateBy(
    {
      name: 'isHttpBody',
      validator: {
        validate: (value: unknown, args?: ValidationArguments) => bodyProblem(value, args) === undefined,
        defaultMessage: (args?: ValidationArguments) => bodyProblem(args?.value, args) ?? 'must be a string or JSON',
      },
    },
    options,
  ), () => ({ description: 'a string (sent as is) or any JSON value (sent as application/json); not allowed for GET' }));
}

function bodyProblem(value: unknown, args?: ValidationArguments): string | undefined {
  const method = (args?.object as { method?: unknown } | undefined)?.method;
  if (method === 'GET') return 'must not be set for GET requests';
  if (typeof value === 'string') return undefined;
  try {
    if (JSON.stringify(value) === undefined) return 'must be a string or a JSON value';
  } catch {
    return 'must be a string or a JSON value';
  }
  return undefined;
}

/** Fallback when `auth.type` is missing or unknown: reports only the bad `type`. */
export class HttpAuthConfigBase {
  @IsIn(HTTP_AUTH_TYPES, { message: `must be one of ${HTTP_AUTH_TYPES.join(', ')}` })
  type!: HttpAuthType;

  // Fields of the concrete auth types, tolerated here so that a bad `type` is the only issue.
  @Allow() username?: unknown;
  @Allow() password?: unknown;
  @Allow() token?: unknown;
  @Allow() client_id?: unknown;
  @Allow() client_secret?: unknown;
  @Allow() token_url?: unknown;
  @Allow() scope?: unknown;
}

export class HttpBasicAuthConfig {
  @Equals('basic')
  type!: 'basic';

  @IsString()
  @IsNotEmpty()
  @ValidateBy({
    name: 'noColon',
    validator: {
      validate: (v: unknown) => typeof v !== 'string' || !v.includes(':'),
      defaultMessage: () => 'must not contain ":"',
    },
  })
  username!: string;

  /** Secret: replaced by a placeholder in job exports. */
  @Secret()
  @IsString()
  password!: string;
}

export class HttpBearerAuthConfig {
  @Equals('bearer')
  type!: 'bearer';

  /** Secret: replaced by a placeholder in job exports. */
  @Secret()
  @IsString()
  @IsNotEmpty()
  token!: string;
}

export class HttpOAuth2AuthConfig {
  @Equals('oauth2')
  type!: 'oauth2';

  @IsString()
  @IsNotEmpty()
  client_id!: string;

  /** Secret: replaced by a placeholder in job exports. */
  @Secret()
  @IsString()
  @IsNotEmpty()
  client_secret!: string;

  @IsHttpUrl()
  token_url!: string;

  @IsOptional()
  @IsString()
  scope?: string;
}

export type HttpAuthConfig = HttpBasicAuthConfig | HttpBearerAuthConfig | HttpOAuth2AuthConfig;

/** Runtime config of an `http` step, validated after template resolution. */
export class HttpStepConfig {
  /** Case-insensitive on input, normalised to upper case. */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toUpperCase() : value))
  @IsIn(HTTP_METHODS, { message: `must be one of ${HTTP_METHODS.join(', ')}` })
  method!: HttpMethod;

  @IsHttpUrl()
  url!: string;

  /** Credential headers (Authorization, API keys, cookies) are secrets: replaced by placeholders in job exports. */
  @Secret({ keys: SECRET_HEADER_NAMES })
  @IsOptional()
  @Transform(({ obj }: { obj: Record<string, unknown> }) => obj.headers, { toClassOnly: true })
  @IsHeaderRecord()
  headers?: Record<string, string>;

  /** A string is sent as is; any other JSON value is serialised (application/json by default). null = no body. */
  @IsOptional()
  @Transform(({ obj }: { obj: Record<string, unknown> }) => obj.body, { toClassOnly: true })
  @IsHttpBody()
  body?: JsonValue;

  @IsOptional()
  @IsObject({ message: 'must be an object' })
  @ValidateNested()
  @Type(() => HttpAuthConfigBase, {
    keepDiscriminatorProperty: true,
    discriminator: {
      property: 'type',
      subTypes: [
        { name: 'basic', value: HttpBasicAuthConfig },
        { name: 'bearer', value: HttpBearerAuthConfig },
        { name: 'oauth2', value: HttpOAuth2AuthConfig },
      ],
    },
  })
  auth?: HttpAuthConfig;

  @IsInt()
  @Min(1)
  @Max(3600)
  timeout_seconds: number = 30;

  /**
   * Send an idempotency key, `{execution_id}:{step_id}` (the same for every attempt of this step
   * in this execution, so the target can drop a repeated request). Default: the worker's
   * `HTTP_STEP_IDEMPOTENCY_KEY` (true). A header of the same name in `headers` wins.
   */
  @IsOptional()
  @IsBoolean({ message: 'must be a boolean' })
  idempotency_key?: boolean;

  /** Name of the idempotency key header. Default: the worker's `HTTP_STEP_IDEMPOTENCY_HEADER` (`Idempotency-Key`). */
  @IsOptional()
  @Matches(HEADER_NAME, { message: 'must be an HTTP header name' })
  @MaxLength(256)
  @IsString()
  idempotency_key_header?: string;
}
