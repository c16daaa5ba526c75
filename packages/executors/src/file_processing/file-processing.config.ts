import { Transform, Type } from 'class-transformer';
import {
  Allow,
  ArrayNotEmpty,
  Equals,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  type ValidationArguments,
  type ValidationOptions,
} from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';
import { parseCondition } from '@vecron/context';
import { isRowSource } from '../rows/row-data';

export const FILE_OPERATIONS = ['read', 'write'] as const;
export type FileOperation = (typeof FILE_OPERATIONS)[number];

export const FILE_FORMATS = ['csv', 'excel'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

/** `auto` detects the delimiter from the first lines of the file. */
export const CSV_DELIMITERS = [',', ';', '\t', '|', 'auto'] as const;
export type CsvDelimiter = (typeof CSV_DELIMITERS)[number];

/** `auto`: UTF-16 LE/BE when the file starts with their BOM, otherwise UTF-8 (a UTF-8 BOM is dropped). */
export const FILE_ENCODINGS = ['auto', 'utf-8', 'utf-16le', 'utf-16be', 'windows-1258', 'windows-1252', 'latin1'] as const;
export type FileEncoding = (typeof FILE_ENCODINGS)[number];

export const TRANSFORMATION_TYPES = ['column_mapping', 'type_conversion', 'filter', 'select', 'rename_all'] as const;
export type TransformationType = (typeof TRANSFORMATION_TYPES)[number];

export const CONVERSION_TARGET_TYPES = ['string', 'integer', 'decimal', 'number', 'boolean', 'date', 'datetime'] as const;
export type ConversionTargetType = (typeof CONVERSION_TARGET_TYPES)[number];

export const RENAME_STYLES = ['snake_case', 'lower', 'upper', 'trim'] as const;
export type RenameStyle = (typeof RENAME_STYLES)[number];

export const ON_ERROR_MODES = ['fail', 'skip'] as const;
export type OnErrorMode = (typeof ON_ERROR_MODES)[number];

export const LINE_ENDINGS = ['lf', 'crlf'] as const;
export type LineEnding = (typeof LINE_ENDINGS)[number];

/** Tokens a date `format` may use; any other letter is refused. */
export const DATE_FORMAT_TOKENS = ['YYYY', 'YY', 'MM', 'M', 'DD', 'D', 'HH', 'H', 'mm', 'ss', 'SSS'] as const;
const DATE_FORMAT_PATTERN = /^(?:YYYY|YY|MM|M|DD|D|HH|H|mm|ss|SSS|[^A-Za-z])+$/;

/**
 * A filter condition in the condition language, with row keys as paths
 * (`amount > 100 && status == 'paid'`, `['Customer Name'] != ''`). Parsed here, so a bad
 * condition is refused when the job is saved, with the parser's reason and position.
 */
export function IsRowCondition(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isRowCondition',
      validator: {
        validate: (value: unknown) => conditionProblem(value) === undefined,
        defaultMessage: (args?: ValidationArguments) => conditionProblem(args?.value) ?? 'must be a valid condition',
      },
    },
    options,
  );
}

function conditionProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return 'must be a non-empty condition string';
  try {
    parseCondition(value, { anyRoot: true });
    return undefined;
  } catch (err) {
    return `is not a valid condition: ${(err as Error).message}`;
  }
}

/**
 * Rows to write: an array of row objects, a step's output (a read's `{data: [...]}` or
 * `{data_ref}`, a database result's `{rows: [...]}` or `{rows_ref}`), or `{data_ref}` /
 * `{rows_ref}` (a key in this job's folder, streamed).
 */
export function IsDataSource(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isDataSource',
      validator: {
        validate: (value: unknown) => isDataSource(value),
        defaultMessage: () => 'must be an array of rows, a step output ({data}, {rows}, {data_ref} or {rows_ref}) or {data_ref}/{rows_ref}',
      },
    },
    options,
  );
}

function isDataSource(value: unknown): boolean {
  return isRowSource(value);
}

/** Most files one read takes with `source_files`. */
export const MAX_SOURCE_FILES = 1000;

