import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { targetConstructorToSchema } from 'class-validator-jsonschema';
import { nestedTypes } from './job-definition.schema';
import { cloneJson, isPlainObject, NotJson } from './json-value';
import type { StepConfigClass, StepTypeCatalog } from './step-type-catalog';
import { childPath, type ValidationIssue } from './validation-issue';

/**
 * Secrets in exported job definitions. An export never holds a secret: every literal secret value
 * is replaced by a placeholder `${SECRET:NAME}` that says what must be supplied, and an import
 * must give a value for every placeholder (`secrets: {NAME: value}`) before the job is saved.
 *
 * Which config fields are secrets is read from the step config classes (the one schema of each
 * step type): a field marked `writeOnly` in its JSON Schema (the executors' `@Secret()`), or, for
 * an object of name → value marked `x-secret-keys`, the entries whose name matches. A value that
 * holds a template (`${DB_PASSWORD}`, `{{…}}`) is a reference to a variable, not a secret, and is
 * kept as written.
 */

/** `${SECRET:NAME}`; NAME is a variable-like name. */
export const SECRET_PLACEHOLDER = /\$\{SECRET:([A-Za-z_][A-Za-z0-9_]*)\}/g;

export function secretPlaceholder(name: string): string {
  return `\${SECRET:${name}}`;
}

/** A placeholder in an exported definition: its name and where it is (JSON path). */
export interface SecretReference {
  name: string;
  path: string;
}

type PropertySchemas = Record<string, Record<string, unknown>>;
const schemaCache = new Map<StepConfigClass, PropertySchemas>();

function propertySchemas(cls: StepConfigClass): PropertySchemas {
  let properties = schemaCache.get(cls);
  if (properties === undefined) {
    const schema = targetConstructorToSchema(cls as unknown as new () => object, { classTransformerMetadataStorage: defaultMetadataStorage });
    properties = (schema.properties ?? {}) as PropertySchemas;
    schemaCache.set(cls, properties);
  }
  return properties;
}

