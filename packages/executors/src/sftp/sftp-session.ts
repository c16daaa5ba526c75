import { connect as netConnect, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Algorithms, Client, ConnectConfig, SFTPWrapper, Stats } from 'ssh2';
import { StepError } from '../errors';
import { checkHostKey, preferredHostKeyAlgorithms, type HostKeyCheck, type HostKeyPolicy } from './host-key.verifier';
import { knownHostsName } from './known-hosts';
import {
  SftpAuthError,
  SftpConnectionError,
  SftpFileNotFoundError,
  SftpHostKeyError,
  SftpPermissionError,
  SftpPrivateKeyError,
  SftpTransferError,
} from './sftp.errors';

type Ssh2 = typeof import('ssh2');
let ssh2Loading: Promise<Ssh2> | undefined;
/** ssh2, loaded at the first SFTP connection (a process that runs no SFTP step never loads it). */
function loadSsh2(): Promise<Ssh2> {
  ssh2Loading ??= import('ssh2');
  return ssh2Loading;
}

/** SFTP status codes (draft-ietf-secsh-filexfer-02). */
const STATUS_NO_SUCH_FILE = 2;
const STATUS_PERMISSION_DENIED = 3;

const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;

export type SftpCredentials = { password: string } | { privateKey: Buffer | string; passphrase?: string };

export interface SftpConnectOptions {
  host: string;
  port: number;
  username: string;
  credentials: SftpCredentials;
  /** undefined = no host-key verification (explicit `verify_host_key: false`). */
  hostKeyPolicy?: HostKeyPolicy;
  /** TCP connect + SSH handshake + authentication limit. */
  readyTimeoutMs: number;
  signal: AbortSignal;
  logger: Logger;
}

/** One entry of a remote folder. */
export interface RemoteEntry {
  name: string;
  mode: number;
  size: number;
  mtime: number;
}

/** `host:port` as messages name a server. */
export function describeTarget(host: string, port: number): string {
  return `${host}:${port}`;
}

/** Whether a mode (from stat or readdir) is a folder / regular file / symbolic link. */
export const isDirMode = (mode: number): boolean => (mode & S_IFMT) === S_IFDIR;
export const isFileMode = (mode: number): boolean => (mode & S_IFMT) === S_IFREG;
export const isLinkMode = (mode: number): boolean => (mode & S_IFMT) === S_IFLNK;

/** The numeric SFTP status of an ssh2 SFTP error, if it has one. */
function sftpStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** A network error code (`ECONNREFUSED`…), if the error carries one. */
function networkCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Maps an error of an SFTP request on `path` to a StepError: no such file → SftpFileNotFoundError,
 * permission denied → SftpPermissionError, other SFTP statuses → SftpTransferError (retryable),
 * errors without a status (channel/connection gone) → SftpConnectionError (retryable).
 */
export function remoteError(err: unknown, operation: string, path: string, target: string): StepError {
  if (err instanceof StepError) return err;
  const status = sftpStatus(err);
  if (status === STATUS_NO_SUCH_FILE) return new SftpFileNotFoundError('remote', path, err);
  if (status === STATUS_PERMISSION_DENIED) return new SftpPermissionError(operation, path, err);
  if (status !== undefined) return new SftpTransferError(`${operation} ${path} failed: ${messageOf(err)} (status ${status})`, { operation, path, status }, err);
  return new SftpConnectionError(target, networkCode(err), `${operation} ${path}: ${messageOf(err)}`, err);
}

/**
 * One SSH connection with its SFTP channel. Created by `SftpSession.connect`, closed by `close()`
 * (idempotent). Every request rejects with a StepError (see `remoteError`).
 */
export class SftpSession {
  private closed = false;

  private constructor(
    readonly sftp: SFTPWrapper,
    private readonly client: Client,
    private readonly socket: Socket,
    readonly target: string,
  ) {}

