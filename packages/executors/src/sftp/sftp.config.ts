import { Transform, Type } from 'class-transformer';
import {
  Allow,
  Equals,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Max,
  Min,
  ValidateBy,
  ValidateNested,
  type ValidationArguments,
  type ValidationOptions,
} from 'class-validator';
import { Secret } from '../secret-field';
import { parseHostKeySpec } from './host-key.verifier';

export const SFTP_OPERATIONS = ['download', 'upload'] as const;
export type SftpOperation = (typeof SFTP_OPERATIONS)[number];

export const SFTP_AUTH_TYPES = ['password', 'ssh_key'] as const;
export type SftpAuthType = (typeof SFTP_AUTH_TYPES)[number];

export const DEFAULT_SFTP_PORT = 22;
/** Default `timeout_seconds` of an sftp step: one hour (big files). */
export const DEFAULT_SFTP_TIMEOUT_SECONDS = 3600;
/** Longest `timeout_seconds`: one day. */
export const MAX_SFTP_TIMEOUT_SECONDS = 86_400;

const present = (v: unknown): boolean => v !== undefined && v !== null;

/** A ValidateBy rule from a function returning the problem (or undefined when the value is fine). */
function Rule(name: string, problem: (value: unknown, args: ValidationArguments) => string | undefined, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name,
      validator: {
        validate: (value: unknown, args?: ValidationArguments) => problem(value, args as ValidationArguments) === undefined,
        defaultMessage: (args?: ValidationArguments) => problem(args?.value, args as ValidationArguments) ?? 'is invalid',
      },
    },
    options,
  );
}

/** Fallback when `auth.type` is missing or unknown: reports only the bad `type`. */
export class SftpAuthConfigBase {
  @IsIn(SFTP_AUTH_TYPES, { message: `must be one of ${SFTP_AUTH_TYPES.join(', ')}` })
  type!: SftpAuthType;

  // Fields of the concrete auth types, tolerated here so that a bad `type` is the only issue.
  @Allow() username?: unknown;
  @Allow() password?: unknown;
  @Allow() private_key_path?: unknown;
  @Allow() private_key?: unknown;
  @Allow() passphrase?: unknown;
}

/** Password authentication. */
export class SftpPasswordAuthConfig {
  @Equals('password')
  type!: 'password';

  @IsString()
  @IsNotEmpty()
  username!: string;

  /** Secret: replaced by a placeholder in job exports. */
  @Secret()
  @IsString()
  password!: string;
}

/**
 * Public-key authentication with exactly one of `private_key_path` (a file readable by the worker)
 * and `private_key` (the key text, typically a sensitive variable `${SFTP_KEY}`), in OpenSSH or PEM
 * format: ed25519, ECDSA (P-256/384/521) or RSA (signed with rsa-sha2-512/256).
 */
export class SftpKeyAuthConfig {
  @Equals('ssh_key')
  type!: 'ssh_key';

  @IsString()
  @IsNotEmpty()
  username!: string;

  @Rule('keySource', (v, args) => {
    if (present(v)) return typeof v === 'string' && v.trim() !== '' ? undefined : 'must be a non-empty string';
    return present((args.object as { private_key?: unknown }).private_key) ? undefined : 'one of private_key_path and private_key is required';
  })
  private_key_path?: string;

  @Secret()
  @Rule('keyText', (v, args) => {
    if (!present(v)) return undefined;
    if (present((args.object as { private_key_path?: unknown }).private_key_path)) {
      return 'cannot be combined with private_key_path: give exactly one of them';
    }
    return typeof v === 'string' && v.trim() !== '' ? undefined : 'must be a non-empty string';
  })
  private_key?: string;

  /** Passphrase of an encrypted private key. Secret, like `password` and `private_key`. */
  @Secret()
  @IsOptional()
  @IsString()
  passphrase?: string;
}

export type SftpAuthConfig = SftpPasswordAuthConfig | SftpKeyAuthConfig;

/** The step's `operation`, remembered for each options object (download-only options are refused on upload). */
const OPERATION_OF_OPTIONS = new WeakMap<object, unknown>();

function downloadOnly(field: string): (value: unknown, args: ValidationArguments) => string | undefined {
  return (value, args) => {
    if (!present(value)) return undefined;
    const operation = OPERATION_OF_OPTIONS.get(args.object);
    return operation === 'upload' ? `${field} is only allowed when operation is download` : undefined;
  };
}

/** One path segment pattern (`*.csv`, `TXN_2026*.csv`, `report-?.xlsx`, `[ab]*.txt`). */
function patternProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return 'must be a non-empty string';
  if (value.includes('/')) return 'must be a file-name pattern without "/" (the folder goes in remote_path)';
  return undefined;
}

export class SftpOptionsConfig {
  /**
   * Download: only files whose name matches this pattern (`*` any characters, `?` one,
   * `[abc]` a set). `remote_path` is then a folder. A pattern may also be the last segment
   * of `remote_path` itself (`/exports/TXN_*.csv`).
   */
  @IsOptional()
  @Rule('sftpPattern', (v) => patternProblem(v))
  @Rule('downloadOnlyPattern', downloadOnly('wildcard_pattern'))
  wildcard_pattern?: string;

  /** Download: also the sub-folders of `remote_path`, keeping relative paths. */
  @IsOptional()
  @IsBoolean()
  @Rule('downloadOnlyRecursive', (v, args) => (v === true ? downloadOnly('recursive')(v, args) : undefined))
  recursive: boolean = false;

  /** Upload: create missing remote folders (and, for download, the `move_after_download` folder). */
  @IsOptional()
  @IsBoolean()
  create_directories: boolean = false;

