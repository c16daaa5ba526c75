import bcrypt from 'bcryptjs';

/** bcrypt cost of stored password hashes (≥ 10). */
export const BCRYPT_COST = 10;

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, BCRYPT_COST);
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(password, hash);
}

/** A hash compared against when the username is unknown, so that both failures take as long. */
export const DUMMY_HASH = bcrypt.hashSync('not-a-password', BCRYPT_COST);
