export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A file of an import batch that is not JSON: it is reported as failed, the others are imported. */
export class UnreadableFile {
  constructor(readonly reason: string) {}
}
