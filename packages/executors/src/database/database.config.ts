import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  type ValidationArguments,
  type ValidationOptions,
} from 'class-validator';
import { isRowSource } from '../rows/row-data';
import { Secret } from '../secret-field';
import type { JsonValue } from '../http/http.config';

export const DATABASE_TYPES = ['postgresql', 'mysql', 'oracle'] as const;
export type DatabaseType = (typeof DATABASE_TYPES)[number];

export const QUERY_TYPES = ['raw_sql', 'stored_procedure'] as const;
export type QueryType = (typeof QUERY_TYPES)[number];

/** Accepted spellings of each database type. */
const DATABASE_TYPE_ALIASES: Record<string, DatabaseType> = {
  postgresql: 'postgresql',
  postgres: 'postgresql',
  pg: 'postgresql',
  mysql: 'mysql',
  mariadb: 'mysql',
  oracle: 'oracle',
};

/** `name`, `schema.name` or `db.schema.name`: never bound, so checked strictly. */
const PROCEDURE_NAME = /^[A-Za-z_][A-Za-z0-9_$#]*(\.[A-Za-z_][A-Za-z0-9_$#]*){0,2}$/;

/** Longest SQL text accepted (1 MiB). */
export const MAX_QUERY_LENGTH = 1024 * 1024;

/**
 * A stored procedure's OUT or IN OUT parameter, written as an item of `parameters`:
 * `{"direction": "out", "name": "total", "type": "number"}` or
 * `{"direction": "inout", "name": "counter", "value": 1}`. Every other item is an IN value
 * (to pass an object that has a `direction` key as a value, wrap it: `{"direction": "in", "value": {...}}`).
 */
export interface ProcedureParameterSpec {
  direction: 'in' | 'out' | 'inout';
  /** Key of the value in `output.out`. Default `p<position>`. */
  name?: string;
  /** Oracle only (bind type of an OUT value): string (default), number, date, clob, json. */
  type?: 'string' | 'number' | 'date' | 'clob' | 'json';
  /** The IN value of an `in`/`inout` parameter. */
  value?: JsonValue;
}

/** Whether a parameter item is a `{direction, …}` spec (stored procedures). */
export function isProcedureParameterSpec(value: unknown): value is ProcedureParameterSpec {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const direction = (value as { direction?: unknown }).direction;
  return direction === 'in' || direction === 'out' || direction === 'inout';
}

function validator(name: string, problem: (value: unknown, args?: ValidationArguments) => string | undefined, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name,
      validator: {
        validate: (value: unknown, args?: ValidationArguments) => problem(value, args) === undefined,
        defaultMessage: (args?: ValidationArguments) => problem(args?.value, args) ?? 'is invalid',
      },
    },
    options,
  );
}

/** A list of JSON values (each bound as one parameter); `{direction, …}` items only for stored procedures. */
function IsParameterList(): PropertyDecorator {
  return validator('isParameterList', (value, args) => {
    if (!Array.isArray(value)) return 'must be an array of values';
    const procedure = (args?.object as { query_type?: unknown } | undefined)?.query_type === 'stored_procedure';
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === undefined) return `item ${i} must be a JSON value`;
      if (!isProcedureParameterSpec(item)) continue;
      if (!procedure && item.direction !== 'in') return `item ${i}: OUT parameters are for stored procedures only`;
      const { name, type } = item as { name?: unknown; type?: unknown };
      if (name !== undefined && (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))) {
        return `item ${i}: name must be a letter or _ followed by letters, digits or _`;
      }
      if (type !== undefined && !['string', 'number', 'date', 'clob', 'json'].includes(type as string)) {
        return `item ${i}: type must be one of string, number, date, clob, json`;
      }
    }
    return undefined;
  });
}

/** An array of row objects, `{data_ref}` / `{rows_ref}`, or an earlier step's output holding rows. */
function IsRowSource(): PropertyDecorator {
  return validator('isRowSource', (value) =>
    isRowSource(value) ? undefined : 'must be an array of row objects, a {data_ref}/{rows_ref}, or a step output holding rows ({data} or {rows})',
  );
}

/** The connection string's scheme must match the database type. */
function IsConnectionString(): PropertyDecorator {
  return validator('isConnectionString', (value, args) => {
    if (typeof value !== 'string' || value.trim() === '') return 'must be a non-empty string';
    const type = (args?.object as { database_type?: unknown } | undefined)?.database_type;
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
    if (type === 'postgresql' && scheme !== 'postgres' && scheme !== 'postgresql') {
      return 'must be a postgres:// or postgresql:// URL';
    }
    if (type === 'mysql' && scheme !== 'mysql' && scheme !== 'mariadb') return 'must be a mysql:// or mariadb:// URL';
    if (type === 'oracle' && scheme !== 'oracle') return 'must be an oracle://user:password@host:port/service URL';
    return undefined;
  });
}

/** One statement of a `statements` list. */
export class DatabaseStatementConfig {
  /** SQL text; templates in it become bind parameters. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_QUERY_LENGTH)
  query!: string;

  /** Values bound to the statement's placeholders (`$1`, `?`, `:1`). */
  @IsOptional()
  @Transform(({ obj }: { obj: Record<string, unknown> }) => obj.parameters, { toClassOnly: true })
  @IsParameterList()
  parameters?: JsonValue[];
}

