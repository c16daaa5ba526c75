import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { executionFileKey, InvalidObjectKeyError, sftpDownloadKey, StorageError, ObjectNotFoundError } from '@vecron/storage';
import { RetryableStepError, StepAbortedError, StepError, StepTimeoutError, UnrecoverableStepError, wrapStepError } from '../errors';
import type { StepExecutor, StepRunContext } from '../step-executor';
import { parseHostKeySpec, type HostKeyPolicy } from './host-key.verifier';
import { parseKnownHosts } from './known-hosts';
import { SftpStepConfig, type SftpAuthConfig } from './sftp.config';
import { SftpFileNotFoundError, SftpKnownHostsError, SftpPrivateKeyError, SftpTransferError } from './sftp.errors';
import { describeTarget, isDirMode, isFileMode, isLinkMode, remoteError, SftpSession, type SftpCredentials } from './sftp-session';
import { DEFAULT_TRANSFER_TUNING, SftpParallelReadStream, SftpParallelWriteStream, type TransferTuning } from './sftp-streams';
import { joinRemote, matchesPattern, mimeTypeOf, splitRemotePattern, trimSlash } from './sftp.util';

/** One file moved by an sftp step. */
export interface SftpFileResult {
  /** File name (last segment). */
  filename: string;
  /** Object-storage key: where a download was stored, or which object was uploaded. */
  path: string;
  /** Full remote path (download: where it was read; upload: its final name). */
  remote_path: string;
  /** Bytes. */
  size: number;
  /** Download: when the file was stored (UTC ISO-8601). */
  download_time?: string;
  /** Upload: when the file was renamed to its final name (UTC ISO-8601). */
  upload_time?: string;
}

/** Output of an `sftp` step, stored at `steps.{id}.output`. */
export interface SftpStepOutput {
  files: SftpFileResult[];
}

export interface SftpExecutorOptions {
  /**
   * OpenSSH known_hosts file checked when a step verifies host keys without `options.host_key`
   * (the worker's `SFTP_KNOWN_HOSTS`). Default `~/.ssh/known_hosts` of the worker's user.
   * Read at every run, so edits apply without a restart.
   */
  knownHostsPath?: string;
  /** Bytes per SFTP read/write request (default 32 KiB). */
  chunkSize?: number;
  /** SFTP requests in flight per file (default 64). */
  concurrency?: number;
  /** Limit of TCP connect + SSH handshake + authentication, ms (default 30 s, capped by the step's timeout). */
  readyTimeoutMs?: number;
}

interface RemoteFile {
  remotePath: string;
  /** Path relative to the listed folder (`sub/a.csv`), or the file name. */
  relPath: string;
  size: number;
  mtime: number;
}

/** Resolved `options` with their defaults. */
interface Options {
  wildcardPattern?: string;
  recursive: boolean;
  createDirectories: boolean;
  verifyHostKey: boolean;
  hostKey?: string;
  deleteAfterDownload: boolean;
  moveAfterDownload?: string;
  stableSeconds?: number;
  maxFiles?: number;
}

/** What to undo when the step fails: partial objects, remote temporary files. */
class Undo {
  objects = new Set<string>();
  remoteFiles = new Set<string>();
}

const CLEANUP_LIMIT_MS = 5000;

/**
 * The `sftp` step: downloads files from an SFTP server into object storage, or uploads objects
 * to it, streamed with several requests in flight (memory stays flat for any file size).
 *
 * Host keys are verified by default (known_hosts or `options.host_key`). Failures:
 * authentication, host key, missing file, permission → not retryable; refused/reset connection,
 * handshake or transfer failure, `timeout_seconds` → retryable; job signal → StepAbortedError.
 * The connection is closed on every path; a failed or aborted step removes the objects it
 * stored and its remote temporary files.
 */
export class SftpExecutor implements StepExecutor<SftpStepConfig, SftpStepOutput> {
  readonly type = 'sftp';
  readonly configClass = SftpStepConfig;
  private readonly knownHostsPath: string;
  private readonly tuning: TransferTuning;
  private readonly readyTimeoutMs: number;