function sourceFilesProblem(value: unknown): string | undefined {
  if (!Array.isArray(value)) return 'must be an array of object keys or of file entries with a path';
  if (value.length > MAX_SOURCE_FILES) return `must contain at most ${MAX_SOURCE_FILES} files`;
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    const path = item !== null && typeof item === 'object' && !Array.isArray(item) ? (item as { path?: unknown }).path : item;
    if (typeof path !== 'string' || path.trim() === '' || path.length > 1024) return `item ${i} must be a non-empty key (at most 1024 characters) or an object with such a path`;
  }
  return undefined;
}

/** `source_files`: object keys, or file entries `{path, …}` (the other fields are ignored). */
function IsSourceFiles(): PropertyDecorator {
  return ValidateBy({
    name: 'isSourceFiles',
    validator: {
      validate: (value: unknown) => sourceFilesProblem(value) === undefined,
      defaultMessage: (args?: ValidationArguments) => sourceFilesProblem(args?.value) ?? 'is invalid',
    },
  });
}

/** A date/datetime parse format made of DATE_FORMAT_TOKENS and separators. */
function IsDateFormat(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isDateFormat',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && DATE_FORMAT_PATTERN.test(value),
        defaultMessage: () => `must be made of ${DATE_FORMAT_TOKENS.join(' ')} and separators`,
      },
    },
    options,
  );
}

/** Refuses a field unless `predicate(object)` holds (a cross-field error on this field). */
function OnlyWhen(predicate: (obj: Record<string, unknown>) => boolean, message: string): PropertyDecorator {
  return ValidateBy({
    name: 'onlyWhen',
    validator: {
      validate: (value: unknown, args?: ValidationArguments) =>
        value === undefined || value === null || predicate((args?.object ?? {}) as Record<string, unknown>),
      defaultMessage: () => message,
    },
  });
}

/** A non-empty string of at most `max` characters; one message per problem ("is required" when missing). */
function PathText(max: number, required: string): PropertyDecorator {
  const problem = (v: unknown): string | undefined => {
    if (v === undefined || v === null) return required;
    if (typeof v !== 'string' || v.trim() === '') return 'must be a non-empty string';
    if (v.length > max) return `must be at most ${max} characters`;
    return undefined;
  };
  return ValidateBy({
    name: 'pathText',
    validator: {
      validate: (v: unknown) => problem(v) === undefined,
      defaultMessage: (args?: ValidationArguments) => problem(args?.value) ?? 'must be a non-empty string',
    },
  });
}

/** Fallback when a transformation's `type` is missing or unknown: reports only the bad `type`. */
export class FileTransformationBase {
  @IsIn(TRANSFORMATION_TYPES, { message: `must be one of ${TRANSFORMATION_TYPES.join(', ')}` })
  type!: TransformationType;

  // Fields of the concrete transformations, tolerated here so that a bad `type` is the only issue.
  @Allow() from?: unknown;
  @Allow() to?: unknown;
  @Allow() column?: unknown;
  @Allow() target_type?: unknown;
  @Allow() format?: unknown;
  @Allow() scale?: unknown;
  @Allow() decimal_separator?: unknown;
  @Allow() thousands_separator?: unknown;
  @Allow() condition?: unknown;
  @Allow() columns?: unknown;
  @Allow() style?: unknown;
}

/** Renames column `from` to `to` (same position). */
export class ColumnMappingTransformation {
  @Equals('column_mapping')
  type!: 'column_mapping';

  @IsString()
  @IsNotEmpty()
  from!: string;

  @IsString()
  @IsNotEmpty()
  to!: string;
}

/**
 * Converts the values of `column`. An empty value (empty string or missing cell) becomes null
 * for every target except `string`. `decimal` keeps exact values as strings (decimal.js, never a
 * binary float); `scale` rounds half-up to that many decimals. `date` gives `YYYY-MM-DD`,
 * `datetime` gives `YYYY-MM-DDTHH:mm:ss[.SSS]` (a value with a zone is converted to UTC and ends
 * with `Z`); `format` (tokens YYYY YY MM M DD D HH H mm ss SSS) says how the source is written,
 * e.g. `DD/MM/YYYY`. `decimal_separator` / `thousands_separator` read numbers like `1.234,56`.
 */
export class TypeConversionTransformation {
  @Equals('type_conversion')
  type!: 'type_conversion';

  @IsString()
  @IsNotEmpty()
  column!: string;

