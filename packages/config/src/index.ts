export { loadConfig, ConfigValidationError } from './load-config';
export type { ConfigIssue } from './load-config';
export { BaseEnv, toBool } from './base.env';
export { closeOnSignals, runMain } from './process-lifecycle';
export type { Closable } from './process-lifecycle';
export { databaseOptions, queueOptions, storageOptions } from './service-options';
export type { DatabaseConnectionOptions, QueueConnectionOptions, StorageConnectionOptions } from './service-options';
export { createLogger, loggerModule, LOG_TRACE_SPAN, REDACTED_LOG_PATHS } from './logger.module';
export type { CreateLoggerOptions } from './logger.module';