/**
 * Config of a `database` step: SQL against a target database that belongs to the user.
 *
 * Exactly one of `query` (raw_sql), `procedure_name` (stored_procedure) or `statements` says
 * what runs. Templates inside `query` and `statements[].query` are never spliced into SQL: each
 * becomes a bind parameter (see sql-binder.ts).
 */
export class DatabaseStepConfig {
  /** `postgresql` (also `postgres`, `pg`), `mysql` (also `mariadb`) or `oracle`. */
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? (DATABASE_TYPE_ALIASES[value.toLowerCase()] ?? value) : value,
  )
  @IsIn(DATABASE_TYPES, { message: `must be one of ${DATABASE_TYPES.join(', ')}` })
  database_type!: DatabaseType;

  /**
   * `postgres://user:password@host:5432/db?sslmode=require`, `mysql://user:password@host:3306/db`,
   * `oracle://user:password@host:1521/service_name`. Credentials usually come from `${VARS}`.
   * Secret (it holds credentials): a literal value is replaced by a placeholder in job exports.
   */
  @Secret()
  @IsConnectionString()
  connection_string!: string;

  /** `raw_sql` (default) or `stored_procedure`. */
  @IsIn(QUERY_TYPES, { message: `must be one of ${QUERY_TYPES.join(', ')}` })
  query_type: QueryType = 'raw_sql';

  /** SQL text (raw_sql). With `data`, a per-row statement whose `:column` placeholders take each row's values. */
  @ValidateIf((o: DatabaseStepConfig) => o.query !== undefined || (o.query_type !== 'stored_procedure' && o.statements === undefined))
  @validator('isQuery', (value, args) => {
    const o = args?.object as DatabaseStepConfig | undefined;
    if (value === undefined || value === null) return 'must be a string (required for raw_sql unless statements is set)';
    if (typeof value !== 'string') return 'must be a string';
    if (value.trim() === '') return 'must not be empty';
    if (value.length > MAX_QUERY_LENGTH) return `must be at most ${MAX_QUERY_LENGTH} characters`;
    if (o?.query_type === 'stored_procedure') return 'must not be set for stored_procedure (use procedure_name)';
    if (o?.statements !== undefined) return 'must not be set together with statements';
    return undefined;
  })
  query?: string;

  /** Procedure to CALL (stored_procedure): `name` or `schema.name`, never bound, so checked strictly. */
  @ValidateIf((o: DatabaseStepConfig) => o.query_type === 'stored_procedure' || o.procedure_name !== undefined)
  @validator('isProcedureName', (value, args) => {
    if (typeof value !== 'string') return 'must be a string (required for stored_procedure)';
    if (!PROCEDURE_NAME.test(value)) return 'must be a procedure name such as name or schema.name (letters, digits, _, $, #)';
    if ((args?.object as DatabaseStepConfig | undefined)?.query_type !== 'stored_procedure') return 'is only for query_type stored_procedure';
    return undefined;
  })
  procedure_name?: string;

  /**
   * Values bound to the placeholders (`$1`, `?`, `:1`) or the procedure's arguments, in order.
   * An item may be a template keeping its JSON type; objects and arrays are bound as JSON text.
   */
  @IsOptional()
  @Transform(({ obj }: { obj: Record<string, unknown> }) => obj.parameters, { toClassOnly: true })
  @IsParameterList()
  parameters?: JsonValue[];

  /** Statements run in order (in one transaction when `transaction` is true). */
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => DatabaseStatementConfig)
  @validator('statementsFit', (value, args) =>
    value !== undefined && (args?.object as DatabaseStepConfig | undefined)?.query_type === 'stored_procedure'
      ? 'is only for raw_sql'
      : undefined,
  )
  statements?: DatabaseStatementConfig[];

  /** Run everything the step does (the statements, or all batches of `data`) in one transaction; roll back on any failure. */
  @IsBoolean()
  transaction: boolean = false;

  /**
   * Rows to write with the per-row statement `query` (its `:column` placeholders): an array of
   * row objects, `{data_ref}` / `{rows_ref}` (streamed, never loaded whole), or an earlier step's
   * whole output — `{{steps.read.output}}` of a file read (`{data}` or `{data_ref}`) or of a
   * database query (`{rows}` or `{rows_ref}`), which works whatever the size.
   */
  @IsOptional()
  @Transform(({ obj }: { obj: Record<string, unknown> }) => obj.data, { toClassOnly: true })
  @IsRowSource()
  @validator('dataFits', (value, args) => {
    const o = args?.object as DatabaseStepConfig | undefined;
    if (value === undefined) return undefined;
    if (o?.query_type === 'stored_procedure' || o?.statements !== undefined) return 'needs query_type raw_sql with a query';
    return undefined;
  })
  data?: Record<string, unknown>[] | { data_ref?: string; rows_ref?: string; data?: Record<string, unknown>[]; rows?: Record<string, unknown>[] };

  /** Rows per batch when writing `data` (one multi-row INSERT or one driver batch). */
  @IsInt()
  @Min(1)
  @Max(10_000)
  batch_size: number = 1000;

  /** Step timeout: the running query is cancelled on the server when it elapses. */
  @IsInt()
  @Min(1)
  @Max(86_400)
  timeout_seconds: number = 300;
}
