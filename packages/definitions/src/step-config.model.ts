import {
  all,
  arrayOfObjects,
  bool,
  type Check,
  Discriminator,
  Field,
  FreeForm,
  hasTemplate,
  httpUrl,
  int,
  json,
  jsonArray,
  Nested,
  object,
  oneOf,
  Opt,
  Req,
  str,
  stringRecord,
} from './field.decorators';

/**
 * Step configs, one class per step `type` (ARCHITECTURE.md, "Step types and their config").
 * Every string may contain templates (`{{steps.fetch.output.body.url}}`, `${API_KEY}`); a format
 * (URL, host) is checked only on strings without a template.
 */

export const STEP_TYPES = ['http', 'database', 'file_processing', 'sftp'] as const;
export type StepType = (typeof STEP_TYPES)[number];

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
export const HTTP_AUTH_TYPES = ['basic', 'bearer', 'oauth2'] as const;
export const DATABASE_TYPES = ['postgresql', 'mysql', 'oracle'] as const;
export type DatabaseType = (typeof DATABASE_TYPES)[number];
export const QUERY_TYPES = ['raw_sql', 'stored_procedure'] as const;
export type QueryType = (typeof QUERY_TYPES)[number];
export const FILE_OPERATIONS = ['read', 'write'] as const;
export const FILE_FORMATS = ['csv', 'excel'] as const;
export const TRANSFORMATION_TYPES = ['column_mapping', 'type_conversion', 'filter'] as const;
export const CONVERSION_TARGET_TYPES = ['string', 'number', 'integer', 'boolean', 'date'] as const;
export type ConversionTargetType = (typeof CONVERSION_TARGET_TYPES)[number];
export const SFTP_OPERATIONS = ['download', 'upload'] as const;
export const SFTP_AUTH_TYPES = ['password', 'ssh_key'] as const;

/** Default timeout of one HTTP call. */
export const DEFAULT_HTTP_TIMEOUT_SECONDS = 30;
export const DEFAULT_SFTP_PORT = 22;
/** Longest step-level timeout: one day. */
export const MAX_STEP_TIMEOUT_SECONDS = 86_400;

const text = str();
const stepTimeout = int(1, MAX_STEP_TIMEOUT_SECONDS);

/** Required when `field` of the same object equals `value`, refused otherwise. */
function onlyWhen(field: string, value: string, check: Check): Check {
  return (v, obj) => {
    const applies = obj[field] === value;
    const present = v !== undefined && v !== null;
    if (!applies) return present ? `is only allowed when ${field} is ${value}` : null;
    if (!present) return `is required when ${field} is ${value}`;
    return check(v, obj);
  };
}

// ---------------------------------------------------------------------------------------------
// http
// ---------------------------------------------------------------------------------------------

export class HttpBasicAuth {
  @Discriminator(HTTP_AUTH_TYPES, 'parent') type!: 'basic';
  @Req(text) username!: string;
  @Req(str({ min: 0 })) password!: string;
}

export class HttpBearerAuth {
  @Discriminator(HTTP_AUTH_TYPES, 'parent') type!: 'bearer';
  @Req(text) token!: string;
}

/** OAuth2 client credentials: a token is fetched from token_url and sent as a bearer token. */
export class HttpOAuth2Auth {
  @Discriminator(HTTP_AUTH_TYPES, 'parent') type!: 'oauth2';
  @Req(text) client_id!: string;
  @Req(text) client_secret!: string;
  @Req(httpUrl) token_url!: string;
  @Opt(text) scope?: string | null;
}

export type HttpAuth = HttpBasicAuth | HttpBearerAuth | HttpOAuth2Auth;

class UnknownHttpAuth {
  @Discriminator(HTTP_AUTH_TYPES, 'parent') type!: string;
}

function httpAuthClass(raw: Record<string, unknown>): new () => object {
  switch (raw['type']) {
    case 'basic':
      return HttpBasicAuth;
    case 'bearer':
      return HttpBearerAuth;
    case 'oauth2':
      return HttpOAuth2Auth;
    default:
      return UnknownHttpAuth;
  }
}

