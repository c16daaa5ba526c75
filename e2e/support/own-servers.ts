import { execFile, spawn, type ChildProcess } from 'child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'fs';
import { connect } from 'net';
import { tmpdir } from 'os';
import path from 'path';
import { promisify } from 'util';
import { freePort } from './processes';
import { waitFor } from './services';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');

/**
 * A store server of a test's own, on a spare loopback port, that the test may stop and start
 * again (restart tests): stopping the shared servers of scripts/services.sh would break the
 * other suites of the same jest run. The binaries are those scripts/services.sh installs.
 */
export interface OwnServer {
  readonly name: string;
  readonly port: number;
  start(): Promise<void>;
  /** Stops the server abruptly (SIGKILL, or PostgreSQL's immediate shutdown). */
  stop(): Promise<void>;
  /** Stops it for good and removes its data. */
  destroy(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function killChild(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** redis-server without persistence: a restart comes back empty, as a Redis that lost its data. */
export class OwnRedis implements OwnServer {
  readonly name = 'redis';
  port = 0;
  private child: ChildProcess | null = null;
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'vecron-redis-'));

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir], { stdio: 'ignore' });
    await waitFor(async () => portOpen(this.port), 20_000, `redis on ${this.port}`);
  }

  async stop(): Promise<void> {
    await killChild(this.child);
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** scripts/s3-server.js on its own port and folder; objects survive a restart (kept on disk). */
export class OwnS3 implements OwnServer {
  readonly name = 's3';
  port = 0;
  private child: ChildProcess | null = null;
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'vecron-s3-'));

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    this.child = spawn(process.execPath, [path.join(ROOT, 'scripts', 's3-server.js')], {
      env: { PATH: process.env.PATH ?? '', S3_SERVER_PORT: String(this.port), S3_SERVER_DIR: this.dir },
      stdio: 'ignore',
    });
    await waitFor(async () => portOpen(this.port), 20_000, `s3 on ${this.port}`);
  }

  async stop(): Promise<void> {
    await killChild(this.child);
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function pgBin(): string {
  const base = '/usr/lib/postgresql';
  const version = readdirSync(base).sort((a, b) => Number(a) - Number(b)).pop();
  if (!version) throw new Error('PostgreSQL binaries not found under /usr/lib/postgresql (scripts/services.sh installs them)');
  return path.join(base, version, 'bin');
}

/** A PostgreSQL cluster of its own (initdb in a temporary folder, trust auth, fsync off). */
export class OwnPostgres implements OwnServer {
  readonly name = 'postgresql';
  port = 0;
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'vecron-pg-'));
  private readonly bin = pgBin();
  /** initdb refuses root: run the server as the postgres system user then. */
  private readonly asPostgres = process.getuid?.() === 0;

  get adminUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private exec(cmd: string, args: string[]): Promise<unknown> {
    const file = path.join(this.bin, cmd);
    return this.asPostgres ? run('runuser', ['-u', 'postgres', '--', file, ...args], { cwd: this.dir }) : run(file, args, { cwd: this.dir });
  }

  async start(): Promise<void> {
    const data = path.join(this.dir, 'data');
    if (!this.port) {
      this.port = await freePort();
      if (this.asPostgres) {
        const { stdout } = await run('id', ['-u', 'postgres']);
        const { stdout: gid } = await run('id', ['-g', 'postgres']);
        chownSync(this.dir, Number(stdout.trim()), Number(gid.trim()));
      }
      chmodSync(this.dir, 0o700);
      await this.exec('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
    }
    await this.exec('pg_ctl', [
      '-D', data, '-l', path.join(this.dir, 'server.log'), '-w', '-t', '60', 'start',
      '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`,
    ]);
  }

  async stop(): Promise<void> {
    if (existsSync(path.join(this.dir, 'data', 'postmaster.pid'))) await this.exec('pg_ctl', ['-D', path.join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop']);
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
