export type { StepExecutor, StepRunContext } from './step-executor';
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
} from './errors';
export { holdsTemplate, validateStepConfig } from './validate-step-config';
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
} from './http/http.config';
export type { HttpMethod, HttpAuthType, HttpAuthConfig, JsonValue } from './http/http.config';
export { HttpExecutor, DEFAULT_MAX_RESPONSE_BYTES } from './http/http.executor';
export type { HttpExecutorOptions, HttpStepOutput } from './http/http.executor';
export { HttpStatusError, HttpNetworkError, HttpResponseTooLargeError, OAuth2TokenError } from './http/http.errors';
export { OAuth2TokenCache } from './http/oauth2-token-cache';
export type { OAuth2TokenCacheOptions, OAuth2CacheKeyParts } from './http/oauth2-token-cache';
export { DEFAULT_ROW_LIMITS, NDJSON_MIME_TYPE, ROW_PREVIEW_SIZE, RowCollector, isRowSource, readRows, rowRefKey } from './rows/row-data';
export type { CollectedRows, ReadRowsOptions, Row, RowCollectorOptions, RowLimits, RowRef } from './rows/row-data';
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