export class HttpStepConfig {
  @Req(oneOf(HTTP_METHODS)) method!: HttpMethod;
  @Req(httpUrl) url!: string;
  /** Header name → value (templates allowed). */
  @FreeForm() @Opt(stringRecord) headers?: Record<string, string> | null;
  /** A string is sent as is; any other JSON value is sent as JSON. */
  @FreeForm() @Field(json) body?: unknown;
  @Nested(httpAuthClass, { optional: true }) @Opt(object) auth?: HttpAuth | null;
  @Opt(stepTimeout) timeout_seconds: number = DEFAULT_HTTP_TIMEOUT_SECONDS;
}

// ---------------------------------------------------------------------------------------------
// database
// ---------------------------------------------------------------------------------------------

const queryCheck: Check = (v, obj) => {
  if (obj['query_type'] === 'stored_procedure') return v === undefined || v === null ? null : text(v, obj);
  return v === undefined || v === null ? 'is required' : text(v, obj);
};

/**
 * `raw_sql` (default): `query` with placeholders bound to `parameters` (values, templates allowed;
 * never spliced into the SQL). `stored_procedure`: `procedure_name` called with `parameters`.
 * `timeout_seconds` has no default here: without it the job's timeout applies.
 */
export class DatabaseStepConfig {
  @Req(oneOf(DATABASE_TYPES)) database_type!: DatabaseType;
  @Req(text) connection_string!: string;
  @Field(queryCheck) query?: string | null;
  @FreeForm() @Opt(jsonArray) parameters: unknown[] = [];
  @Opt(oneOf(QUERY_TYPES)) query_type: QueryType = 'raw_sql';
  @Field(onlyWhen('query_type', 'stored_procedure', text)) procedure_name?: string | null;
  @Opt(stepTimeout) timeout_seconds?: number | null;
}

// ---------------------------------------------------------------------------------------------
// file_processing
// ---------------------------------------------------------------------------------------------

export class ColumnMappingTransformation {
  @Discriminator(TRANSFORMATION_TYPES, 'parent') type!: 'column_mapping';
  @Req(text) from!: string;
  @Req(text) to!: string;
}

export class TypeConversionTransformation {
  @Discriminator(TRANSFORMATION_TYPES, 'parent') type!: 'type_conversion';
  @Req(text) column!: string;
  @Req(oneOf(CONVERSION_TARGET_TYPES)) target_type!: ConversionTargetType;
}

/** Keeps the rows for which `condition` (the condition language, row keys as paths) is true. */
export class FilterTransformation {
  @Discriminator(TRANSFORMATION_TYPES, 'parent') type!: 'filter';
  @Req(text) condition!: string;
}

export type FileTransformation = ColumnMappingTransformation | TypeConversionTransformation | FilterTransformation;

class UnknownTransformation {
  @Discriminator(TRANSFORMATION_TYPES, 'parent') type!: string;
}

function transformationClass(raw: Record<string, unknown>): new () => object {
  switch (raw['type']) {
    case 'column_mapping':
      return ColumnMappingTransformation;
    case 'type_conversion':
      return TypeConversionTransformation;
    case 'filter':
      return FilterTransformation;
    default:
      return UnknownTransformation;
  }
}

/** `delimiter` is for csv; `sheet_name` / `sheet_index` (one of them) for excel. */
export class FileProcessingOptions {
  @Opt(str({ max: 10 })) delimiter?: string | null;
  @Opt(all(text, (_v, obj) => (obj['sheet_index'] !== undefined && obj['sheet_index'] !== null ? 'cannot be combined with sheet_index' : null)))
  sheet_name?: string | null;
  @Opt(int(0, 10_000)) sheet_index?: number | null;
  /** Applied in order to every row. */
  @Nested(transformationClass, { each: true, optional: true }) @Opt(arrayOfObjects())
  transformations?: FileTransformation[] | null;
  /** Process rows in chunks instead of loading the whole file. */
  @Opt(bool) streaming?: boolean | null;
}

const dataSource: Check = (v) => {
  if (typeof v === 'string') return v.trim() === '' ? 'must not be empty' : null;
  const result = json(v, {});
  if (result !== null) return result;
  return Array.isArray(v) ? null : 'must be a template string or an array of rows';
};

/**
 * `read`: `source_path` → rows. `write`: rows from `data_source` (a template such as
 * `{{steps.query.output.rows}}`, or an inline array) → `destination_path`.
 */