  /**
   * Check the server's host key (default true): against `host_key` when given, otherwise against
   * the worker's known_hosts file (`SFTP_KNOWN_HOSTS`). `false` must be explicit and is logged
   * as a warning.
   */
  @IsOptional()
  @IsBoolean()
  verify_host_key: boolean = true;

  /**
   * The expected host key: a `SHA256:…` fingerprint as `ssh-keygen -lf` prints it, or a
   * known_hosts line (`host ssh-ed25519 AAAA…`), or `ssh-ed25519 AAAA…`.
   */
  @IsOptional()
  @Rule('hostKey', (v) => {
    if (typeof v !== 'string' || v.trim() === '') return 'must be a non-empty string';
    return parseHostKeySpec(v) === undefined
      ? 'must be a SHA256:… fingerprint (as ssh-keygen -lf prints it) or a known_hosts line'
      : undefined;
  })
  host_key?: string;

  /** Accepted for compatibility: transfers are always streamed. */
  @IsOptional()
  @IsBoolean()
  streaming?: boolean;

  /** Download: delete each remote file once every file of the step is stored. */
  @IsOptional()
  @IsBoolean()
  @Rule('downloadOnlyDelete', (v, args) => (v === true ? downloadOnly('delete_after_download')(v, args) : undefined))
  delete_after_download: boolean = false;

  /** Download: move each remote file into this remote folder once every file of the step is stored. */
  @IsOptional()
  @Rule('moveAfterDownload', (v, args) => {
    if (typeof v !== 'string' || v.trim() === '') return 'must be a non-empty string (a remote folder)';
    if ((args.object as { delete_after_download?: unknown }).delete_after_download === true) {
      return 'cannot be combined with delete_after_download';
    }
    return downloadOnly('move_after_download')(v, args);
  })
  move_after_download?: string;

  /**
   * Download: list, wait this many seconds, list again, and skip (for the next run) the files
   * whose size or modification time changed: a partner may still be writing them.
   */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(300)
  @Rule('downloadOnlyStable', downloadOnly('stable_seconds'))
  stable_seconds?: number;

  /** Download: at most this many files (in name order); the rest wait for the next run (logged). */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  @Rule('downloadOnlyMax', downloadOnly('max_files'))
  max_files?: number;
}

/** A remote path: non-empty, no NUL. */
function remotePathProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return 'must be a non-empty string';
  if (value.includes('\0')) return 'must not contain NUL characters';
  return undefined;
}

const HOST = /^[A-Za-z0-9._:[\]-]+$/;

/**
 * Runtime config of an `sftp` step (validated after template resolution).
 *
 * - `download`: the files at `remote_path` (a file, a folder, or a folder plus a pattern in its
 *   last segment; `options.wildcard_pattern` filters a folder) are streamed into object storage at
 *   `jobs/{job_id}/executions/{execution_id}/sftp/downloads/{local_path/}{relative path}`.
 * - `upload`: the object(s) named by `local_path` (keys relative to the execution folder, or full
 *   keys of this job) are streamed to `remote_path` (a file name for one object, else a folder),
 *   each written under a temporary name and renamed when complete.
 */
export class SftpStepConfig {
  @IsIn(SFTP_OPERATIONS, { message: `must be one of ${SFTP_OPERATIONS.join(', ')}` })
  operation!: SftpOperation;

  @IsString()
  @Rule('sftpHost', (v) => (typeof v === 'string' && HOST.test(v) ? undefined : 'must be a host name or IP address'))
  host!: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65_535)
  port: number = DEFAULT_SFTP_PORT;

  @IsObject({ message: 'must be an object' })
  @ValidateNested()
  @Type(() => SftpAuthConfigBase, {
    keepDiscriminatorProperty: true,
    discriminator: {
      property: 'type',
      subTypes: [
        { name: 'password', value: SftpPasswordAuthConfig },
        { name: 'ssh_key', value: SftpKeyAuthConfig },
      ],
    },
  })
  auth!: SftpAuthConfig;

  @Rule('remotePath', (v) => remotePathProblem(v))
  remote_path!: string;

  /**
   * Upload: the object key(s) to send (required; a string or a non-empty list).
   * Download: optional sub-folder of the execution's download area (a string).
   */
  @Transform(({ obj }: { obj: Record<string, unknown> }) => obj.local_path, { toClassOnly: true })
  @Rule('localPath', (v, args) => {
    const operation = (args.object as { operation?: unknown }).operation;
    if (!present(v)) return operation === 'upload' ? 'is required when operation is upload' : undefined;
    if (typeof v === 'string') return v.trim() === '' ? 'must be a non-empty string' : undefined;
    if (Array.isArray(v)) {
      if (operation !== 'upload') return 'must be a string (a sub-folder of the download area) for download';
      if (v.length === 0) return 'must not be an empty list';
      return v.every((p) => typeof p === 'string' && p.trim() !== '') ? undefined : 'must be a list of non-empty strings';
    }
    return 'must be a string or a list of strings';
  })
  local_path?: string | string[];

  @IsOptional()
  @IsObject({ message: 'must be an object' })
  @ValidateNested()
  @Type(() => SftpOptionsConfig)
  @Transform(
    ({ value, obj }: { value: unknown; obj: Record<string, unknown> }) => {
      if (value instanceof SftpOptionsConfig) OPERATION_OF_OPTIONS.set(value, obj.operation);
      return value;
    },
    { toClassOnly: true },
  )
  options?: SftpOptionsConfig;

  /** Limit of the whole step (connection, listing, every transfer), in seconds. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_SFTP_TIMEOUT_SECONDS)
  timeout_seconds: number = DEFAULT_SFTP_TIMEOUT_SECONDS;
}