  /** Connects (TCP with TCP_NODELAY, SSH handshake with host-key check, auth) and opens the SFTP channel. */
  static async connect(options: SftpConnectOptions): Promise<SftpSession> {
    const target = describeTarget(options.host, options.port);
    const ssh2 = await loadSsh2();
    if ('privateKey' in options.credentials) checkPrivateKey(ssh2, options.credentials.privateKey, options.credentials.passphrase);
    const socket = await openSocket(options, target);
    const client = new ssh2.Client();
    let hostKeyFailure: Extract<HostKeyCheck, { ok: false }> | undefined;
    let authenticated = false;
    const algorithms: Algorithms = {};
    const policy = options.hostKeyPolicy;
    if (policy) {
      const preferred = preferredHostKeyAlgorithms(policy, options.host, options.port);
      // ssh2 applies the keys in order: remove, then prepend, moves them to the front of its defaults.
      if (preferred.length > 0) algorithms.serverHostKey = { remove: preferred, prepend: preferred, append: [] } as unknown as Algorithms['serverHostKey'];
    }
    const config: ConnectConfig = {
      sock: socket,
      username: options.username,
      readyTimeout: options.readyTimeoutMs,
      keepaliveInterval: 10_000,
      keepaliveCountMax: 3,
      tryKeyboard: false,
      algorithms,
      hostVerifier: (key: Buffer): boolean => {
        if (!policy) return true;
        const check = checkHostKey(policy, options.host, options.port, key);
        if (check.ok) {
          options.logger.debug({ host: target, fingerprint: check.fingerprint, source: check.source }, 'sftp host key verified');
          return true;
        }
        hostKeyFailure = check;
        return false;
      },
    };
    if ('password' in options.credentials) config.password = options.credentials.password;
    else {
      config.privateKey = options.credentials.privateKey;
      if (options.credentials.passphrase !== undefined) config.passphrase = options.credentials.passphrase;
    }

    const method = 'password' in options.credentials ? 'password' : 'publickey';
    const onAbort = (): void => {
      client.end();
      socket.destroy();
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('ready', () => {
          authenticated = true;
          resolve();
        });
        client.once('error', reject);
        client.once('close', () => reject(new Error('connection closed during the SSH handshake')));
        options.signal.addEventListener('abort', () => reject(options.signal.reason), { once: true });
        client.connect(config);
      });
      const sftp = await new Promise<SFTPWrapper>((resolve, reject) => {
        client.sftp((err, channel) => (err ? reject(err) : resolve(channel)));
        client.once('close', () => reject(new Error('connection closed while opening the SFTP channel')));
        options.signal.addEventListener('abort', () => reject(options.signal.reason), { once: true });
      });
      const session = new SftpSession(sftp, client, socket, target);
      client.on('error', (err: Error) => options.logger.warn({ host: target, err: err.message }, 'sftp connection error'));
      return session;
    } catch (err) {
      client.end();
      socket.destroy();
      if (options.signal.aborted) throw options.signal.reason;
      if (hostKeyFailure) {
        throw new SftpHostKeyError(
          hostKeyFailure.reason,
          knownHostsName(options.host, options.port),
          hostKeyFailure.fingerprint,
          hostKeyFailure.keyType,
          hostKeyFailure.expected,
          hostKeyFailure.source,
        );
      }
      const level = (err as { level?: unknown } | undefined)?.level;
      if (level === 'client-authentication' && !authenticated) throw new SftpAuthError(target, options.username, method, err);
      if (level === 'client-timeout') throw new SftpConnectionError(target, 'ETIMEDOUT', 'SSH handshake timed out', err);
      throw new SftpConnectionError(target, networkCode(err), messageOf(err), err);
    } finally {
      options.signal.removeEventListener('abort', onAbort);
    }
  }

  /** Ends the SSH connection (idempotent). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.end();
    // end() lets the server close politely; the socket goes in any case.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /** Whether the server supports posix-rename@openssh.com (atomic rename that replaces the target). */
  get hasPosixRename(): boolean {
    const extensions = (this.sftp as unknown as { _extensions?: Record<string, string> })._extensions;
    return extensions?.['posix-rename@openssh.com'] === '1';
  }

  stat(path: string): Promise<Stats> {
    return this.call('stat', path, (cb) => this.sftp.stat(path, cb));
  }

  /** stat that answers undefined for a missing path. */
  async statIfExists(path: string): Promise<Stats | undefined> {
    try {
      return await this.stat(path);
    } catch (err) {
      if (err instanceof SftpFileNotFoundError) return undefined;
      throw err;
    }
  }

  async readdir(path: string): Promise<RemoteEntry[]> {
    const list = await this.call('readdir', path, (cb: (err: Error | undefined, list: { filename: string; attrs: Stats }[]) => void) =>
      this.sftp.readdir(path, cb),
    );
    return list
      .filter((e) => e.filename !== '.' && e.filename !== '..')
      .map((e) => ({ name: e.filename, mode: e.attrs.mode, size: e.attrs.size, mtime: e.attrs.mtime }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  open(path: string, flags: 'r' | 'w'): Promise<Buffer> {
    return this.call(flags === 'r' ? 'open' : 'create', path, (cb: (err: Error | undefined, handle: Buffer) => void) =>
      this.sftp.open(path, flags, cb),
    );
  }

  fstat(handle: Buffer, path: string): Promise<Stats> {
    return this.call('fstat', path, (cb) => this.sftp.fstat(handle, cb));
  }

  closeHandle(handle: Buffer, path: string): Promise<void> {
    return this.call('close', path, (cb: (err?: Error | null) => void) => this.sftp.close(handle, cb));
  }

  unlink(path: string): Promise<void> {
    return this.call('delete', path, (cb: (err?: Error | null) => void) => this.sftp.unlink(path, cb));
  }

  mkdir(path: string): Promise<void> {
    return this.call('mkdir', path, (cb: (err?: Error | null) => void) => this.sftp.mkdir(path, cb));
  }

  /**
   * Renames `from` to `to`, replacing `to` atomically when the server supports
   * posix-rename@openssh.com (OpenSSH does); otherwise removes `to` first (not atomic).
   */
  async rename(from: string, to: string): Promise<void> {
    if (this.hasPosixRename) {
      return this.call('rename', from, (cb: (err?: Error | null) => void) => this.sftp.ext_openssh_rename(from, to, cb));
    }
    if (await this.statIfExists(to)) await this.unlink(to);
    return this.call('rename', from, (cb: (err?: Error | null) => void) => this.sftp.rename(from, to, cb));
  }

  /** Creates `path` and its missing parents (like `mkdir -p`). */
  async mkdirs(path: string): Promise<void> {
    const absolute = path.startsWith('/');
    const segments = path.split('/').filter((s) => s !== '' && s !== '.');
    let current = absolute ? '' : '.';
    for (const segment of segments) {
      current = current === '' ? `/${segment}` : `${current}/${segment}`;
      const stats = await this.statIfExists(current);
      if (stats) {
        if (!stats.isDirectory()) throw new SftpTransferError(`cannot create folder ${current}: a file of that name exists`, { path: current });
        continue;
      }
      try {
        await this.mkdir(current);
      } catch (err) {
        // Created meanwhile by someone else: fine.
        const now = await this.statIfExists(current);
        if (!now?.isDirectory()) throw err;
      }
    }
  }

  private call<T>(operation: string, path: string, fn: (cb: (err: Error | null | undefined, value: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      try {
        fn((err, value) => (err ? reject(remoteError(err, operation, path, this.target)) : resolve(value)));
      } catch (err) {
        // ssh2 throws synchronously when the channel is gone.
        reject(remoteError(err, operation, path, this.target));
      }
    });
  }
}

/** Opens the TCP connection (TCP_NODELAY: SFTP's small request packets must not wait for Nagle). */
function openSocket(options: SftpConnectOptions, target: string): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket = netConnect({ host: options.host, port: options.port });
    socket.setNoDelay(true);
    const timer = setTimeout(() => fail(new SftpConnectionError(target, 'ETIMEDOUT', `no TCP connection within ${options.readyTimeoutMs} ms`)), options.readyTimeoutMs);
    const onAbort = (): void => fail(options.signal.reason);
    const fail = (err: unknown): void => {
      cleanup();
      socket.destroy();
      reject(err instanceof StepError || options.signal.aborted ? err : new SftpConnectionError(target, networkCode(err), messageOf(err), err));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('error', fail);
      options.signal.removeEventListener('abort', onAbort);
    };
    socket.once('error', fail);
    options.signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      cleanup();
      resolve(socket);
    });
  });
}

/** Fails early, without contacting the server, when the private key cannot be used. */
function checkPrivateKey(ssh2: Ssh2, key: Buffer | string, passphrase: string | undefined): void {
  let parsed: ReturnType<Ssh2['utils']['parseKey']>;
  try {
    parsed = ssh2.utils.parseKey(key, passphrase);
  } catch (err) {
    throw new SftpPrivateKeyError('the private key cannot be read', err);
  }
  if (parsed instanceof Error) {
    const text = parsed.message.toLowerCase();
    if (text.includes('passphrase') || text.includes('decrypt') || text.includes('encrypted')) {
      throw new SftpPrivateKeyError(passphrase === undefined ? 'the private key is encrypted and no passphrase was given' : 'wrong passphrase for the private key');
    }
    throw new SftpPrivateKeyError(`the private key cannot be parsed (${parsed.message})`);
  }
  const keys = Array.isArray(parsed) ? parsed : [parsed];
  if (keys.length === 0 || !keys[0]!.isPrivateKey()) throw new SftpPrivateKeyError('the key given is not a private key');
}
