import { chownSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { randomBytes } from 'crypto';
import path from 'path';

/**
 * The sshd of scripts/services.d/sshd.sh: port VECRON_TEST_SFTP_PORT (default 22222), folder
 * VECRON_TEST_SFTP_DIR (default .data/sshd) with keys/, known_hosts and files/ (the users' home,
 * on this machine's disk, so tests lay out and check remote files directly).
 */
export const SFTP_PORT = Number(process.env.VECRON_TEST_SFTP_PORT ?? 22222);
export const SFTP_DIR = process.env.VECRON_TEST_SFTP_DIR ?? path.resolve(__dirname, '../../.data/sshd');
export const SFTP_KEY_USER = 'vecron-sftp';
export const SFTP_PASSWORD_USER = 'vecron-sftp-pw';
export const SFTP_KNOWN_HOSTS = path.join(SFTP_DIR, 'known_hosts');
export const SFTP_KEY = path.join(SFTP_DIR, 'keys', 'id_ed25519');
const FILES = path.join(SFTP_DIR, 'files');

/** A fresh folder in the SFTP users' home, owned by them; returns its path relative to the home. */
export function remoteFolder(prefix: string): string {
  const name = `e2e-${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  mkdirSync(path.join(FILES, name));
  own(name);
  return name;
}

/** Writes a remote file (relative to the home), creating its folders, all owned by the SFTP users. */
export function writeRemote(relative: string, content: string | Buffer): void {
  const parts = relative.split('/');
  for (let i = 1; i < parts.length; i++) {
    const dir = parts.slice(0, i).join('/');
    mkdirSync(path.join(FILES, dir), { recursive: true });
    own(dir);
  }
  writeFileSync(path.join(FILES, relative), content);
  own(relative);
}

export function readRemote(relative: string): Buffer {
  return readFileSync(path.join(FILES, relative));
}

export function listRemote(relative: string): string[] {
  return readdirSync(path.join(FILES, relative)).sort();
}

/** Removes a remote folder and its contents. */
export function removeRemote(relative: string): void {
  rmSync(path.join(FILES, relative), { recursive: true, force: true });
}

function own(relative: string): void {
  const { uid, gid } = statSync(FILES);
  chownSync(path.join(FILES, relative), uid, gid);
}
