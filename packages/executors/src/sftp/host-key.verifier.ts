import {
  decodePublicKey,
  entriesForHost,
  keyBlobType,
  parseKnownHostsLine,
  sha256Fingerprint,
  type KnownHostEntry,
} from './known-hosts';

/** What `options.host_key` pins: a fingerprint, or a key (from a known_hosts line or `type base64`). */
export type HostKeySpec = { fingerprint: string } | { keyType: string; key: Buffer; fingerprint: string };

const SHA256_FINGERPRINT = /^SHA256:([A-Za-z0-9+/]{43})=?$/;

/**
 * Parses `options.host_key`: `SHA256:…` (as `ssh-keygen -lf` prints it), a known_hosts line
 * (`[host]:port ssh-ed25519 AAAA…`, its host field is not checked: the step names the host),
 * or `ssh-ed25519 AAAA… [comment]`. Undefined when it is none of them.
 */
export function parseHostKeySpec(text: string): HostKeySpec | undefined {
  const value = text.trim();
  const fp = SHA256_FINGERPRINT.exec(value);
  if (fp) return { fingerprint: `SHA256:${fp[1]}` };
  const fields = value.split(/\s+/);
  if (fields.length >= 2) {
    const key = decodePublicKey(fields[0]!, fields[1]!);
    if (key) return { keyType: fields[0]!, key, fingerprint: sha256Fingerprint(key) };
  }
  const entry = parseKnownHostsLine(value);
  if (entry && !entry.marker) return { keyType: entry.keyType, key: entry.key, fingerprint: sha256Fingerprint(entry.key) };
  return undefined;
}

/** The outcome of checking a server's host key. */
export type HostKeyCheck =
  | { ok: true; fingerprint: string; source: string }
  | { ok: false; reason: 'unknown' | 'mismatch' | 'revoked'; fingerprint: string; keyType: string; expected: string[]; source: string };

/** Where the expected keys come from: the step's `host_key`, or known_hosts entries. */
export type HostKeyPolicy =
  | { kind: 'pinned'; spec: HostKeySpec }
  | { kind: 'known_hosts'; entries: readonly KnownHostEntry[]; source: string };

/**
 * Checks the key blob a server presented. Known-hosts rules as OpenSSH applies them with
 * `StrictHostKeyChecking yes`: a matching `@revoked` entry refuses the key; a key equal to one
 * of the host's entries is accepted; entries for the host but none equal → mismatch; no entry
 * → unknown host. `@cert-authority` entries are not used (certificates are not supported).
 */
export function checkHostKey(policy: HostKeyPolicy, host: string, port: number, key: Buffer): HostKeyCheck {
  const fingerprint = sha256Fingerprint(key);
  const keyType = keyBlobType(key) ?? 'unknown';
  if (policy.kind === 'pinned') {
    const source = 'options.host_key';
    if (policy.spec.fingerprint === fingerprint) return { ok: true, fingerprint, source };
    return { ok: false, reason: 'mismatch', fingerprint, keyType, expected: [policy.spec.fingerprint], source };
  }
  const entries = entriesForHost(policy.entries, host, port);
  if (entries.some((e) => e.marker === 'revoked' && e.key.equals(key))) {
    return { ok: false, reason: 'revoked', fingerprint, keyType, expected: [], source: policy.source };
  }
  const plain = entries.filter((e) => e.marker === undefined);
  if (plain.some((e) => e.key.equals(key))) return { ok: true, fingerprint, source: policy.source };
  return {
    ok: false,
    reason: plain.length === 0 ? 'unknown' : 'mismatch',
    fingerprint,
    keyType,
    expected: plain.map((e) => `${e.keyType} ${sha256Fingerprint(e.key)}`),
    source: policy.source,
  };
}

/** Host key algorithms to prefer for a host, from the key types known for it (OpenSSH does the same). */
export function preferredHostKeyAlgorithms(policy: HostKeyPolicy, host: string, port: number): string[] {
  const types =
    policy.kind === 'pinned'
      ? 'keyType' in policy.spec
        ? [policy.spec.keyType]
        : []
      : entriesForHost(policy.entries, host, port)
          .filter((e) => e.marker === undefined)
          .map((e) => e.keyType);
  const algorithms: string[] = [];
  for (const type of types) {
    const forType = type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type];
    for (const a of forType) if (!algorithms.includes(a)) algorithms.push(a);
  }
  return algorithms;
}
