import { createCipheriv, createDecipheriv, randomBytes } from 'crypto';

/** One AES-256 key with its id (stored next to every value it encrypted). */
export interface EncryptionKey {
  id: string;
  key: Buffer;
}

export class SecretCipherError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretCipherError';
  }
}

/**
 * Parses `id1:base64key,id2:base64key` (each key 32 bytes). The format of the
 * VARIABLES_ENCRYPTION_KEYS setting; errors never echo key material.
 */
export function parseEncryptionKeys(spec: string): EncryptionKey[] {
  const keys = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry, i) => {
      const sep = entry.indexOf(':');
      if (sep <= 0) throw new SecretCipherError(`key #${i + 1}: expected "id:base64key"`);
      const id = entry.slice(0, sep);
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id)) throw new SecretCipherError(`key #${i + 1}: id must match [A-Za-z0-9_.-]{1,64}`);
      const key = Buffer.from(entry.slice(sep + 1), 'base64');
      if (key.length !== 32) throw new SecretCipherError(`key "${id}": must be 32 bytes, base64-encoded (got ${key.length} bytes)`);
      return { id, key };
    });
  const ids = new Set<string>();
  for (const k of keys) {
    if (ids.has(k.id)) throw new SecretCipherError(`key id "${k.id}" appears twice`);
    ids.add(k.id);
  }
  return keys;
}

/**
 * AES-256-GCM for sensitive variable values. New values are encrypted with the active key;
 * any configured key decrypts (rotation: add a new key, make it active, re-encrypt).
 * Ciphertext format: base64(iv[12] | tag[16] | ciphertext).
 */
export class SecretCipher {
  private readonly keys: Map<string, Buffer>;

  constructor(keys: EncryptionKey[], private readonly activeKeyId: string | null) {
    this.keys = new Map(keys.map((k) => [k.id, k.key]));
    if (activeKeyId !== null && !this.keys.has(activeKeyId)) throw new SecretCipherError(`active key id "${activeKeyId}" is not among the configured keys`);
  }

  get activeKey(): string | null {
    return this.activeKeyId;
  }

  hasKey(id: string): boolean {
    return this.keys.has(id);
  }

  encrypt(plaintext: string): { keyId: string; ciphertext: string } {
    if (this.activeKeyId === null) throw new SecretCipherError('no encryption key is configured (VARIABLES_ENCRYPTION_KEYS)');
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.activeKeyId)!, iv);
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { keyId: this.activeKeyId, ciphertext: Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64') };
  }

  decrypt(keyId: string, ciphertext: string): string {
    const key = this.keys.get(keyId);
    if (!key) throw new SecretCipherError(`value encrypted with key "${keyId}", which is not configured`);
    const raw = Buffer.from(ciphertext, 'base64');
    if (raw.length < 28) throw new SecretCipherError('ciphertext is truncated');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    try {
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretCipherError(`value does not decrypt with key "${keyId}" (wrong key or tampered data)`);
    }
  }
}