const TEMPLATE = /\{\{|\$\{/;
const literalSecret = (value: unknown): value is string => typeof value === 'string' && value !== '' && !TEMPLATE.test(value);

/** A placeholder name from a step id and a path inside its config: `fetch` + `auth.password` → `FETCH_AUTH_PASSWORD`. */
function nameFor(parts: readonly string[], taken: Set<string>): string {
  let base = parts.join('_').replace(/[^A-Za-z0-9_]+/g, '_').replace(/_+/g, '_').replace(/^_|_$/g, '').toUpperCase();
  if (!/^[A-Z_]/.test(base)) base = `S_${base}`;
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
  taken.add(name);
  return name;
}

interface Walk {
  stepId: string;
  taken: Set<string>;
  out: SecretReference[];
}

function walkConfig(cls: StepConfigClass, config: Record<string, unknown>, path: string, rel: string[], w: Walk): void {
  const properties = propertySchemas(cls);
  for (const key of Object.keys(config)) {
    const value = config[key];
    const at = childPath(path, key);
    const schema = properties[key] ?? {};
    if (schema['writeOnly'] === true) {
      if (literalSecret(value)) {
        const name = nameFor([w.stepId, ...rel, key], w.taken);
        config[key] = secretPlaceholder(name);
        w.out.push({ name, path: at });
      }
      continue;
    }
    const keys = schema['x-secret-keys'];
    if (typeof keys === 'string' && isPlainObject(value)) {
      const pattern = new RegExp(keys, 'i');
      for (const entry of Object.keys(value)) {
        if (!pattern.test(entry) || !literalSecret(value[entry])) continue;
        const name = nameFor([w.stepId, ...rel, key, entry], w.taken);
        value[entry] = secretPlaceholder(name);
        w.out.push({ name, path: childPath(at, entry) });
      }
      continue;
    }
    const { classes, discriminator } = nestedTypes(cls, key);
    if (classes.length === 0) continue;
    const pick = (item: Record<string, unknown>): StepConfigClass | undefined =>
      discriminator === undefined ? classes[0] : discriminator.subTypes.find((s) => s.name === item[discriminator.property])?.value;
    const visit = (item: unknown, itemPath: string, itemRel: string[]): void => {
      if (!isPlainObject(item)) return;
      const nested = pick(item);
      if (nested !== undefined) walkConfig(nested, item, itemPath, itemRel, w);
    };
    if (Array.isArray(value)) value.forEach((item, i) => visit(item, `${at}[${i}]`, [...rel, key, String(i)]));
    else visit(value, at, [...rel, key]);
  }
}

/**
 * A copy of a (valid, stored) definition with every literal secret of its step configs replaced
 * by a placeholder, and the list of placeholders. Names already used (`taken`, e.g. the job's
 * sensitive variables) are not reused. Steps of a type unknown to `catalog` are left as they are.
 */
export function extractSecrets(
  definition: Record<string, unknown>,
  catalog: StepTypeCatalog,
  taken: Iterable<string> = [],
): { definition: Record<string, unknown>; secrets: SecretReference[] } {
  const copy = cloneJson(definition);
  if (copy instanceof NotJson || !isPlainObject(copy)) throw new Error(`not a JSON definition: ${copy instanceof NotJson ? copy.reason : 'not an object'}`);
  const w: Walk = { stepId: '', taken: new Set(taken), out: [] };
  const steps = copy['steps'];
  const types = new Set(catalog.types());
  if (Array.isArray(steps)) {
    steps.forEach((step: unknown, i) => {
      if (!isPlainObject(step) || !isPlainObject(step['config'])) return;
      const type = step['type'];
      if (typeof type !== 'string' || !types.has(type)) return;
      w.stepId = typeof step['id'] === 'string' ? step['id'] : `step_${i}`;
      walkConfig(catalog.configClass(type), step['config'], `steps[${i}].config`, [], w);
    });
  }
  return { definition: copy, secrets: w.out };
}

/** Every `${SECRET:NAME}` in a JSON value, with its path. */
export function findSecretPlaceholders(value: unknown, path = ''): SecretReference[] {
  const out: SecretReference[] = [];
  const visit = (v: unknown, at: string): void => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(SECRET_PLACEHOLDER)) out.push({ name: m[1] as string, path: at });
    } else if (Array.isArray(v)) v.forEach((item, i) => visit(item, `${at}[${i}]`));
    else if (isPlainObject(v)) for (const key of Object.keys(v)) visit(v[key], childPath(at, key));
  };
  visit(value, path);
  return out;
}

/**
 * Replaces every `${SECRET:NAME}` in a JSON value by `secrets[NAME]` (a copy; the input is not
 * modified). `missing` lists every placeholder without a value, by path.
 */
export function fillSecretPlaceholders<T>(value: T, secrets: Readonly<Record<string, string>>, path = ''): { value: T; missing: ValidationIssue[] } {
  const missing: ValidationIssue[] = [];
  const known = (name: string): boolean => Object.prototype.hasOwnProperty.call(secrets, name) && typeof secrets[name] === 'string';
  const fill = (v: unknown, at: string): unknown => {
    if (typeof v === 'string') {
      return v.replace(SECRET_PLACEHOLDER, (whole, name: string) => {
        if (known(name)) return secrets[name] as string;
        missing.push({ path: at, message: `needs a value for the secret "${name}" (give it in secrets)` });
        return whole;
      });
    }
    if (Array.isArray(v)) return v.map((item, i) => fill(item, `${at}[${i}]`));
    if (isPlainObject(v)) {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v)) Object.defineProperty(out, key, { value: fill(v[key], childPath(at, key)), enumerable: true, writable: true, configurable: true });
      return out;
    }
    return v;
  };
  return { value: fill(value, path) as T, missing };
}
