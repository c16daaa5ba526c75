import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { Client, type SFTPWrapper } from 'ssh2';
import {
  InMemoryObjectStorage,
  ObjectNotFoundError,
  type ObjectInfo,
  type ObjectStorage,
  type PutOptions,
} from '@vecron/storage';

/**
 * The sshd of scripts/services.d/sshd.sh: port VECRON_TEST_SFTP_PORT (default 22222) and its
 * folder VECRON_TEST_SFTP_DIR (default .data/sshd): keys/, known_hosts, known_hosts.hashed.
 */
export const SFTP_PORT = Number(process.env.VECRON_TEST_SFTP_PORT ?? 22222);
export const SFTP_DIR = process.env.VECRON_TEST_SFTP_DIR ?? join(__dirname, '../../../.data/sshd');
export const SFTP_HOST = '127.0.0.1';
export const KEY_USER = 'vecron-sftp';
export const PASSWORD_USER = 'vecron-sftp-pw';
export const KNOWN_HOSTS = join(SFTP_DIR, 'known_hosts');
export const KNOWN_HOSTS_HASHED = join(SFTP_DIR, 'known_hosts.hashed');
export const keyPath = (name: 'id_ed25519' | 'id_ecdsa' | 'id_rsa' | 'id_ed25519_pass'): string => join(SFTP_DIR, 'keys', name);
export const password = (): string => readFileSync(join(SFTP_DIR, 'keys', 'password'), 'utf8');
export const passphrase = (): string => readFileSync(join(SFTP_DIR, 'keys', 'passphrase'), 'utf8');
/** The server's ed25519 host public key line (`ssh-ed25519 AAAA… comment`). */
export const hostPublicKey = (type: 'ed25519' | 'rsa' = 'ed25519'): string =>
  readFileSync(join(SFTP_DIR, 'etc', `ssh_host_${type}_key.pub`), 'utf8').trim();

/** A unique remote folder name for one test (relative to the users' home). */
export const uniqueDir = (prefix: string): string => `t-${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

/** A port with nothing listening on it. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Test-side SFTP access (as the key user) to lay out and check remote files. */
export class SftpFixture {
  private client = new Client();
  sftp!: SFTPWrapper;

  async connect(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.client.once('ready', resolve).once('error', reject);
      this.client.connect({ host: SFTP_HOST, port: SFTP_PORT, username: KEY_USER, privateKey: readFileSync(keyPath('id_ed25519')) });
    });
    this.sftp = await new Promise<SFTPWrapper>((resolve, reject) => this.client.sftp((err, s) => (err ? reject(err) : resolve(s))));
    return this;
  }

  close(): void {
    this.client.end();
  }

  private call<T>(fn: (cb: (err: Error | null | undefined, v: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));
  }

  async mkdirp(path: string): Promise<void> {
    let current = '';
    for (const segment of path.split('/').filter(Boolean)) {
      current = current ? `${current}/${segment}` : segment;
      if (!(await this.exists(current))) await this.call<void>((cb) => this.sftp.mkdir(current, (e) => cb(e, undefined)));
    }
  }

  async write(path: string, data: string | Buffer): Promise<void> {
    const dir = path.split('/').slice(0, -1).join('/');
    if (dir) await this.mkdirp(dir);
    await this.call<void>((cb) => this.sftp.writeFile(path, data, (e) => cb(e, undefined)));
  }

  read(path: string): Promise<Buffer> {
    return this.call<Buffer>((cb) => this.sftp.readFile(path, cb));
  }

  async exists(path: string): Promise<boolean> {
    return new Promise<boolean>((resolve) => this.sftp.stat(path, (err) => resolve(!err)));
  }

  size(path: string): Promise<number> {
    return this.call<number>((cb) => this.sftp.stat(path, (e, s) => cb(e, s?.size)));
  }

  async list(path: string): Promise<string[]> {
    const entries = await this.call<{ filename: string }[]>((cb) => this.sftp.readdir(path, cb));
    return entries.map((e) => e.filename).sort();
  }

  /** sha256 hex of a remote file, streamed. */
  async sha256(path: string): Promise<string> {
    const hash = createHash('sha256');
    for await (const chunk of this.sftp.createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }

  /** Removes a folder and everything in it. */
  async rmrf(path: string): Promise<void> {
    const entries = await this.call<{ filename: string; attrs: { isDirectory(): boolean } }[]>((cb) => this.sftp.readdir(path, cb)).catch(() => []);
    for (const e of entries) {
      const p = `${path}/${e.filename}`;
      if (e.attrs.isDirectory()) await this.rmrf(p);
      else await this.call<void>((cb) => this.sftp.unlink(p, (err) => cb(err, undefined)));
    }
    await this.call<void>((cb) => this.sftp.rmdir(path, (err) => cb(err, undefined))).catch(() => undefined);
  }
}

/** Deterministic pseudo-random bytes: `size` bytes from `seed`, generated as they are read. */
export function generatedStream(size: number, chunk = 1024 * 1024): Readable {
  let left = size;
  return new Readable({
    highWaterMark: chunk,
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const n = Math.min(chunk, left);
      left -= n;
      this.push(randomFillSync(Buffer.allocUnsafe(n)));
    },
  });
}

/**
 * An ObjectStorage for size tests that keeps no bytes: `getStream` of a key registered with
 * `generate` streams generated data (its sha256 recorded as read), `putStream` records the sha256
 * and size of what it receives. Everything else behaves like InMemoryObjectStorage.
 */
export class HashingStorage extends InMemoryObjectStorage implements ObjectStorage {
  readonly generated = new Map<string, { size: number; sha256?: string }>();
  readonly received = new Map<string, { size: number; sha256: string }>();

  generate(key: string, size: number): void {
    this.generated.set(key, { size });
  }

  override async getStream(key: string): Promise<Readable> {
    const g = this.generated.get(key);
    if (!g) throw new ObjectNotFoundError(key);
    const hash = createHash('sha256');
    const hashing = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
      flush(cb) {
        g.sha256 = hash.digest('hex');
        cb();
      },
    });
    return generatedStream(g.size).pipe(hashing);
  }

  override async putStream(key: string, body: Readable, _options?: PutOptions): Promise<void> {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of body) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    this.received.set(key, { size, sha256: hash.digest('hex') });
  }

  override async stat(key: string): Promise<ObjectInfo> {
    const r = this.received.get(key);
    if (r) return { key, size: r.size, lastModified: new Date() };
    return super.stat(key);
  }
}
