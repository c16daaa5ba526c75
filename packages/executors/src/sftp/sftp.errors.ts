import { RetryableStepError, UnrecoverableStepError } from '../errors';

/**
 * The server could not be reached or the connection broke: refused, reset, unreachable, DNS,
 * handshake timeout, connection lost mid-transfer. Retryable.
 */
export class SftpConnectionError extends RetryableStepError {
  constructor(target: string, readonly networkCode: string | undefined, detail: string, cause?: unknown) {
    super(`sftp ${target}: connection failed${networkCode ? ` ${networkCode}` : ''} (${detail})`, 'SFTP_CONNECTION_ERROR', {
      details: { network_code: networkCode ?? null },
      cause,
    });
  }
}

/** The server refused the credentials (wrong password, key not authorised). Not retryable. */
export class SftpAuthError extends UnrecoverableStepError {
  constructor(target: string, username: string, method: string, cause?: unknown) {
    super(`sftp ${target}: authentication failed for user "${username}" (${method})`, 'SFTP_AUTH_FAILED', {
      details: { username, method },
      cause,
    });
  }
}

/** The private key cannot be used: file missing/unreadable, unsupported format, wrong passphrase. Not retryable. */
export class SftpPrivateKeyError extends UnrecoverableStepError {
  constructor(message: string, cause?: unknown) {
    super(`sftp: ${message}`, 'SFTP_PRIVATE_KEY_INVALID', { cause });
  }
}

/**
 * The server's host key is unknown, differs from the expected one, or is revoked. Not retryable:
 * either the server was replaced (someone must check and update known_hosts / host_key) or the
 * connection is being intercepted. The message names the host and both fingerprints.
 */
export class SftpHostKeyError extends UnrecoverableStepError {
  constructor(
    readonly reason: 'unknown' | 'mismatch' | 'revoked',
    hostName: string,
    readonly fingerprint: string,
    keyType: string,
    readonly expected: string[],
    source: string,
  ) {
    const presented = `${keyType} ${fingerprint}`;
    const message =
      reason === 'unknown'
        ? `sftp: host key verification failed: ${hostName} is not a known host (no entry in ${source}); the server presented ${presented}`
        : reason === 'revoked'
          ? `sftp: host key verification failed: the key ${presented} presented by ${hostName} is marked @revoked in ${source}`
          : `sftp: host key verification failed: ${hostName} presented ${presented}, expected ${expected.join(' or ')} (${source}): the server key changed or the connection is intercepted`;
    super(message, reason === 'unknown' ? 'SFTP_HOST_KEY_UNKNOWN' : 'SFTP_HOST_KEY_MISMATCH', {
      details: { host: hostName, reason, presented_fingerprint: fingerprint, presented_key_type: keyType, expected_fingerprints: expected, source },
    });
  }
}

/** A remote file or folder (download), or an object-storage key (upload), does not exist. Not retryable. */
export class SftpFileNotFoundError extends UnrecoverableStepError {
  constructor(readonly where: 'remote' | 'storage', path: string, cause?: unknown) {
    super(`sftp: ${where === 'remote' ? 'remote path' : 'object'} not found: ${path}`, 'SFTP_FILE_NOT_FOUND', {
      details: { where, path },
      cause,
    });
  }
}

/** The server refused an operation on a path (permission denied). Not retryable. */
export class SftpPermissionError extends UnrecoverableStepError {
  constructor(operation: string, path: string, cause?: unknown) {
    super(`sftp: permission denied: ${operation} ${path}`, 'SFTP_PERMISSION_DENIED', { details: { operation, path }, cause });
  }
}

/** A remote operation failed for another reason (SFTP failure status, file changed while read). Retryable. */
export class SftpTransferError extends RetryableStepError {
  constructor(message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(`sftp: ${message}`, 'SFTP_TRANSFER_FAILED', { details, cause });
  }
}

/** The worker's known_hosts file exists but cannot be read. Not retryable (a worker set-up problem). */
export class SftpKnownHostsError extends UnrecoverableStepError {
  constructor(path: string, detail: string, cause?: unknown) {
    super(`sftp: cannot read the known_hosts file ${path}: ${detail}`, 'SFTP_KNOWN_HOSTS_UNREADABLE', { details: { path }, cause });
  }
}
