export { loadConfig, ConfigValidationError } from './load-config';
export type { ConfigIssue } from './load-config';
export { BaseEnv, toBool } from './base.env';
