import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

/**
 * Boolean variables: reads the raw string (implicit conversion would already have turned
 * "false" into true); 1/true/yes/on and 0/false/no/off, anything else is left to fail validation.
 */
const toBool = ({ obj, key, value }: { obj: Record<string, unknown>; key: string; value: unknown }): unknown => {
  const raw = obj[key];
  if (typeof raw !== 'string') return value;
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  return raw;
};

/**
 * Environment shared by the api, scheduler and worker: the system database, Redis,
 * object storage and logging. Defaults point at the local services of scripts/services.sh.
 */
export class BaseEnv {
  /** PostgreSQL connection string of the system database. */
  @Matches(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// connection string' })
  DATABASE_URL: string = 'postgres://postgres@127.0.0.1:25432/vecron';

  /** Maximum connections in this process's PostgreSQL pool. */
  @IsInt() @Min(1) @Max(200)
  DATABASE_POOL_SIZE: number = 10;

  /** Redis URL for Bull queues, scheduler locks and rate limits. */
  @Matches(/^rediss?:\/\//, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL: string = 'redis://127.0.0.1:26379/0';

  /** Key prefix of every Bull queue (lets several installations share one Redis). */
  @IsString() @IsNotEmpty()
  QUEUE_PREFIX: string = 'vecron';

  /** S3/MinIO endpoint host name. */
  @IsString() @IsNotEmpty()
  S3_ENDPOINT: string = '127.0.0.1';

  /** S3/MinIO endpoint port. */
  @IsInt() @Min(1) @Max(65535)
  S3_PORT: number = 29000;

  /** Use TLS to reach the object store. */
  @Transform(toBool) @IsBoolean()
  S3_USE_SSL: boolean = false;

  /** Access key of the object store. */
  @IsString() @IsNotEmpty()
  S3_ACCESS_KEY: string = 'S3RVER';

  /** Secret key of the object store. */
  @IsString() @IsNotEmpty()
  S3_SECRET_KEY: string = 'S3RVER';

  /** Bucket holding definitions, contexts and files (created when missing). */
  @Matches(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'must be a valid bucket name' })
  S3_BUCKET: string = 'vecron';

  /** Region sent to the object store. */
  @IsOptional() @IsString()
  S3_REGION: string = 'us-east-1';

  /**
   * Keys for sensitive variable values: `id:base64key,…` (each 32 random bytes, base64).
   * Required as soon as one sensitive variable exists. Keep old keys listed until
   * `cli rotate-keys` has re-encrypted everything with the active one.
   */
  @IsOptional() @IsString()
  VARIABLES_ENCRYPTION_KEYS?: string;

  /** Id of the key new sensitive values are encrypted with; default the last key listed. */
  @IsOptional() @IsString()
  VARIABLES_ENCRYPTION_KEY_ID?: string;

  /** pino log level. */
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';
}

export { toBool };