export class FileProcessingStepConfig {
  @Req(oneOf(FILE_OPERATIONS)) operation!: 'read' | 'write';
  @Req(oneOf(FILE_FORMATS)) format!: 'csv' | 'excel';
  @Field(onlyWhen('operation', 'read', text)) source_path?: string | null;
  @Field(onlyWhen('operation', 'write', text)) destination_path?: string | null;
  @FreeForm() @Field(onlyWhen('operation', 'write', dataSource)) data_source?: unknown;
  @Nested(() => FileProcessingOptions, { optional: true }) @Opt(object) options?: FileProcessingOptions | null;
}

// ---------------------------------------------------------------------------------------------
// sftp
// ---------------------------------------------------------------------------------------------

export class SftpPasswordAuth {
  @Discriminator(SFTP_AUTH_TYPES, 'parent') type!: 'password';
  @Req(text) username!: string;
  @Req(str({ min: 0 })) password!: string;
}

const present = (v: unknown): boolean => v !== undefined && v !== null;

/** Exactly one of `private_key_path` (a file on the worker) and `private_key` (PEM text). */
export class SftpKeyAuth {
  @Discriminator(SFTP_AUTH_TYPES, 'parent') type!: 'ssh_key';
  @Req(text) username!: string;
  @Field((v, obj) => {
    if (present(v)) return text(v, obj);
    return present(obj['private_key']) ? null : 'one of private_key_path and private_key is required';
  })
  private_key_path?: string | null;
  @Field((v, obj) => {
    if (!present(v)) return null;
    if (present(obj['private_key_path'])) return 'cannot be combined with private_key_path: give exactly one of them';
    return text(v, obj);
  })
  private_key?: string | null;
  @Opt(str({ min: 0 })) passphrase?: string | null;
}

export type SftpAuth = SftpPasswordAuth | SftpKeyAuth;

class UnknownSftpAuth {
  @Discriminator(SFTP_AUTH_TYPES, 'parent') type!: string;
}

function sftpAuthClass(raw: Record<string, unknown>): new () => object {
  switch (raw['type']) {
    case 'password':
      return SftpPasswordAuth;
    case 'ssh_key':
      return SftpKeyAuth;
    default:
      return UnknownSftpAuth;
  }
}

/** `host_key` is the expected fingerprint; without it (verify_host_key defaults to true) the worker's known_hosts decides. */
export class SftpOptions {
  @Opt(text) wildcard_pattern?: string | null;
  @Opt(bool) recursive?: boolean | null;
  @Opt(bool) create_directories?: boolean | null;
  @Opt(bool) verify_host_key?: boolean | null;
  @Opt(text) host_key?: string | null;
}

const hostName: Check = (v, obj) => {
  const base = text(v, obj);
  if (base !== null) return base;
  const host = v as string;
  if (hasTemplate(host)) return null;
  return /^[A-Za-z0-9._:[\]-]+$/.test(host) ? null : 'must be a host name or IP address';
};

/**
 * `download`: files matching `remote_path` (+ `options.wildcard_pattern`) are fetched; `local_path`
 * optionally names a sub-folder of the execution's download area. `upload`: `local_path` (a file
 * of the execution, templates allowed) is sent to `remote_path`.
 */
export class SftpStepConfig {
  @Req(oneOf(SFTP_OPERATIONS)) operation!: 'download' | 'upload';
  @Req(hostName) host!: string;
  @Opt(int(1, 65_535)) port: number = DEFAULT_SFTP_PORT;
  @Nested(sftpAuthClass) @Req(object) auth!: SftpAuth;
  @Req(text) remote_path!: string;
  @Field((v, obj) =>
    v === undefined || v === null ? (obj['operation'] === 'upload' ? 'is required when operation is upload' : null) : text(v, obj),
  )
  local_path?: string | null;
  @Nested(() => SftpOptions, { optional: true }) @Opt(object) options?: SftpOptions | null;
}

// ---------------------------------------------------------------------------------------------

export type StepConfig = HttpStepConfig | DatabaseStepConfig | FileProcessingStepConfig | SftpStepConfig;

/** Config of a step whose type is unknown: not checked (the step's `type` is reported). */
export class UnknownStepConfig {}

export function stepConfigClass(stepType: unknown): new () => object {
  switch (stepType) {
    case 'http':
      return HttpStepConfig;
    case 'database':
      return DatabaseStepConfig;
    case 'file_processing':
      return FileProcessingStepConfig;
    case 'sftp':
      return SftpStepConfig;
    default:
      return UnknownStepConfig;
  }
}
