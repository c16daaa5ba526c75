import { createHmac, randomBytes } from 'node:crypto';
import { checkHostKey, parseHostKeySpec, preferredHostKeyAlgorithms } from './host-key.verifier';
import { entriesForHost, hexDigestToFingerprint, knownHostsName, parseKnownHosts, sha256Fingerprint, sshPatternMatches } from './known-hosts';

// Two real public keys (ssh-keygen output) and their `ssh-keygen -lf` fingerprints.
const ED = 'AAAAC3NzaC1lZDI1NTE5AAAAIE6WFlb7aVfE7U66cfc51bwYb3jmDHOhn6UYGH0wD6EX';
const ED_FP = 'SHA256:dgmbyJeWrpHbbKiZEaZCwYw3h+vVDQDYKcGxJ6Z4WJI';
const ED2 = 'AAAAC3NzaC1lZDI1NTE5AAAAIBJ3AjYFyxUsz8ScXOiK4+YpAq5y0OUs3T0SSj/WeC0H';
const blob = (b64: string): Buffer => Buffer.from(b64, 'base64');

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('known_hosts', () => {
  it('fingerprints like ssh-keygen -lf, and converts ssh2 hex digests', () => {
    expect(sha256Fingerprint(blob(ED))).toBe(ED_FP);
    const hex = Buffer.from(ED_FP.slice(7) + '=', 'base64').toString('hex');
    expect(hexDigestToFingerprint(hex)).toBe(ED_FP);
  });

  it('names hosts as OpenSSH does: plain on port 22, [host]:port otherwise', () => {
    expect(knownHostsName('SFTP.Example.com', 22)).toBe('sftp.example.com');
    expect(knownHostsName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
  });

  it('matches plain, wildcard, negated, [host]:port and hashed entries; skips comments and bad lines', () => {
    const text = [
      '# comment',
      '',
      `sftp.bank.example.com,10.0.0.5 ssh-ed25519 ${ED} bank`,
      `*.partner.example.com,!evil.partner.example.com ssh-ed25519 ${ED}`,
      `[127.0.0.1]:2222 ssh-ed25519 ${ED}`,
      `${hashed('[10.9.9.9]:2200')} ssh-ed25519 ${ED}`,
      `broken-line ssh-ed25519`,
      `badkey ssh-ed25519 !!!notbase64`,
    ].join('\n');
    const entries = parseKnownHosts(text);
    expect(entries.map((e) => e.line)).toEqual([3, 4, 5, 6]);
    const hosts = (h: string, p = 22): number[] => entriesForHost(entries, h, p).map((e) => e.line);
    expect(hosts('sftp.bank.example.com')).toEqual([3]);
    expect(hosts('10.0.0.5')).toEqual([3]);
    expect(hosts('10.0.0.5', 2222)).toEqual([]);
    expect(hosts('a.partner.example.com')).toEqual([4]);
    expect(hosts('evil.partner.example.com')).toEqual([]);
    expect(hosts('127.0.0.1', 2222)).toEqual([5]);
    expect(hosts('127.0.0.1')).toEqual([]);
    expect(hosts('10.9.9.9', 2200)).toEqual([6]);
    expect(hosts('10.9.9.9')).toEqual([]);
  });

  it('ssh patterns: * and ? only, brackets literal', () => {
    expect(sshPatternMatches('[h]:22', '[h]:22')).toBe(true);
    expect(sshPatternMatches('h', '[h]')).toBe(false);
    expect(sshPatternMatches('host1', 'host?')).toBe(true);
    expect(sshPatternMatches('a.b.c', '*.c')).toBe(true);
    expect(sshPatternMatches('axc', 'a.c')).toBe(false);
  });
});

describe('host key check', () => {
  const entries = parseKnownHosts(`h.example ssh-ed25519 ${ED}\n@revoked * ssh-ed25519 ${ED2}\n`);
  const policy = { kind: 'known_hosts' as const, entries, source: '/etc/known_hosts' };

  it('accepts the known key; unknown host; mismatch lists the expected fingerprints; revoked refused', () => {
    expect(checkHostKey(policy, 'h.example', 22, blob(ED))).toEqual({ ok: true, fingerprint: ED_FP, source: '/etc/known_hosts' });
    expect(checkHostKey(policy, 'other.example', 22, blob(ED))).toMatchObject({ ok: false, reason: 'unknown', fingerprint: ED_FP, expected: [] });
    const other = parseKnownHosts(`h.example ssh-ed25519 ${ED2}\n`);
    expect(checkHostKey({ ...policy, entries: other }, 'h.example', 22, blob(ED))).toMatchObject({
      ok: false, reason: 'mismatch', fingerprint: ED_FP, expected: [`ssh-ed25519 ${sha256Fingerprint(blob(ED2))}`],
    });
    expect(checkHostKey(policy, 'h.example', 22, blob(ED2))).toMatchObject({ ok: false, reason: 'revoked' });
  });

  it('host_key: a fingerprint, a known_hosts line or a bare key', () => {
    expect(parseHostKeySpec(ED_FP)).toEqual({ fingerprint: ED_FP });
    expect(parseHostKeySpec(`[1.2.3.4]:2222 ssh-ed25519 ${ED}`)).toMatchObject({ keyType: 'ssh-ed25519', fingerprint: ED_FP });
    expect(parseHostKeySpec(`ssh-ed25519 ${ED} comment`)).toMatchObject({ fingerprint: ED_FP });
    expect(parseHostKeySpec('SHA256:short')).toBeUndefined();
    expect(parseHostKeySpec('MD5:aa:bb')).toBeUndefined();
    const pinned = { kind: 'pinned' as const, spec: parseHostKeySpec(ED_FP)! };
    expect(checkHostKey(pinned, 'any', 22, blob(ED)).ok).toBe(true);
    expect(checkHostKey(pinned, 'any', 22, blob(ED2))).toMatchObject({ ok: false, reason: 'mismatch', expected: [ED_FP] });
  });

  it('prefers the known key types when negotiating (RSA → rsa-sha2-512/256)', () => {
    const type = Buffer.from('ssh-rsa');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(type.length);
    const rsaBlob = Buffer.concat([len, type, randomBytes(64)]).toString('base64');
    const both = parseKnownHosts(`h ssh-rsa ${rsaBlob}\nh ssh-ed25519 ${ED}\n`);
    expect(preferredHostKeyAlgorithms({ kind: 'known_hosts', entries: both, source: 'x' }, 'h', 22)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519']);
    expect(preferredHostKeyAlgorithms({ kind: 'pinned', spec: { fingerprint: ED_FP } }, 'h', 22)).toEqual([]);
  });
});
