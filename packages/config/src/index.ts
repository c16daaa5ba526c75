export { loadConfig, ConfigValidationError } from './load-config';
export type { ConfigIssue } from './load-config';
export { BaseEnv, toBool } from './base.env';
export { closeOnSignals, runMain } from './process-lifecycle';
export type { Closable } from './process-lifecycle';
export { databaseOptions, queueOptions, storageOptions } from './service-options';
export type { DatabaseConnectionOptions, QueueConnectionOptions, StorageConnectionOptions } from './service-options';