  constructor(options: SftpExecutorOptions = {}) {
    this.knownHostsPath = options.knownHostsPath ?? posix.join(homedir(), '.ssh', 'known_hosts');
    this.tuning = {
      chunkSize: options.chunkSize ?? DEFAULT_TRANSFER_TUNING.chunkSize,
      concurrency: options.concurrency ?? DEFAULT_TRANSFER_TUNING.concurrency,
    };
    this.readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  }

  /** Circuit-breaker target: the server's `host:port`. */
  circuitTarget(config: SftpStepConfig): string | undefined {
    return describeTarget(config.host, config.port);
  }

  async execute(config: SftpStepConfig, run: StepRunContext): Promise<SftpStepOutput> {
    if (run.signal.aborted) throw new StepAbortedError(run.signal.reason);
    const timeoutSignal = AbortSignal.timeout(config.timeout_seconds * 1000);
    const signal = AbortSignal.any([run.signal, timeoutSignal]);
    const options = resolveOptions(config);
    const target = describeTarget(config.host, config.port);
    const log = run.logger.child({ sftp_host: target, sftp_operation: config.operation });
    const undo = new Undo();
    let session: SftpSession | undefined;
    try {
      const credentials = await loadCredentials(config.auth);
      const hostKeyPolicy = await this.hostKeyPolicy(config, options, log);
      session = await SftpSession.connect({
        host: config.host,
        port: config.port,
        username: config.auth.username,
        credentials,
        hostKeyPolicy,
        readyTimeoutMs: Math.min(this.readyTimeoutMs, config.timeout_seconds * 1000),
        signal,
        logger: log,
      });
      log.info({ remote_path: config.remote_path, username: config.auth.username }, 'sftp connected');
      return config.operation === 'download'
        ? await this.download(session, config, options, run, signal, undo, log)
        : await this.upload(session, config, options, run, signal, undo, log);
    } catch (err) {
      await undoPartial(undo, session, run, log);
      if (run.signal.aborted) throw new StepAbortedError(run.signal.reason, { cause: err });
      if (timeoutSignal.aborted) throw new StepTimeoutError(config.timeout_seconds, { cause: err });
      throw toStepError(err);
    } finally {
      session?.close();
    }
  }