  @IsIn(CONVERSION_TARGET_TYPES, { message: `must be one of ${CONVERSION_TARGET_TYPES.join(', ')}` })
  target_type!: ConversionTargetType;

  /** Source format for date / datetime. */
  @IsOptional()
  @IsDateFormat()
  @OnlyWhen((o) => o.target_type === 'date' || o.target_type === 'datetime', 'is only for target_type date or datetime')
  format?: string;

  /** Decimals kept by a `decimal` conversion (rounded half-up). */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(30)
  @OnlyWhen((o) => o.target_type === 'decimal', 'is only for target_type decimal')
  scale?: number;

  @IsOptional()
  @IsIn(['.', ','], { message: 'must be "." or ","' })
  @OnlyWhen((o) => ['integer', 'decimal', 'number'].includes(o.target_type as string), 'is only for numeric target types')
  decimal_separator?: '.' | ',';

  @IsOptional()
  @IsIn([',', '.', ' ', "'", '_'], { message: `must be one of ",", ".", " ", "'", "_"` })
  @OnlyWhen((o) => ['integer', 'decimal', 'number'].includes(o.target_type as string), 'is only for numeric target types')
  @ValidateBy({
    name: 'notDecimalSeparator',
    validator: {
      validate: (v: unknown, args?: ValidationArguments) =>
        v === undefined || v !== ((args?.object as { decimal_separator?: string }).decimal_separator ?? '.'),
      defaultMessage: () => 'must differ from the decimal separator',
    },
  })
  thousands_separator?: string;
}

/** Keeps the rows for which `condition` is true (the condition language over the row's columns). */
export class FilterTransformation {
  @Equals('filter')
  type!: 'filter';

  @IsRowCondition()
  condition!: string;
}

/** Keeps only `columns`, in that order. */
export class SelectTransformation {
  @Equals('select')
  type!: 'select';

  @IsArray()
  @ArrayNotEmpty()
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  columns!: string[];
}

/** Renames every column: `snake_case` (`Số tiền (VND)` → `số_tiền_vnd`), `lower`, `upper` or `trim`. */
export class RenameAllTransformation {
  @Equals('rename_all')
  type!: 'rename_all';

  @IsIn(RENAME_STYLES, { message: `must be one of ${RENAME_STYLES.join(', ')}` })
  style!: RenameStyle;
}

export type FileTransformation =
  | ColumnMappingTransformation
  | TypeConversionTransformation
  | FilterTransformation
  | SelectTransformation
  | RenameAllTransformation;

/** Most rows/bytes kept inline in the read output before it moves to a `data_ref`. */
export class InlineLimitConfig {
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  max_rows?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100 * 1024 * 1024)
  max_bytes?: number;
}

/**
 * `config.options`. Read: csv (`delimiter`, `quote`, `escape`, `encoding`, `has_header`,
 * `skip_empty_lines`, `trim`) or excel (`sheet_name` or `sheet_index`, or `all_sheets`), then
 * `transformations` in order; `on_error`. Write: `columns` (order), `has_header`, csv
 * (`delimiter`, `line_ending`, `bom`) or excel (`sheet_name`, `column_formats`).
 * Options of the other format are ignored.
 */
export class FileProcessingOptions {
  /** CSV field delimiter; read default `auto` (detected from the first lines), write default `,`. */
  @IsOptional()
  @IsIn(CSV_DELIMITERS, { message: 'must be one of ",", ";", "\\t", "|", "auto"' })
  delimiter?: CsvDelimiter;

  /** CSV quote character (default `"`). */
  @IsOptional()
  @IsString()
  @Length(1, 1)
  quote?: string;

  /** CSV escape character inside quotes (default `"`, i.e. `""`). */
  @IsOptional()
  @IsString()
  @Length(1, 1)
  escape?: string;

  /** Encoding of a CSV to read (default `auto`). */
  @IsOptional()
  @IsIn(FILE_ENCODINGS, { message: `must be one of ${FILE_ENCODINGS.join(', ')}` })
  encoding?: FileEncoding;

  /** The first row holds the column names (default true); without it columns are `column_1`, `column_2`, … or `columns`. */
  @IsOptional()
  @IsBoolean()
  has_header?: boolean;

