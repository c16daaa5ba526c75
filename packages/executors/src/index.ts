export type { ResolveTemplates, StepExecutor, StepRunContext } from './step-executor';
export type { StepConfigIssue, StepErrorOptions, StepErrorJson } from './errors';
export {
  StepError,
  RetryableStepError,
  UnrecoverableStepError,
  StepConfigError,
  StepAbortedError,
  StepTimeoutError,
  UnknownStepTypeError,
  wrapStepError,
  CircuitOpenError,
  isTargetFailure,
} from './errors';
export { holdsTemplate, validateStepConfig } from './validate-step-config';
export { Secret } from './secret-field';
export type { StepConfigMode, ValidateStepConfigOptions } from './validate-step-config';
export { ExecutorRegistry } from './executor-registry';
export type { AnyStepExecutor } from './executor-registry';
export { createBuiltInExecutors } from './built-in-executors';
export type { BuiltInExecutorsOptions } from './built-in-executors';
export { ExecutorsModule, EXECUTOR_REGISTRY } from './executors.module';
export type { ExecutorsModuleOptions, ExecutorsModuleAsyncOptions } from './executors.module';
export {
  HttpStepConfig,
  HttpAuthConfigBase,
  HttpBasicAuthConfig,
  HttpBearerAuthConfig,
  HttpOAuth2AuthConfig,
  HTTP_METHODS,
  HTTP_AUTH_TYPES,
  SECRET_HEADER_NAMES,
} from './http/http.config';
export type { HttpMethod, HttpAuthType, HttpAuthConfig, JsonValue } from './http/http.config';
export { HttpExecutor, DEFAULT_IDEMPOTENCY_KEY_HEADER, DEFAULT_MAX_RESPONSE_BYTES, httpCircuitTarget } from './http/http.executor';
export type { HttpExecutorOptions, HttpStepOutput } from './http/http.executor';
export { HttpStatusError, HttpNetworkError, HttpResponseTooLargeError, OAuth2TokenError } from './http/http.errors';
export { OAuth2TokenCache } from './http/oauth2-token-cache';
export type { OAuth2TokenCacheOptions, OAuth2CacheKeyParts } from './http/oauth2-token-cache';
export { DEFAULT_ROW_LIMITS, NDJSON_MIME_TYPE, ROW_PREVIEW_SIZE, RowCollector, isRowSource, readRows, rowRefKey } from './rows/row-data';
export type { CollectedRows, ReadRowsOptions, Row, RowCollectorOptions, RowLimits, RowRef } from './rows/row-data';
export {
  DatabaseStepConfig,
  DatabaseStatementConfig,
  DATABASE_TYPES,
  QUERY_TYPES,
  MAX_QUERY_LENGTH,
  isProcedureParameterSpec,
} from './database/database.config';
export type { DatabaseType, QueryType, ProcedureParameterSpec } from './database/database.config';
export { DatabaseExecutor } from './database/database.executor';
export type { DatabaseExecutorOptions } from './database/database.executor';
export type { DatabaseResultSet, DatabaseStatementOutput, DatabaseStepOutput } from './database/database.output';
export { DatabaseError, toDatabaseError } from './database/database.errors';
export type { DatabaseErrorKind } from './database/database.errors';
export { SqlTemplateError, parseSql, renderSql, renderRows, splitValuesGroup } from './database/sql-binder';
export type { SqlPiece, BoundSql, ParseSqlOptions } from './database/sql-binder';
export { PoolCache } from './database/pool-cache';
export type { PoolCacheOptions } from './database/pool-cache';
export {
  FileProcessingStepConfig,
  FileProcessingOptions,
  FileTransformationBase,
  ColumnMappingTransformation,
  TypeConversionTransformation,
  FilterTransformation,
  SelectTransformation,
  RenameAllTransformation,
  InlineLimitConfig,
  IsRowCondition,
  FILE_OPERATIONS,
  FILE_FORMATS,
  CSV_DELIMITERS,
  FILE_ENCODINGS,
  TRANSFORMATION_TYPES,
  CONVERSION_TARGET_TYPES,
  RENAME_STYLES,
  ON_ERROR_MODES,
  LINE_ENDINGS,
} from './file_processing/file-processing.config';
export type {
  FileOperation,
  FileFormat,
  CsvDelimiter,
  FileEncoding,
  TransformationType,
  ConversionTargetType,
  RenameStyle,
  OnErrorMode,
  LineEnding,
  FileTransformation,
} from './file_processing/file-processing.config';
export { FileProcessingExecutor, CSV_MIME_TYPE, XLSX_MIME_TYPE, MAX_LISTED_REJECTS } from './file_processing/file-processing.executor';
export type { FileProcessingExecutorOptions } from './file_processing/file-processing.executor';
export type { CsvWorkerOptions, CsvWorkerData } from './file_processing/csv-worker.reader';
export type { XlsxWorkerOptions, XlsxWorkerData } from './file_processing/xlsx-worker.reader';
export type {
  FileProcessingOutput,
  FileReadOutput,
  FileReadToFileOutput,
  FileReadAllSheetsOutput,
  FileRowsOutput,
  FileWriteOutput,
  RejectedRow,
  RejectedRows,
} from './file_processing/file-processing.output';
export {
  FileFormatError,
  FileRowError,
  FileColumnNotFoundError,
  FileSheetNotFoundError,
  FileNotFoundError,
} from './file_processing/file-processing.errors';
export type { FileLocation } from './file_processing/file-processing.errors';
export {
  SftpStepConfig,
  SftpAuthConfigBase,
  SftpPasswordAuthConfig,
  SftpKeyAuthConfig,
  SftpOptionsConfig,
  SFTP_OPERATIONS,
  SFTP_AUTH_TYPES,
  DEFAULT_SFTP_PORT,
  DEFAULT_SFTP_TIMEOUT_SECONDS,
} from './sftp/sftp.config';
export type { SftpOperation, SftpAuthType, SftpAuthConfig } from './sftp/sftp.config';
export { SftpExecutor } from './sftp/sftp.executor';
export type { SftpExecutorOptions, SftpStepOutput, SftpFileResult } from './sftp/sftp.executor';
export {
  SftpConnectionError,
  SftpAuthError,
  SftpPrivateKeyError,
  SftpHostKeyError,
  SftpFileNotFoundError,
  SftpPermissionError,
  SftpTransferError,
  SftpKnownHostsError,
} from './sftp/sftp.errors';
export { parseKnownHosts, sha256Fingerprint, hexDigestToFingerprint, knownHostsName } from './sftp/known-hosts';
export type { KnownHostEntry } from './sftp/known-hosts';
