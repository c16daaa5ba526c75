import { randomBytes } from 'crypto';
import { SecretCipher, SecretCipherError, parseEncryptionKeys } from './secret-cipher';

const k = () => randomBytes(32).toString('base64');

describe('parseEncryptionKeys', () => {
  it('parses id:key pairs', () => {
    const keys = parseEncryptionKeys(`a:${k()}, b:${k()}`);
    expect(keys.map((x) => x.id)).toEqual(['a', 'b']);
    expect(keys[0]!.key).toHaveLength(32);
  });
  it('accepts an empty spec', () => expect(parseEncryptionKeys('')).toEqual([]));
  it.each([
    ['nokey', 'key #1: expected "id:base64key"'],
    [`bad id!:${k()}`, 'key #1: id must match'],
    ['a:c2hvcnQ=', 'key "a": must be 32 bytes, base64-encoded (got 5 bytes)'],
  ])('rejects %s', (spec, message) => {
    expect(() => parseEncryptionKeys(spec)).toThrow(message);
  });
  it('rejects duplicate ids', () => expect(() => parseEncryptionKeys(`a:${k()},a:${k()}`)).toThrow('key id "a" appears twice'));
  it('never echoes key material in errors', () => {
    const secret = 'c2VjcmV0LWtleS1tYXRlcmlhbA==';
    try {
      parseEncryptionKeys(`a:${secret}`);
      throw new Error('should have thrown');
    } catch (e) {
      expect((e as Error).message).not.toContain(secret);
    }
  });
});

describe('SecretCipher', () => {
  const keys = parseEncryptionKeys(`old:${k()},new:${k()}`);

  it('round-trips with the active key, with a fresh IV each time', () => {
    const c = new SecretCipher(keys, 'new');
    const a = c.encrypt('p@ss wörd');
    const b = c.encrypt('p@ss wörd');
    expect(a.keyId).toBe('new');
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(a.ciphertext).not.toContain('p@ss');
    expect(c.decrypt(a.keyId, a.ciphertext)).toBe('p@ss wörd');
  });

  it('decrypts values of a non-active configured key (rotation)', () => {
    const old = new SecretCipher(keys, 'old').encrypt('x');
    expect(new SecretCipher(keys, 'new').decrypt(old.keyId, old.ciphertext)).toBe('x');
  });

  it('detects tampering', () => {
    const c = new SecretCipher(keys, 'new');
    const { keyId, ciphertext } = c.encrypt('hello');
    const raw = Buffer.from(ciphertext, 'base64');
    raw[raw.length - 1] ^= 1;
    expect(() => c.decrypt(keyId, raw.toString('base64'))).toThrow('does not decrypt with key "new"');
  });

  it('names a missing key and refuses to encrypt without one', () => {
    const c = new SecretCipher([], null);
    expect(() => c.encrypt('x')).toThrow(SecretCipherError);
    expect(() => c.decrypt('gone', 'AAAA')).toThrow('value encrypted with key "gone", which is not configured');
    expect(() => new SecretCipher(keys, 'nope')).toThrow('active key id "nope" is not among the configured keys');
  });
});
