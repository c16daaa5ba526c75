import type { BaseEnv } from './base.env';

/** What the database layer needs from the environment (matches @vecron/db's module options). */
export interface DatabaseConnectionOptions {
  connectionString: string;
  poolSize: number;
  applicationName: string;
  encryptionKeys?: string;
  encryptionKeyId?: string;
}

/** What object storage needs from the environment (matches @vecron/storage's MinIO options). */
export interface StorageConnectionOptions {
  endPoint: string;
  port: number;
  useSSL: boolean;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region?: string;
}

export function databaseOptions(env: BaseEnv, applicationName: string, poolSize = env.DATABASE_POOL_SIZE): DatabaseConnectionOptions {
  return {
    connectionString: env.DATABASE_URL,
    poolSize,
    applicationName,
    encryptionKeys: env.VARIABLES_ENCRYPTION_KEYS,
    encryptionKeyId: env.VARIABLES_ENCRYPTION_KEY_ID,
  };
}

export function storageOptions(env: BaseEnv): StorageConnectionOptions {
  return {
    endPoint: env.S3_ENDPOINT,
    port: env.S3_PORT,
    useSSL: env.S3_USE_SSL,
    accessKey: env.S3_ACCESS_KEY,
    secretKey: env.S3_SECRET_KEY,
    bucket: env.S3_BUCKET,
    region: env.S3_REGION,
  };
}

/** What the executions queue needs from the environment (matches @vecron/queue's module options). */
export interface QueueConnectionOptions {
  redisUrl: string;
  prefix: string;
  logLevel: string;
}

export function queueOptions(env: BaseEnv): QueueConnectionOptions {
  return { redisUrl: env.REDIS_URL, prefix: env.QUEUE_PREFIX, logLevel: env.LOG_LEVEL };
}
