/** One difference between two JSON values, by path. */
export interface Change {
  op: '+' | '-' | '~';
  path: string;
  from?: unknown;
  to?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`;
}

/** The changes that turn `from` into `to` (objects by key, arrays by index), in document order. */
export function diffJson(from: unknown, to: unknown, path = ''): Change[] {
  if (isObject(from) && isObject(to)) {
    const out: Change[] = [];
    for (const key of Object.keys(from)) {
      if (!(key in to)) out.push({ op: '-', path: child(path, key), from: from[key] });
      else out.push(...diffJson(from[key], to[key], child(path, key)));
    }
    for (const key of Object.keys(to)) if (!(key in from)) out.push({ op: '+', path: child(path, key), to: to[key] });
    return out;
  }
  if (Array.isArray(from) && Array.isArray(to)) {
    const out: Change[] = [];
    for (let i = 0; i < Math.max(from.length, to.length); i++) {
      if (i >= to.length) out.push({ op: '-', path: child(path, i), from: from[i] });
      else if (i >= from.length) out.push({ op: '+', path: child(path, i), to: to[i] });
      else out.push(...diffJson(from[i], to[i], child(path, i)));
    }
    return out;
  }
  return JSON.stringify(from) === JSON.stringify(to) ? [] : [{ op: '~', path, from, to }];
}

/** `~ steps[0].config.url: "a" → "b"` lines. */
export function formatChanges(changes: readonly Change[]): string[] {
  const show = (v: unknown): string => {
    const text = JSON.stringify(v);
    return text.length > 200 ? `${text.slice(0, 197)}...` : text;
  };
  return changes.map((c) => {
    const at = c.path || '(root)';
    if (c.op === '+') return `+ ${at}: ${show(c.to)}`;
    if (c.op === '-') return `- ${at}: ${show(c.from)}`;
    return `~ ${at}: ${show(c.from)} → ${show(c.to)}`;
  });
}