  private async hostKeyPolicy(config: SftpStepConfig, options: Options, log: Logger): Promise<HostKeyPolicy | undefined> {
    if (!options.verifyHostKey) {
      log.warn({ host: config.host, port: config.port }, 'sftp host key verification is disabled for this step (verify_host_key: false): the server is not authenticated');
      return undefined;
    }
    if (options.hostKey !== undefined) {
      const spec = parseHostKeySpec(options.hostKey);
      // The config class already refused an unparsable host_key.
      if (!spec) throw new UnrecoverableStepError('sftp: options.host_key is not a fingerprint or a key', 'STEP_CONFIG_INVALID');
      return { kind: 'pinned', spec };
    }
    let text = '';
    let source = this.knownHostsPath;
    try {
      text = await readFile(this.knownHostsPath, 'utf8');
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code !== 'ENOENT') throw new SftpKnownHostsError(this.knownHostsPath, String(code ?? (err as Error).message), err);
      source = `${this.knownHostsPath} (file missing)`;
    }
    return { kind: 'known_hosts', entries: parseKnownHosts(text), source };
  }

  // ------------------------------------------------------------------------------------------
  // download
  // ------------------------------------------------------------------------------------------

  private async download(
    session: SftpSession,
    config: SftpStepConfig,
    options: Options,
    run: StepRunContext,
    signal: AbortSignal,
    undo: Undo,
    log: Logger,
  ): Promise<SftpStepOutput> {
    let files = await this.findFiles(session, config.remote_path, options, signal);
    if (options.stableSeconds !== undefined && files.length > 0) {
      await sleep(options.stableSeconds * 1000, signal);
      const again = new Map((await this.findFiles(session, config.remote_path, options, signal)).map((f) => [f.remotePath, f]));
      const stable = files.filter((f) => {
        const now = again.get(f.remotePath);
        return now !== undefined && now.size === f.size && now.mtime === f.mtime;
      });
      const changing = files.filter((f) => !stable.includes(f)).map((f) => f.remotePath);
      if (changing.length > 0) log.info({ skipped: changing, stable_seconds: options.stableSeconds }, 'sftp files still changing: skipped until the next run');
      files = stable;
    }
    if (options.maxFiles !== undefined && files.length > options.maxFiles) {
      log.warn({ matched: files.length, max_files: options.maxFiles }, 'sftp: more files than max_files; the rest wait for the next run');
      files = files.slice(0, options.maxFiles);
    }
    if (files.length === 0) log.info({ remote_path: config.remote_path, pattern: options.wildcardPattern }, 'sftp: no file to download');

    const subdir = typeof config.local_path === 'string' ? trimSlash(config.local_path).replace(/^\/+/, '') : undefined;
    const results: SftpFileResult[] = [];
    for (const file of files) {
      const relative = subdir && subdir !== '.' ? `${subdir}/${file.relPath}` : file.relPath;
      const key = sftpDownloadKey(run.jobId, run.executionId, relative);
      const started = performance.now();
      undo.objects.add(key);
      const size = await this.downloadOne(session, file.remotePath, key, run, signal);
      const seconds = (performance.now() - started) / 1000;
      const filename = posix.basename(file.relPath);
      const downloadTime = new Date().toISOString();
      log.info({ remote_path: file.remotePath, key, bytes: size, duration_ms: Math.round(seconds * 1000), mb_per_s: rate(size, seconds) }, 'sftp file downloaded');
      run.addFile({ path: key, filename, size, mime_type: mimeTypeOf(filename), created_at: downloadTime });
      results.push({ filename, path: key, remote_path: file.remotePath, size, download_time: downloadTime });
    }

    // Every file is stored: from here on a failure must not remove them (remote files may be gone).
    undo.objects.clear();
    if (options.deleteAfterDownload || options.moveAfterDownload !== undefined) {
      for (const file of files) {
        if (options.moveAfterDownload !== undefined) {
          const to = joinRemote(trimSlash(options.moveAfterDownload), file.relPath);
          if (options.createDirectories) await guard(session.mkdirs(posix.dirname(to)), signal);
          await guard(session.rename(file.remotePath, to), signal);
          log.info({ remote_path: file.remotePath, moved_to: to }, 'sftp remote file moved after download');
        } else {
          await guard(session.unlink(file.remotePath), signal);
          log.info({ remote_path: file.remotePath }, 'sftp remote file deleted after download');
        }
      }
    }
    return { files: results };
  }

  /** The remote files to download, in path order. */
  private async findFiles(session: SftpSession, remotePath: string, options: Options, signal: AbortSignal): Promise<RemoteFile[]> {
    const spec = splitRemotePattern(remotePath, options.wildcardPattern);
    if ('path' in spec) {
      const stats = await guard(session.stat(spec.path), signal);
      if (stats.isDirectory()) return this.listFolder(session, spec.path, undefined, options.recursive, signal);
      if (!stats.isFile()) throw new UnrecoverableStepError(`sftp: ${spec.path} is not a regular file or folder`, 'SFTP_NOT_A_FILE');
      return [{ remotePath: spec.path, relPath: posix.basename(spec.path), size: stats.size, mtime: stats.mtime }];
    }
    const stats = await guard(session.stat(spec.dir), signal);
    if (!stats.isDirectory()) throw new UnrecoverableStepError(`sftp: ${spec.dir} is not a folder`, 'SFTP_NOT_A_FOLDER');
    return this.listFolder(session, spec.dir, spec.pattern, options.recursive, signal);
  }

  private async listFolder(
    session: SftpSession,
    dir: string,
    pattern: string | undefined,
    recursive: boolean,
    signal: AbortSignal,
    prefix = '',
  ): Promise<RemoteFile[]> {
    const files: RemoteFile[] = [];
    for (const entry of await guard(session.readdir(dir), signal)) {
      const remotePath = joinRemote(dir, entry.name);
      let { mode, size, mtime } = entry;
      if (isLinkMode(mode)) {
        // Follow links to files; links to folders are not descended (no loops).
        const target = await guard(session.statIfExists(remotePath), signal);
        if (!target || !target.isFile()) continue;
        ({ mode, size, mtime } = target);
      }
      if (isDirMode(mode)) {
        if (recursive) files.push(...(await this.listFolder(session, remotePath, pattern, true, signal, `${prefix}${entry.name}/`)));
      } else if (isFileMode(mode) && (pattern === undefined || matchesPattern(entry.name, pattern))) {
        files.push({ remotePath, relPath: `${prefix}${entry.name}`, size, mtime });
      }
    }
    return files.sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
  }

  /** Streams one remote file into object storage; returns its size. */
  private async downloadOne(session: SftpSession, remotePath: string, key: string, run: StepRunContext, signal: AbortSignal): Promise<number> {
    const handle = await guard(session.open(remotePath, 'r'), signal);
    let size: number;
    try {
      size = (await guard(session.fstat(handle, remotePath), signal)).size;
    } catch (err) {
      await session.closeHandle(handle, remotePath).catch(() => undefined);
      throw err;
    }
    const stream = new SftpParallelReadStream(session.sftp, handle, size, remotePath, this.tuning);
    const onAbort = (): void => void stream.destroy(new Error('transfer aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await run.storage.putStream(key, stream, { contentType: mimeTypeOf(key) });
    } catch (err) {
      stream.destroy();
      throw err instanceof StorageError || err instanceof StepError ? err : remoteError(err, 'read', remotePath, session.target);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    if (stream.bytesRead !== size) {
      throw new SftpTransferError(`${remotePath}: stored ${stream.bytesRead} of ${size} bytes`, { path: remotePath });
    }
    return size;
  }

  // ------------------------------------------------------------------------------------------
  // upload
  // ------------------------------------------------------------------------------------------

  private async upload(
    session: SftpSession,
    config: SftpStepConfig,
    options: Options,
    run: StepRunContext,
    signal: AbortSignal,
    undo: Undo,
    log: Logger,
  ): Promise<SftpStepOutput> {
    const paths = Array.isArray(config.local_path) ? config.local_path : [config.local_path ?? ''];
    const keys = paths.map((p) => executionFileKey(run.jobId, run.executionId, p));
    const remote = trimSlash(config.remote_path);
    let intoFolder = keys.length > 1 || config.remote_path.endsWith('/');
    if (!intoFolder) intoFolder = (await guard(session.statIfExists(remote), signal))?.isDirectory() === true;
    const targets = keys.map((key) => ({ key, to: intoFolder ? joinRemote(remote, posix.basename(key)) : remote }));
    const seen = new Set<string>();
    for (const t of targets) {
      if (seen.has(t.to)) throw new UnrecoverableStepError(`sftp: two objects would be uploaded to the same remote file ${t.to}`, 'SFTP_DUPLICATE_TARGET');
      seen.add(t.to);
    }

    const folders = [...new Set(targets.map((t) => posix.dirname(t.to)))];
    for (const folder of folders) {
      if (options.createDirectories) await guard(session.mkdirs(folder), signal);
      else if (!(await guard(session.statIfExists(folder), signal))?.isDirectory()) {
        throw new SftpFileNotFoundError('remote', `${folder} (the remote folder does not exist; set options.create_directories to create it)`);
      }
    }

    const results: SftpFileResult[] = [];
    for (const { key, to } of targets) {
      const started = performance.now();
      const size = await this.uploadOne(session, key, to, run, signal, undo);
      const seconds = (performance.now() - started) / 1000;
      const uploadTime = new Date().toISOString();
      log.info({ key, remote_path: to, bytes: size, duration_ms: Math.round(seconds * 1000), mb_per_s: rate(size, seconds) }, 'sftp file uploaded');
      results.push({ filename: posix.basename(to), path: key, remote_path: to, size, upload_time: uploadTime });
    }
    return { files: results };
  }

  /** Streams one object to a temporary remote name, then renames it to `to`; returns its size. */
  private async uploadOne(session: SftpSession, key: string, to: string, run: StepRunContext, signal: AbortSignal, undo: Undo): Promise<number> {
    let source;
    try {
      source = await run.storage.getStream(key);
    } catch (err) {
      if (err instanceof ObjectNotFoundError) throw new SftpFileNotFoundError('storage', key, err);
      throw err;
    }
    const temp = joinRemote(posix.dirname(to), `.${posix.basename(to)}.${randomBytes(4).toString('hex')}.part`);
    let handle: Buffer;
    try {
      handle = await guard(session.open(temp, 'w'), signal);
    } catch (err) {
      source.destroy();
      throw err;
    }
    undo.remoteFiles.add(temp);
    const writer = new SftpParallelWriteStream(session.sftp, handle, this.tuning);
    try {
      await pipeline(source, writer, { signal });
    } catch (err) {
      await session.closeHandle(handle, temp).catch(() => undefined);
      throw err instanceof StorageError || err instanceof StepError || signal.aborted ? err : remoteError(err, 'write', temp, session.target);
    }
    await guard(session.closeHandle(handle, temp), signal);
    await guard(session.rename(temp, to), signal);
    undo.remoteFiles.delete(temp);
    return writer.bytesWritten;
  }
}

function resolveOptions(config: SftpStepConfig): Options {
  const o = config.options;
  const options: Options = {
    recursive: o?.recursive ?? false,
    createDirectories: o?.create_directories ?? false,
    verifyHostKey: o?.verify_host_key ?? true,
    deleteAfterDownload: o?.delete_after_download ?? false,
  };
  if (o?.wildcard_pattern != null) options.wildcardPattern = o.wildcard_pattern;
  if (o?.host_key != null) options.hostKey = o.host_key;
  if (o?.move_after_download != null) options.moveAfterDownload = o.move_after_download;
  if (o?.stable_seconds != null) options.stableSeconds = o.stable_seconds;
  if (o?.max_files != null) options.maxFiles = o.max_files;
  return options;
}

async function loadCredentials(auth: SftpAuthConfig): Promise<SftpCredentials> {
  if (auth.type === 'password') return { password: auth.password };
  let privateKey: Buffer | string;
  if (auth.private_key_path !== undefined && auth.private_key_path !== null) {
    try {
      privateKey = await readFile(auth.private_key_path);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      throw new SftpPrivateKeyError(
        code === 'ENOENT' ? `private key file not found: ${auth.private_key_path}` : `cannot read the private key file ${auth.private_key_path} (${String(code)})`,
        err,
      );
    }
  } else {
    privateKey = auth.private_key ?? '';
  }
  return auth.passphrase !== undefined && auth.passphrase !== null ? { privateKey, passphrase: auth.passphrase } : { privateKey };
}

/** Removes what a failed step left: its objects and remote temporary files (best effort, bounded). */
async function undoPartial(undo: Undo, session: SftpSession | undefined, run: StepRunContext, log: Logger): Promise<void> {
  if (undo.objects.size === 0 && undo.remoteFiles.size === 0) return;
  const work = (async () => {
    for (const key of undo.objects) {
      await run.storage.delete(key).catch((err: unknown) => log.warn({ key, err: (err as Error).message }, 'sftp: could not remove a partial object'));
    }
    for (const path of undo.remoteFiles) {
      if (!session) break;
      await session.unlink(path).catch((err: unknown) => log.warn({ remote_path: path, err: (err as Error).message }, 'sftp: could not remove a remote temporary file'));
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLEANUP_LIMIT_MS)))]);
  clearTimeout(timer);
  log.info({ objects: [...undo.objects], remote_files: [...undo.remoteFiles] }, 'sftp: removed what the failed step had written');
}

/** Rejects as soon as `signal` aborts (the request itself is dropped with the connection). */
function guard<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e as Error);
      },
    );
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return guard(new Promise<void>((resolve) => setTimeout(resolve, ms).unref()), signal);
}

function rate(bytes: number, seconds: number): number | null {
  return seconds > 0 ? Math.round((bytes / 1e6 / seconds) * 10) / 10 : null;
}

/** Any error of the step as a StepError (storage errors keep their retry decision). */
function toStepError(err: unknown): StepError {
  if (err instanceof StepError) return err;
  if (err instanceof InvalidObjectKeyError) return new UnrecoverableStepError(`sftp: ${err.message}`, 'SFTP_INVALID_PATH', { cause: err });
  if (err instanceof StorageError) {
    return err.retryable
      ? new RetryableStepError(`sftp: object storage: ${err.message}`, 'STORAGE_UNAVAILABLE', { cause: err })
      : new UnrecoverableStepError(`sftp: object storage: ${err.message}`, 'STORAGE_ERROR', { cause: err });
  }
  return wrapStepError(err);
}
