/** The version of vecron this api is (export files record it as `system_version`). */
export const SYSTEM_VERSION = '0.1.0';
