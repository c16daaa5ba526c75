import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * OpenSSH known_hosts files (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"):
 *
 * ```
 * [@cert-authority|@revoked] hostpatterns keytype base64-key [comment]
 * ```
 *
 * `hostpatterns` is a comma-separated list of names/addresses with `*` and `?` wildcards and
 * `!` negation, where a non-default port is written `[host]:port`; or one hashed entry
 * `|1|base64(salt)|base64(HMAC-SHA1(salt, host))` (`ssh-keygen -H`, `HashKnownHosts yes`).
 */
export interface KnownHostEntry {
  marker?: 'cert-authority' | 'revoked';
  /** Plain patterns (`host`, `*.example.com`, `!bad.example.com`, `[host]:2222`). Empty for a hashed entry. */
  patterns: string[];
  /** The salt and HMAC of a hashed entry. */
  hashed?: { salt: Buffer; hash: Buffer };
  keyType: string;
  /** The public key blob (SSH wire format, the base64 field decoded). */
  key: Buffer;
  /** 1-based line number in the file. */
  line: number;
}

/** The key types a known_hosts line may name (the signature algorithms differ for RSA). */
const KEY_TYPES = /^(ssh-(rsa|dss|ed25519|ed448)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)$/;

/** `ssh-keygen -lf` style fingerprint of a public key blob: `SHA256:` + unpadded base64 of its SHA-256. */
export function sha256Fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** ssh2's `hostHash: 'sha256'` hands `hostVerifier` a hex digest; OpenSSH prints base64. */
export function hexDigestToFingerprint(hex: string): string {
  return `SHA256:${Buffer.from(hex, 'hex').toString('base64').replace(/=+$/, '')}`;
}

/** The key type written inside a key blob (its first SSH string), or undefined if malformed. */
export function keyBlobType(key: Buffer): string | undefined {
  if (key.length < 4) return undefined;
  const len = key.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > key.length) return undefined;
  return key.subarray(4, 4 + len).toString('latin1');
}

/** `keytype base64` → the key blob, when the base64 decodes to a blob of that type. */
export function decodePublicKey(keyType: string, base64: string): Buffer | undefined {
  if (!KEY_TYPES.test(keyType) || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  const key = Buffer.from(base64, 'base64');
  return keyBlobType(key) === keyType ? key : undefined;
}

/** Parses a known_hosts text. Comments, blank lines and malformed lines are skipped (as ssh does). */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const entry = parseKnownHostsLine(raw, index + 1);
    if (entry) entries.push(entry);
  });
  return entries;
}

/** One known_hosts line, or undefined for a comment, blank or malformed line. */
export function parseKnownHostsLine(raw: string, line = 1): KnownHostEntry | undefined {
  const text = raw.trim();
  if (text === '' || text.startsWith('#')) return undefined;
  const fields = text.split(/\s+/);
  let marker: KnownHostEntry['marker'];
  if (fields[0]?.startsWith('@')) {
    const name = fields.shift()!.slice(1);
    if (name !== 'cert-authority' && name !== 'revoked') return undefined;
    marker = name;
  }
  const [hosts, keyType, base64] = fields;
  if (!hosts || !keyType || !base64) return undefined;
  const key = decodePublicKey(keyType, base64);
  if (!key) return undefined;
  const entry: KnownHostEntry = { patterns: [], keyType, key, line };
  if (marker) entry.marker = marker;
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (!salt || !hash) return undefined;
    entry.hashed = { salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
    if (entry.hashed.salt.length !== 20 || entry.hashed.hash.length !== 20) return undefined;
  } else {
    entry.patterns = hosts.split(',').filter((p) => p !== '');
  }
  return entry;
}

/** How OpenSSH names a host in known_hosts: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** Whether an entry's host field matches `host`:`port` (hashed entries included, `!` negations honoured). */
export function entryMatchesHost(entry: KnownHostEntry, host: string, port: number): boolean {
  const name = knownHostsName(host, port);
  if (entry.hashed) {
    const mac = createHmac('sha1', entry.hashed.salt).update(name).digest();
    return timingSafeEqual(mac, entry.hashed.hash);
  }
  let matched = false;
  for (const pattern of entry.patterns) {
    const negated = pattern.startsWith('!');
    const p = (negated ? pattern.slice(1) : pattern).toLowerCase();
    // A plain host pattern only matches port 22; `[host]:port` names the others.
    if (sshPatternMatches(name, p)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** The entries of `entries` for host:port (revoked and cert-authority entries included, with their marker). */
export function entriesForHost(entries: readonly KnownHostEntry[], host: string, port: number): KnownHostEntry[] {
  return entries.filter((e) => entryMatchesHost(e, host, port));
}

/**
 * OpenSSH's match_pattern(): `*` any characters, `?` exactly one, everything else literal
 * (`[` and `]` included: they delimit `[host]:port`).
 */
export function sshPatternMatches(name: string, pattern: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(name);
}
