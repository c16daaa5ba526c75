/** What replaces a secret value in outputs, errors and logs. */
export const SECRET_MASK = '******';

/**
 * The forms under which a secret may show up in text: as is, JSON-escaped (inside a JSON body)
 * and URL-encoded (inside a URL or form body). Longest first, so that a secret containing
 * another one is masked whole.
 */
function secretForms(secrets: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret === '') continue;
    forms.add(secret);
    forms.add(JSON.stringify(secret).slice(1, -1));
    try {
      forms.add(encodeURIComponent(secret));
    } catch {
      // A lone surrogate cannot be URL-encoded; the raw form is still masked.
    }
  }
  forms.delete('');
  return [...forms].sort((a, b) => b.length - a.length);
}

function maskWith(text: string, forms: readonly string[]): string {
  let out = text;
  for (const form of forms) {
    if (out.includes(form)) out = out.split(form).join(SECRET_MASK);
  }
  return out;
}

/**
 * Replaces every occurrence of each non-empty secret value in `text` with `******`
 * (also its JSON-escaped and URL-encoded forms). Plain string search, no regular expressions.
 */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  return maskWith(text, secretForms(secrets));
}

/**
 * maskSecrets applied to every string of a JSON-like value, object keys included. Returns a new
 * value; plain objects and arrays are copied, Dates and other class instances kept as is,
 * Errors become `{name, message}` with masked text, cycles become `[Circular]`.
 */
export function maskDeep<T>(value: T, secrets: readonly string[]): T {
  const forms = secretForms(secrets);
  if (forms.length === 0) return value;
  const stack = new Set<object>();
  const visit = (v: unknown): unknown => {
    if (typeof v === 'string') return maskWith(v, forms);
    if (v === null || typeof v !== 'object') return v;
    if (stack.has(v)) return '[Circular]';
    if (v instanceof Error) return { name: v.name, message: maskWith(v.message, forms) };
    if (Array.isArray(v)) {
      stack.add(v);
      const out = v.map(visit);
      stack.delete(v);
      return out;
    }
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return v;
    stack.add(v);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v)) {
      Object.defineProperty(out, maskWith(key, forms), {
        value: visit((v as Record<string, unknown>)[key]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    stack.delete(v);
    return out;
  };
  return visit(value) as T;
}
