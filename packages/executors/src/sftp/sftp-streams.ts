import { Readable, Writable } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';
import { SftpTransferError } from './sftp.errors';

export interface TransferTuning {
  /** Bytes per SFTP READ/WRITE request. */
  chunkSize: number;
  /** Requests in flight per file. */
  concurrency: number;
}

/** 64 requests of 32 KiB in flight (what OpenSSH's sftp client uses: -B 32768 -R 64). */
export const DEFAULT_TRANSFER_TUNING: TransferTuning = { chunkSize: 32 * 1024, concurrency: 64 };

/**
 * Reads an open remote file with several READ requests in flight and emits the bytes in order.
 * Reads exactly `size` bytes (the size at open); a short read is continued, a file that ends early
 * fails the stream. Holds at most `concurrency × chunkSize` bytes besides the stream's buffer,
 * and issues no new request while the consumer applies back-pressure. Closes the handle at the
 * end (success, error or destroy).
 */
export class SftpParallelReadStream extends Readable {
  private nextOffset = 0;
  private emitOffset = 0;
  private inflight = 0;
  private paused = false;
  private readonly done = new Map<number, Buffer>();
  private handleClosed = false;

  constructor(
    private readonly sftp: SFTPWrapper,
    private readonly handle: Buffer,
    private readonly size: number,
    private readonly path: string,
    private readonly tuning: TransferTuning = DEFAULT_TRANSFER_TUNING,
  ) {
    super({ highWaterMark: tuning.chunkSize * 4 });
  }

  /** Bytes emitted so far. */
  get bytesRead(): number {
    return this.emitOffset;
  }

  override _read(): void {
    this.paused = false;
    if (this.size === 0) {
      this.push(null);
      return;
    }
    this.flush();
    this.pump();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.closeHandle(() => callback(err));
  }

  private pump(): void {
    while (!this.paused && !this.destroyed && this.inflight < this.tuning.concurrency && this.nextOffset < this.size) {
      const length = Math.min(this.tuning.chunkSize, this.size - this.nextOffset);
      this.request(this.nextOffset, length);
      this.nextOffset += length;
    }
  }

  private request(offset: number, length: number, prefix?: Buffer): void {
    this.inflight++;
    const buffer = Buffer.allocUnsafe(length);
    try {
      this.sftp.read(this.handle, buffer, 0, length, offset, (err, bytesRead) => {
        this.inflight--;
        if (this.destroyed) return;
        if (err) {
          this.destroy(err);
          return;
        }
        if (bytesRead === 0) {
          this.destroy(new SftpTransferError(`${this.path} ended at byte ${offset} while ${this.size} bytes were expected (the file changed while being read)`, { path: this.path }));
          return;
        }
        const data = prefix ? Buffer.concat([prefix, buffer.subarray(0, bytesRead)]) : buffer.subarray(0, bytesRead);
        if (bytesRead < length) {
          // Short read: ask for the rest of this slot before emitting it.
          this.request(offset + bytesRead, length - bytesRead, data);
          return;
        }
        this.done.set(prefix ? offset - prefix.length : offset, data);
        this.flush();
        this.pump();
      });
    } catch (err) {
      this.inflight--;
      this.destroy(err as Error);
    }
  }

  private flush(): void {
    for (let chunk = this.done.get(this.emitOffset); chunk !== undefined; chunk = this.done.get(this.emitOffset)) {
      this.done.delete(this.emitOffset);
      this.emitOffset += chunk.length;
      const more = this.push(chunk);
      if (this.emitOffset >= this.size) {
        this.push(null);
        return;
      }
      if (!more) this.paused = true;
    }
  }

  private closeHandle(callback: () => void): void {
    if (this.handleClosed) return callback();
    this.handleClosed = true;
    try {
      this.sftp.close(this.handle, () => callback());
    } catch {
      callback();
    }
  }
}

/**
 * Writes to an open remote file with several WRITE requests in flight (sequential offsets).
 * `_write` returns while fewer than `concurrency` requests are pending; `final` waits for all of
 * them, so 'finish' means every byte was acknowledged by the server. The caller closes the handle.
 */
export class SftpParallelWriteStream extends Writable {
  private offset = 0;
  private inflight = 0;
  private failed: Error | undefined;
  private waiting: ((error?: Error | null) => void) | undefined;
  private finishing: ((error?: Error | null) => void) | undefined;

  constructor(
    private readonly sftp: SFTPWrapper,
    private readonly handle: Buffer,
    private readonly tuning: TransferTuning = DEFAULT_TRANSFER_TUNING,
  ) {
    super({ highWaterMark: tuning.chunkSize * 4 });
  }

  /** Bytes acknowledged or in flight. */
  get bytesWritten(): number {
    return this.offset;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.failed) return callback(this.failed);
    for (let start = 0; start < chunk.length; start += this.tuning.chunkSize) {
      const piece = chunk.subarray(start, Math.min(chunk.length, start + this.tuning.chunkSize));
      this.send(piece);
    }
    if (this.inflight < this.tuning.concurrency) callback();
    else this.waiting = callback;
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.failed || this.inflight === 0) return callback(this.failed);
    this.finishing = callback;
  }

  private send(piece: Buffer): void {
    const position = this.offset;
    this.offset += piece.length;
    this.inflight++;
    try {
      this.sftp.write(this.handle, piece, 0, piece.length, position, (err) => {
        this.inflight--;
        if (err && !this.failed) this.failed = err;
        this.settle();
      });
    } catch (err) {
      this.inflight--;
      if (!this.failed) this.failed = err as Error;
      this.settle();
    }
  }

  private settle(): void {
    if (this.waiting && (this.failed || this.inflight < this.tuning.concurrency)) {
      const cb = this.waiting;
      this.waiting = undefined;
      cb(this.failed);
    }
    if (this.finishing && (this.failed || this.inflight === 0)) {
      const cb = this.finishing;
      this.finishing = undefined;
      cb(this.failed);
    }
  }
}
