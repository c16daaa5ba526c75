import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { FileEntry } from '@vecron/context';
import { InMemoryObjectStorage, executionFileKey, sftpDownloadKey } from '@vecron/storage';
import { StepAbortedError, StepError, StepTimeoutError } from '../src/errors';
import { validateStepConfig } from '../src/validate-step-config';
import { SftpAuthError, SftpConnectionError, SftpFileNotFoundError, SftpHostKeyError, SftpPrivateKeyError } from '../src/sftp/sftp.errors';
import { SftpExecutor, type SftpStepOutput } from '../src/sftp/sftp.executor';
import { caught, captureLogger, runContext } from './support';
import {
  HashingStorage,
  KEY_USER,
  KNOWN_HOSTS,
  KNOWN_HOSTS_HASHED,
  PASSWORD_USER,
  SFTP_HOST,
  SFTP_PORT,
  SftpFixture,
  closedPort,
  hostPublicKey,
  keyPath,
  passphrase,
  password,
  uniqueDir,
} from './sftp-support';

jest.setTimeout(30_000);

const JOB = 'job-sftp';
const EXEC = 'exec-1';
const executor = new SftpExecutor({ knownHostsPath: KNOWN_HOSTS });
const keyAuth = (name: Parameters<typeof keyPath>[0] = 'id_ed25519') => ({ type: 'ssh_key', username: KEY_USER, private_key_path: keyPath(name) });

/** Validates like the registry (the one schema), then runs. */
async function run(
  raw: Record<string, unknown>,
  overrides: Partial<Parameters<typeof runContext>[0]> = {},
  exec: SftpExecutor = executor,
): Promise<SftpStepOutput> {
  const config = validateStepConfig(exec, { host: SFTP_HOST, port: SFTP_PORT, auth: keyAuth(), ...raw });
  return exec.execute(config, runContext({ jobId: JOB, executionId: EXEC, ...overrides }));
}

