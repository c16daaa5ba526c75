import { posix } from 'node:path';
import { minimatch } from 'minimatch';

/** Characters that make the last segment of `remote_path` a pattern. */
const GLOB_CHARS = /[*?[]/;

export function hasGlob(segment: string): boolean {
  return GLOB_CHARS.test(segment);
}

/** `*` any characters, `?` one, `[…]` a set; matched against one file name (hidden files need a leading `.` in the pattern). */
export function matchesPattern(name: string, pattern: string): boolean {
  return minimatch(name, pattern, { nobrace: true, noext: true, noglobstar: true, nocomment: true, nonegate: true });
}

/** A remote folder and the optional pattern its files must match, from `remote_path` and `wildcard_pattern`. */
export function splitRemotePattern(remotePath: string, wildcard: string | undefined): { dir: string; pattern?: string } | { path: string } {
  if (wildcard !== undefined) return { dir: trimSlash(remotePath), pattern: wildcard };
  const trimmed = trimSlash(remotePath);
  const base = posix.basename(trimmed);
  if (base !== '' && hasGlob(base)) return { dir: posix.dirname(trimmed), pattern: base };
  return { path: trimmed };
}

/** Drops trailing slashes (keeps `/`). */
export function trimSlash(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? (path.startsWith('/') ? '/' : '.') : trimmed;
}

/** Joins remote path segments with `/`. */
export function joinRemote(dir: string, name: string): string {
  if (dir === '.' || dir === '') return name;
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

const MIME_TYPES: Record<string, string> = {
  csv: 'text/csv',
  txt: 'text/plain',
  tsv: 'text/tab-separated-values',
  json: 'application/json',
  ndjson: 'application/x-ndjson',
  xml: 'application/xml',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  xls: 'application/vnd.ms-excel',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  pgp: 'application/pgp-encrypted',
  gpg: 'application/pgp-encrypted',
};

/** MIME type from the file extension; application/octet-stream when unknown. */
export function mimeTypeOf(filename: string): string {
  const ext = posix.extname(filename).slice(1).toLowerCase();
  return MIME_TYPES[ext] ?? 'application/octet-stream';
}