  /**
   * Read: names of the columns when `has_header` is false. Write: the columns written, in this
   * order (default: the source's `columns`, else the keys of the first row).
   */
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  columns?: string[];

  /** Skip lines that hold nothing (default true). */
  @IsOptional()
  @IsBoolean()
  skip_empty_lines?: boolean;

  /** Trim spaces around CSV fields (default false). */
  @IsOptional()
  @IsBoolean()
  trim?: boolean;

  /** Excel: the sheet to read (default the first), or the sheet written (default `Sheet1`). */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(31)
  @OnlyWhen((o) => o.sheet_index === undefined || o.sheet_index === null, 'cannot be combined with sheet_index')
  @OnlyWhen((o) => o.all_sheets !== true, 'cannot be combined with all_sheets')
  sheet_name?: string;

  /** Excel: the sheet to read by position, 0 = first. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10_000)
  @OnlyWhen((o) => o.all_sheets !== true, 'cannot be combined with all_sheets')
  sheet_index?: number;

  /** Excel read: every sheet, output `{sheets: {name: {data, row_count, columns, …}}}`. */
  @IsOptional()
  @IsBoolean()
  all_sheets?: boolean;

  /** Applied in order to every row as the file streams. */
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => FileTransformationBase, {
    keepDiscriminatorProperty: true,
    discriminator: {
      property: 'type',
      subTypes: [
        { name: 'column_mapping', value: ColumnMappingTransformation },
        { name: 'type_conversion', value: TypeConversionTransformation },
        { name: 'filter', value: FilterTransformation },
        { name: 'select', value: SelectTransformation },
        { name: 'rename_all', value: RenameAllTransformation },
      ],
    },
  })
  transformations?: FileTransformation[];

  /** A row that cannot be read or converted: `fail` the step (default) or `skip` it (counted, first 100 listed). */
  @IsOptional()
  @IsIn(ON_ERROR_MODES, { message: `must be one of ${ON_ERROR_MODES.join(', ')}` })
  on_error?: OnErrorMode;

  /** Accepted for compatibility: files are always streamed. */
  @IsOptional()
  @IsBoolean()
  streaming?: boolean;

  /** Read: inline limits of the output (default 10,000 rows / 10 MB, or the worker's setting). */
  @IsOptional()
  @IsObject({ message: 'must be an object' })
  @ValidateNested()
  @Type(() => InlineLimitConfig)
  inline_limit?: InlineLimitConfig;

  /** Read with `destination_path`, CSV written: its delimiter (default `,`; `delimiter` is the source's). */
  @IsOptional()
  @IsIn([',', ';', '\t', '|'], { message: 'must be one of ",", ";", "\\t", "|"' })
  output_delimiter?: ',' | ';' | '\t' | '|';

  /** Read with `destination_path`, XLSX written: its sheet name (default `Sheet1`; `sheet_name` is the sheet read). */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(31)
  output_sheet_name?: string;

  /** CSV write: `lf` (default) or `crlf`. */
  @IsOptional()
  @IsIn(LINE_ENDINGS, { message: 'must be lf or crlf' })
  line_ending?: LineEnding;

  /** CSV write: start with a UTF-8 BOM (Excel then opens Vietnamese text correctly). Default false. */
  @IsOptional()
  @IsBoolean()
  bom?: boolean;

  /**
   * Excel write: number format per column (`{"amount": "#,##0.00", "value_date": "dd/mm/yyyy"}`).
   * In such a column a numeric string is written as a number and an ISO date string as a date.
   */
  @IsOptional()
  @ValidateBy({
    name: 'isFormatRecord',
    validator: {
      validate: (v: unknown) =>
        v !== null &&
        typeof v === 'object' &&
        !Array.isArray(v) &&
        Object.values(v).every((f) => typeof f === 'string' && f.length > 0 && f.length <= 100),
      defaultMessage: () => 'must be an object of column name to an Excel number format',
    },
  })
  @Transform(({ obj }: { obj: Record<string, unknown> }) => obj.column_formats, { toClassOnly: true })
  column_formats?: Record<string, string>;
}

/**
 * Config of a `file_processing` step. `read`: `source_path` (a key relative to the execution's
 * folder, a full key in this job's folder, or a template giving one) → rows. `write`: rows from
 * `data_source` → `destination_path` under the execution's `output/` folder.
 */