describe('sftp step against the local OpenSSH sshd', () => {
  const fx = new SftpFixture();
  const dirs: string[] = [];
  const dir = (prefix: string): string => {
    const d = uniqueDir(prefix);
    dirs.push(d);
    return d;
  };

  beforeAll(async () => {
    await fx.connect();
  });
  afterAll(async () => {
    for (const d of dirs) await fx.rmrf(d);
    fx.close();
  });

  describe('download', () => {
    it('downloads the files matching wildcard_pattern into the execution download area and registers them', async () => {
      const d = dir('wild');
      await fx.write(`${d}/TXN_20260101.csv`, 'id,amount\n1,10\n');
      await fx.write(`${d}/TXN_20260102.csv`, 'id,amount\n2,20\n');
      await fx.write(`${d}/TXN_20260102.csv.bak`, 'old');
      await fx.write(`${d}/report.txt`, 'no');
      const storage = new InMemoryObjectStorage();
      const files: FileEntry[] = [];
      const out = await run(
        { operation: 'download', remote_path: d, options: { wildcard_pattern: 'TXN_*.csv' } },
        { storage, addFile: (f) => void files.push(f) },
      );
      expect(out.files.map((f) => f.filename)).toEqual(['TXN_20260101.csv', 'TXN_20260102.csv']);
      const key = sftpDownloadKey(JOB, EXEC, 'TXN_20260101.csv');
      expect(out.files[0]).toMatchObject({ path: key, remote_path: `${d}/TXN_20260101.csv`, size: 15 });
      expect(Date.parse(out.files[0]!.download_time!)).not.toBeNaN();
      expect((await storage.get(key)).toString()).toBe('id,amount\n1,10\n');
      expect(files.map((f) => [f.path, f.filename, f.size, f.mime_type])).toEqual([
        [key, 'TXN_20260101.csv', 15, 'text/csv'],
        [sftpDownloadKey(JOB, EXEC, 'TXN_20260102.csv'), 'TXN_20260102.csv', 15, 'text/csv'],
      ]);
      // Nothing removed remotely by default.
      expect(await fx.list(d)).toHaveLength(4);
    });

    it('takes a pattern in the last segment of remote_path (/exports/TXN_*.csv)', async () => {
      const d = dir('last');
      await fx.write(`${d}/exports/TXN_1.csv`, 'a');
      await fx.write(`${d}/exports/report-1.xlsx`, 'b');
      await fx.write(`${d}/exports/report-10.xlsx`, 'c');
      const storage = new InMemoryObjectStorage();
      const out = await run({ operation: 'download', remote_path: `${d}/exports/report-?.xlsx` }, { storage });
      expect(out.files.map((f) => f.filename)).toEqual(['report-1.xlsx']);
      const csv = await run({ operation: 'download', remote_path: `${d}/exports/TXN_*.csv` }, { storage });
      expect(csv.files.map((f) => f.remote_path)).toEqual([`${d}/exports/TXN_1.csv`]);
    });

    it('downloads recursively keeping relative paths, under local_path', async () => {
      const d = dir('rec');
      await fx.write(`${d}/a.csv`, '1');
      await fx.write(`${d}/2026/01/b.csv`, '22');
      await fx.write(`${d}/2026/02/c.csv`, '333');
      await fx.write(`${d}/2026/02/skip.txt`, 'x');
      const storage = new InMemoryObjectStorage();
      const flat = await run({ operation: 'download', remote_path: d, options: { wildcard_pattern: '*.csv' } }, { storage });
      expect(flat.files.map((f) => f.filename)).toEqual(['a.csv']);
      const out = await run({ operation: 'download', remote_path: d, local_path: 'inbox', options: { wildcard_pattern: '*.csv', recursive: true } }, { storage });
      expect(out.files.map((f) => [f.path, f.size])).toEqual([
        [sftpDownloadKey(JOB, EXEC, 'inbox/2026/01/b.csv'), 2],
        [sftpDownloadKey(JOB, EXEC, 'inbox/2026/02/c.csv'), 3],
        [sftpDownloadKey(JOB, EXEC, 'inbox/a.csv'), 1],
      ]);
      expect((await storage.get(sftpDownloadKey(JOB, EXEC, 'inbox/2026/02/c.csv'))).toString()).toBe('333');
    });

    it('downloads one named file; a missing file or folder fails without retry', async () => {
      const d = dir('one');
      await fx.write(`${d}/only.json`, '{"a":1}');
      const storage = new InMemoryObjectStorage();
      const out = await run({ operation: 'download', remote_path: `${d}/only.json` }, { storage });
      expect(out.files).toEqual([expect.objectContaining({ filename: 'only.json', size: 7 })]);

      const missing = await caught(() => run({ operation: 'download', remote_path: `${d}/nope.csv` }));
      expect(missing).toBeInstanceOf(SftpFileNotFoundError);
      expect(missing).toMatchObject({ retryable: false, code: 'SFTP_FILE_NOT_FOUND' });
      expect((missing as Error).message).toContain(`${d}/nope.csv`);
      const noDir = await caught(() => run({ operation: 'download', remote_path: `${d}/none/*.csv` }));
      expect(noDir).toBeInstanceOf(SftpFileNotFoundError);
      // A pattern that matches nothing is a success with no files.
      expect((await run({ operation: 'download', remote_path: `${d}/*.csv` })).files).toEqual([]);
    });

    it('deletes or moves remote files after download, honours max_files and skips files still changing', async () => {
      const d = dir('post');
      for (const n of ['1', '2', '3']) await fx.write(`${d}/in/f${n}.csv`, n);
      const storage = new InMemoryObjectStorage();
      const moved = await run(
        { operation: 'download', remote_path: `${d}/in/*.csv`, options: { max_files: 2, move_after_download: `${d}/archive`, create_directories: true } },
        { storage },
      );
      expect(moved.files.map((f) => f.filename)).toEqual(['f1.csv', 'f2.csv']);
      expect(await fx.list(`${d}/in`)).toEqual(['f3.csv']);
      expect(await fx.list(`${d}/archive`)).toEqual(['f1.csv', 'f2.csv']);

      const deleted = await run({ operation: 'download', remote_path: `${d}/in/*.csv`, options: { delete_after_download: true } }, { storage });
      expect(deleted.files.map((f) => f.filename)).toEqual(['f3.csv']);
      expect(await fx.list(`${d}/in`)).toEqual([]);

      await fx.write(`${d}/in/stable.csv`, 'done');
      await fx.write(`${d}/in/growing.csv`, 'part');
      // A partner keeps writing growing.csv during the whole step.
      let more = 'part';
      let writing = true;
      const writer = (async () => {
        while (writing) {
          more += ', more';
          await fx.write(`${d}/in/growing.csv`, more);
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      const stable = await run({ operation: 'download', remote_path: `${d}/in`, options: { stable_seconds: 1 } }, { storage });
      writing = false;
      await writer;
      expect(stable.files.map((f) => f.filename)).toEqual(['stable.csv']);
    });
  });

  describe('upload', () => {
    it('uploads several objects into a new remote folder (create_directories) under temporary names renamed at the end', async () => {
      const d = dir('up');
      const storage = new InMemoryObjectStorage();
      await storage.put(executionFileKey(JOB, EXEC, 'output/report.xlsx'), Buffer.from('xlsx-bytes'));
      await storage.put(executionFileKey(JOB, EXEC, 'output/summary.csv'), 'a,b\n');
      const out = await run(
        {
          operation: 'upload',
          remote_path: `${d}/outbox/2026`,
          local_path: ['output/report.xlsx', executionFileKey(JOB, EXEC, 'output/summary.csv')],
          options: { create_directories: true },
        },
        { storage },
      );
      expect(out.files.map((f) => [f.filename, f.remote_path, f.size, f.path])).toEqual([
        ['report.xlsx', `${d}/outbox/2026/report.xlsx`, 10, executionFileKey(JOB, EXEC, 'output/report.xlsx')],
        ['summary.csv', `${d}/outbox/2026/summary.csv`, 4, executionFileKey(JOB, EXEC, 'output/summary.csv')],
      ]);
      expect(Date.parse(out.files[0]!.upload_time!)).not.toBeNaN();
      expect(await fx.list(`${d}/outbox/2026`)).toEqual(['report.xlsx', 'summary.csv']);
      expect((await fx.read(`${d}/outbox/2026/report.xlsx`)).toString()).toBe('xlsx-bytes');

      // One object to a file name replaces the remote file.
      await storage.put(executionFileKey(JOB, EXEC, 'output/v2.csv'), 'new');
      await run({ operation: 'upload', remote_path: `${d}/outbox/2026/summary.csv`, local_path: 'output/v2.csv' }, { storage });
      expect((await fx.read(`${d}/outbox/2026/summary.csv`)).toString()).toBe('new');
    });

    it('the final name appears only once the whole file is written (partners never see a partial file)', async () => {
      const d = dir('atomic');
      await fx.mkdirp(d);
      const body = new PassThrough();
      const storage = new InMemoryObjectStorage();
      storage.getStream = async () => body;
      const pending = run({ operation: 'upload', remote_path: `${d}/final.csv`, local_path: 'output/x.csv' }, { storage });
      body.write(Buffer.alloc(100_000, 'a'));
      // Wait until the temporary file holds the first bytes.
      let names: string[] = [];
      for (let i = 0; i < 100 && names.length === 0; i++) {
        names = (await fx.list(d)).filter((n) => n.endsWith('.part'));
        if (names.length === 0) await new Promise((r) => setTimeout(r, 20));
      }
      expect(names).toEqual([expect.stringMatching(/^\.final\.csv\.[0-9a-f]{8}\.part$/)]);
      expect(await fx.exists(`${d}/final.csv`)).toBe(false);
      body.end(Buffer.alloc(50_000, 'b'));
      const out = await pending;
      expect(out.files[0]!.size).toBe(150_000);
      expect(await fx.list(d)).toEqual(['final.csv']);
      expect(await fx.size(`${d}/final.csv`)).toBe(150_000);
    });

    it('fails without retry when the remote folder is missing (no create_directories) or the object does not exist', async () => {
      const d = dir('upmiss');
      const storage = new InMemoryObjectStorage();
      await storage.put(executionFileKey(JOB, EXEC, 'output/a.csv'), 'a');
      const noFolder = await caught(() => run({ operation: 'upload', remote_path: `${d}/nowhere/a.csv`, local_path: 'output/a.csv' }, { storage }));
      expect(noFolder).toBeInstanceOf(SftpFileNotFoundError);
      expect((noFolder as StepError).retryable).toBe(false);
      await fx.mkdirp(d);
      const noObject = await caught(() => run({ operation: 'upload', remote_path: `${d}/b.csv`, local_path: 'output/missing.csv' }, { storage }));
      expect(noObject).toBeInstanceOf(SftpFileNotFoundError);
      expect((noObject as Error).message).toContain(executionFileKey(JOB, EXEC, 'output/missing.csv'));
      expect(await fx.list(d)).toEqual([]);
    });
  });

  describe('authentication', () => {
    it.each([
      ['ed25519 key file', keyAuth('id_ed25519')],
      ['ECDSA key file', keyAuth('id_ecdsa')],
      ['RSA key (the server accepts only rsa-sha2-256/512)', keyAuth('id_rsa')],
      ['key text from a variable', { type: 'ssh_key', username: KEY_USER, private_key: readFileSync(keyPath('id_ecdsa'), 'utf8') }],
      ['encrypted key with passphrase', { type: 'ssh_key', username: KEY_USER, private_key_path: keyPath('id_ed25519_pass'), passphrase: passphrase() }],
      ['password', { type: 'password', username: PASSWORD_USER, password: password() }],
    ])('connects with %s', async (_name, auth) => {
      const d = dir('auth');
      await fx.write(`${d}/hello.txt`, 'hi');
      const storage = new InMemoryObjectStorage();
      const out = await run({ operation: 'download', remote_path: `${d}/hello.txt`, auth }, { storage });
      expect(out.files).toHaveLength(1);
      expect((await storage.get(out.files[0]!.path)).toString()).toBe('hi');
    });

    it('a wrong password fails without retry and never shows the password', async () => {
      const err = await caught(() => run({ operation: 'download', remote_path: '.', auth: { type: 'password', username: PASSWORD_USER, password: 'not-the-password-123' } }));
      expect(err).toBeInstanceOf(SftpAuthError);
      expect(err).toMatchObject({ retryable: false, code: 'SFTP_AUTH_FAILED' });
      expect((err as Error).message).toContain(PASSWORD_USER);
      expect(JSON.stringify((err as StepError).toJSON())).not.toContain('not-the-password-123');
    });

    it('a key the server does not know, or a wrong passphrase, fails without retry', async () => {
      const dirTmp = mkdtempSync(join(tmpdir(), 'vecron-key-'));
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dirTmp, 'k')]);
      const unknown = await caught(() => run({ operation: 'download', remote_path: '.', auth: { type: 'ssh_key', username: KEY_USER, private_key_path: join(dirTmp, 'k') } }));
      expect(unknown).toBeInstanceOf(SftpAuthError);
      const badPass = await caught(() =>
        run({ operation: 'download', remote_path: '.', auth: { type: 'ssh_key', username: KEY_USER, private_key_path: keyPath('id_ed25519_pass'), passphrase: 'wrong' } }),
      );
      expect(badPass).toBeInstanceOf(SftpPrivateKeyError);
      expect(badPass).toMatchObject({ retryable: false, code: 'SFTP_PRIVATE_KEY_INVALID' });
      const noFile = await caught(() => run({ operation: 'download', remote_path: '.', auth: { type: 'ssh_key', username: KEY_USER, private_key_path: join(dirTmp, 'none') } }));
      expect(noFile).toBeInstanceOf(SftpPrivateKeyError);
    });
  });

  describe('host key verification', () => {
    const fingerprint = (pub: string): string => {
      const file = join(mkdtempSync(join(tmpdir(), 'vecron-hk-')), 'k.pub');
      writeFileSync(file, `${pub}\n`);
      return execFileSync('ssh-keygen', ['-lf', file], { encoding: 'utf8' }).split(' ')[1]!;
    };

    it('accepts the server with the plain and the hashed known_hosts, and with host_key as ssh-keygen -lf prints it', async () => {
      await run({ operation: 'download', remote_path: '*.none' }, {}, new SftpExecutor({ knownHostsPath: KNOWN_HOSTS_HASHED }));
      await run({ operation: 'download', remote_path: '*.none', options: { verify_host_key: true } });
      const fp = fingerprint(hostPublicKey('ed25519'));
      expect(fp).toMatch(/^SHA256:/);
      await run({ operation: 'download', remote_path: '*.none', options: { host_key: fp } }, {}, new SftpExecutor({ knownHostsPath: '/nonexistent' }));
      // The RSA host key pinned as a known_hosts line: the client asks for that key type.
      await run({ operation: 'download', remote_path: '*.none', options: { host_key: `[127.0.0.1]:${SFTP_PORT} ${hostPublicKey('rsa')}` } });
    });

    it('a wrong host key fails without retry, naming the host and both fingerprints', async () => {
      const other = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
      const err = await caught(() => run({ operation: 'download', remote_path: '.', options: { host_key: other } }));
      expect(err).toBeInstanceOf(SftpHostKeyError);
      expect(err).toMatchObject({ retryable: false, code: 'SFTP_HOST_KEY_MISMATCH' });
      const message = (err as Error).message;
      expect(message).toContain(`[127.0.0.1]:${SFTP_PORT}`);
      expect(message).toContain(other);
      expect(message).toContain(fingerprint(hostPublicKey('ed25519')));

      // known_hosts with another key for this host.
      const kh = join(mkdtempSync(join(tmpdir(), 'vecron-kh-')), 'known_hosts');
      const dirTmp = mkdtempSync(join(tmpdir(), 'vecron-key-'));
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dirTmp, 'k')]);
      const fake = readFileSync(join(dirTmp, 'k.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
      writeFileSync(kh, `[127.0.0.1]:${SFTP_PORT} ${fake}\n`);
      const mismatch = await caught(() => run({ operation: 'download', remote_path: '.' }, {}, new SftpExecutor({ knownHostsPath: kh })));
      expect(mismatch).toMatchObject({ code: 'SFTP_HOST_KEY_MISMATCH', retryable: false });
      expect((mismatch as Error).message).toContain(fingerprint(fake));
    });

    it('an unknown host fails without retry; verify_host_key: false connects and logs a warning', async () => {
      const kh = join(mkdtempSync(join(tmpdir(), 'vecron-kh-')), 'known_hosts');
      writeFileSync(kh, `[127.0.0.1]:1 ${hostPublicKey('ed25519')}\nother.example.com ${hostPublicKey('ed25519')}\n`);
      const unknown = await caught(() => run({ operation: 'download', remote_path: '.' }, {}, new SftpExecutor({ knownHostsPath: kh })));
      expect(unknown).toBeInstanceOf(SftpHostKeyError);
      expect(unknown).toMatchObject({ code: 'SFTP_HOST_KEY_UNKNOWN', retryable: false });
      expect((unknown as Error).message).toContain(`[127.0.0.1]:${SFTP_PORT} is not a known host`);
      expect((unknown as Error).message).toContain(fingerprint(hostPublicKey('ed25519')));

      const { logger, lines } = captureLogger();
      await run({ operation: 'download', remote_path: '*.none', options: { verify_host_key: false } }, { logger }, new SftpExecutor({ knownHostsPath: kh }));
      expect(lines.some((l) => l.includes('"level":40') && l.includes('verify_host_key: false'))).toBe(true);
    });
  });

  describe('connection, abort and timeout', () => {
    it('a refused connection is retryable', async () => {
      const port = await closedPort();
      const err = await caught(() => run({ operation: 'download', remote_path: '.', port }));
      expect(err).toBeInstanceOf(SftpConnectionError);
      expect(err).toMatchObject({ retryable: true, code: 'SFTP_CONNECTION_ERROR' });
      expect((err as Error).message).toContain('ECONNREFUSED');
    });

    it('abort mid-download removes the partial object and closes the connection', async () => {
      const d = dir('abort');
      const storage = new HashingStorage();
      const source = executionFileKey(JOB, EXEC, 'big.bin');
      storage.generate(source, 16 * 1024 * 1024);
      await run({ operation: 'upload', remote_path: `${d}/big.bin`, local_path: 'big.bin', options: { create_directories: true } }, { storage });

      const controller = new AbortController();
      const target = new InMemoryObjectStorage();
      const deleted: string[] = [];
      const originalDelete = target.delete.bind(target);
      target.delete = async (key) => {
        deleted.push(key);
        return originalDelete(key);
      };
      let received = 0;
      target.putStream = async (_key, body) => {
        for await (const chunk of body) {
          received += (chunk as Buffer).length;
          if (received > 1024 * 1024 && !controller.signal.aborted) controller.abort(new Error('cancelled by test'));
        }
      };
      const before = connectionsToServer();
      expect(before).toBeGreaterThanOrEqual(1); // the fixture's own connection: the count sees this process
      const err = await caught(() => run({ operation: 'download', remote_path: `${d}/big.bin` }, { storage: target, signal: controller.signal }));
      expect(err).toBeInstanceOf(StepAbortedError);
      expect(received).toBeLessThan(16 * 1024 * 1024);
      expect(deleted).toEqual([sftpDownloadKey(JOB, EXEC, 'big.bin')]);
      await waitUntil(() => connectionsToServer() <= before);
    });

    it('abort mid-upload removes the remote temporary file; timeout_seconds fails retryably', async () => {
      const d = dir('upabort');
      await fx.mkdirp(d);
      const controller = new AbortController();
      const storage = new InMemoryObjectStorage();
      storage.getStream = async () => slowSource(() => controller.abort(new Error('stop')));
      const err = await caught(() => run({ operation: 'upload', remote_path: `${d}/x.csv`, local_path: 'x.csv' }, { storage, signal: controller.signal }));
      expect(err).toBeInstanceOf(StepAbortedError);
      expect(await fx.list(d)).toEqual([]);

      storage.getStream = async () => slowSource(() => undefined);
      const timeout = await caught(() => run({ operation: 'upload', remote_path: `${d}/y.csv`, local_path: 'y.csv', timeout_seconds: 1 }, { storage }));
      expect(timeout).toBeInstanceOf(StepTimeoutError);
      expect((timeout as StepError).retryable).toBe(true);
      expect(await fx.list(d)).toEqual([]);
    });
  });

  it('1 GB up and down with the same sha256, streamed (no file held in memory)', async () => {
    const d = dir('gb');
    const size = 1024 * 1024 * 1024;
    const storage = new HashingStorage();
    const source = executionFileKey(JOB, EXEC, 'big/1g.bin');
    storage.generate(source, size);
    const started = Date.now();
    const up = await run({ operation: 'upload', remote_path: `${d}/1g.bin`, local_path: 'big/1g.bin', options: { create_directories: true } }, { storage });
    const upMs = Date.now() - started;
    expect(up.files[0]!.size).toBe(size);
    expect(await fx.size(`${d}/1g.bin`)).toBe(size);
    const down = await run({ operation: 'download', remote_path: `${d}/1g.bin` }, { storage });
    const downMs = Date.now() - started - upMs;
    const received = storage.received.get(down.files[0]!.path)!;
    expect(received.size).toBe(size);
    expect(received.sha256).toBe(storage.generated.get(source)!.sha256);
    process.stdout.write(`1 GiB: upload ${upMs} ms (${Math.round(size / 1e3 / upMs)} MB/s), download ${downMs} ms (${Math.round(size / 1e3 / downMs)} MB/s)\n`);
  }, 180_000);
});

/** A source that sends 256 KiB, calls `then`, and never ends. */
function slowSource(then: () => void): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (sent) return;
      sent = true;
      this.push(Buffer.alloc(256 * 1024, 'z'));
      setTimeout(then, 200);
    },
  });
}

/** Established TCP connections of this process to the sshd port (from `ss`; other suites may hold their own). */
function connectionsToServer(): number {
  const out = execFileSync('ss', ['-Htnp', 'state', 'established', `( dport = :${SFTP_PORT} )`], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(`pid=${process.pid},`)).length;
}

async function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