export class FileProcessingStepConfig {
  @IsIn(FILE_OPERATIONS, { message: `must be one of ${FILE_OPERATIONS.join(', ')}` })
  operation!: FileOperation;

  @IsIn(FILE_FORMATS, { message: `must be one of ${FILE_FORMATS.join(', ')}` })
  format!: FileFormat;

  /** Read: the file to read (or `source_files`). */
  @ValidateIf(
    (o: FileProcessingStepConfig) =>
      (o.operation === 'read' && (o.source_files === undefined || o.source_files === null)) || (o.source_path !== undefined && o.source_path !== null),
  )
  @OnlyWhen((o) => o.operation === 'read', 'is only for operation read')
  @PathText(1024, 'is required for operation read')
  source_path?: string;

  /**
   * Read: several files read as one output, in list order — object keys, or file entries with a
   * `path` such as an sftp download's `{{steps.download.output.files}}`. Each file has its own
   * header; after transformations every file must have the first file's columns
   * (`FILE_COLUMNS_DIFFER`). An empty list reads no rows. Instead of `source_path`.
   */
  @ValidateIf((o: FileProcessingStepConfig) => o.source_files !== undefined && o.source_files !== null)
  @OnlyWhen((o) => o.operation === 'read', 'is only for operation read')
  @OnlyWhen((o) => o.source_path === undefined || o.source_path === null, 'cannot be combined with source_path')
  @OnlyWhen((o) => (o.options as { all_sheets?: unknown } | undefined)?.all_sheets !== true, 'cannot be combined with options.all_sheets')
  @Transform(({ obj }: { obj: Record<string, unknown> }) => obj.source_files, { toClassOnly: true })
  @IsSourceFiles()
  @JSONSchema({
    anyOf: [
      { type: 'array', maxItems: MAX_SOURCE_FILES, items: { anyOf: [{ type: 'string' }, { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] }] } },
      { type: 'string', description: 'a template giving such an array, e.g. {{steps.download.output.files}}' },
    ],
  })
  source_files?: (string | { path: string })[];

  /**
   * Write: file name (may contain sub-folders) under `jobs/{job}/executions/{execution}/output/`.
   * Read (optional): **single pass** — the transformed rows are written to this file as the
   * source streams (parse → transform → stringify → upload), instead of being returned as
   * `data`/`data_ref`; the output is then `{files, row_count, rows_read, columns, rejected}` like a
   * write's, and the file is added to the context's `files`. The file has a header row; its
   * format is `destination_format` (default: `format`), its options `output_delimiter`,
   * `line_ending`, `bom`, `output_sheet_name`, `column_formats`.
   */
  @ValidateIf((o: FileProcessingStepConfig) => o.operation === 'write' || (o.destination_path !== undefined && o.destination_path !== null))
  @OnlyWhen((o) => (o.options as { all_sheets?: unknown } | undefined)?.all_sheets !== true, 'cannot be combined with options.all_sheets')
  @PathText(512, 'is required for operation write')
  destination_path?: string;

  /** Read with `destination_path`: the format of the file written (default: the read's `format`). */
  @IsOptional()
  @IsIn(FILE_FORMATS, { message: `must be one of ${FILE_FORMATS.join(', ')}` })
  @OnlyWhen((o) => o.operation === 'read' && o.destination_path !== undefined && o.destination_path !== null, 'is only for operation read with destination_path (a write uses format)')
  destination_format?: FileFormat;

  /** Write: the rows (usually a template such as `{{steps.read.output}}` or `{{steps.query.output}}`). */
  @ValidateIf((o: FileProcessingStepConfig) => o.operation === 'write' || o.data_source !== undefined)
  @OnlyWhen((o) => o.operation === 'write', 'is only for operation write')
  @Transform(({ obj }: { obj: Record<string, unknown> }) => obj.data_source, { toClassOnly: true })
  @IsDataSource()
  data_source?: unknown;

  @IsOptional()
  @IsObject({ message: 'must be an object' })
  @ValidateNested()
  @Type(() => FileProcessingOptions)
  options?: FileProcessingOptions;

  @IsInt()
  @Min(1)
  @Max(86_400)
  timeout_seconds: number = 3600;
}
