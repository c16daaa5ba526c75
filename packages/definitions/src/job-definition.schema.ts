import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { getMetadataStorage, MAX, MIN, ValidationTypes } from 'class-validator';
import { targetConstructorToSchema } from 'class-validator-jsonschema';
import { JobDefinition } from './job-definition.model';
import type { StepConfigClass, StepTypeCatalog } from './step-type-catalog';

/**
 * The JSON Schema of a job definition, generated from the same classes that validate it: the
 * job-level model of this package and, for each step type of the catalog, its config class
 * (`StepDefinition.config` is discriminated by `type`: one `if`/`then` per registered type, so a
 * new step type appears as soon as it is registered). Served by the api at
 * `GET /api/schema/job-definition` and used as the request body of `POST/PUT /api/jobs`.
 *
 * Rules the generator cannot express (cross-field checks, templates, references between steps)
 * are only checked by validateJobDefinition; the schema describes the shapes.
 */

export type JsonSchemaObject = Record<string, unknown>;

export interface JobDefinitionSchemas {
  /** Name of the root schema (`JobDefinition`) in `schemas`. */
  root: string;
  /** Every schema by class name; references use the `refPrefix` given. */
  schemas: Record<string, JsonSchemaObject>;
}

type AnyClass = abstract new (...args: never[]) => object;

interface DiscriminatorOptions {
  property: string;
  subTypes: { name: string; value: AnyClass }[];
}

/** The class(es) a nested property holds, from its class-transformer @Type (discriminated or not). */
export function nestedTypes(target: AnyClass, property: string): { classes: AnyClass[]; discriminator?: DiscriminatorOptions } {
  const meta = defaultMetadataStorage.findTypeMetadata(target, property);
  if (meta === undefined) return { classes: [] };
  const discriminator = meta.options?.discriminator as DiscriminatorOptions | undefined;
  if (discriminator !== undefined) return { classes: discriminator.subTypes.map((s) => s.value), discriminator };
  const cls = meta.typeFunction() as unknown;
  return { classes: typeof cls === 'function' && cls !== Object ? [cls as AnyClass] : [] };
}

function propertiesOf(cls: AnyClass): string[] {
  const metas = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false);
  return [...new Set(metas.map((m) => m.propertyName))];
}

function defaultsOf(cls: AnyClass): Record<string, unknown> {
  try {
    return { ...new (cls as unknown as new () => object)() } as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** A string holding a template (`{{…}}` or `${…}`): accepted for any step-config field at save. */
const TEMPLATE: JsonSchemaObject = { type: 'string', pattern: '\\{\\{|\\$\\{', description: 'a template, resolved at run time' };

function classSchema(cls: AnyClass, refPrefix: string, templated: boolean): JsonSchemaObject {
  const schema = targetConstructorToSchema(cls as unknown as new () => object, {
    classTransformerMetadataStorage: defaultMetadataStorage,
    refPointerPrefix: refPrefix,
    additionalConverters: {
      // The library's Min/Max also say `type: number`, which would override IsInt's `integer`.
      [MIN]: (meta) => ({ minimum: meta.constraints[0] as number }),
      [MAX]: (meta) => ({ maximum: meta.constraints[0] as number }),
      [ValidationTypes.NESTED_VALIDATION]: (meta) => {
        const { classes, discriminator } = nestedTypes(meta.target as AnyClass, meta.propertyName);
        const refs = classes.map((c) => ({ $ref: `${refPrefix}${c.name}` }));
        if (discriminator !== undefined) return { type: 'object', oneOf: refs };
        return refs[0] ?? { type: 'object' };
      },
    },
  }) as JsonSchemaObject;
  const properties = (schema['properties'] ?? {}) as Record<string, JsonSchemaObject>;
  const required = new Set((schema['required'] as string[] | undefined) ?? []);
  const defaults = defaultsOf(cls);
  for (const [name, property] of Object.entries(properties)) {
    const fallback = defaults[name];
    if (fallback !== undefined && (fallback === null || typeof fallback !== 'object')) property['default'] = fallback;
    const alternatives = [property];
    if (templated) alternatives.push(TEMPLATE);
    // Optional properties accept null (class-validator's IsOptional), which means "absent".
    if (!required.has(name)) alternatives.push({ type: 'null' });
    if (alternatives.length > 1) properties[name] = { anyOf: alternatives };
  }
  return { ...schema, properties, additionalProperties: false };
}

/**
 * Every schema of the job definition, keyed by class name, with references `${refPrefix}Name`
 * (`#/$defs/` for a JSON Schema document, `#/components/schemas/` for OpenAPI). Throws when two
 * different classes reachable from the definition share a name (their schemas would collide).
 */
export function jobDefinitionSchemas(catalog: StepTypeCatalog, refPrefix = '#/$defs/'): JobDefinitionSchemas {
  const types = [...catalog.types()];
  const configClasses = new Map<string, StepConfigClass>(types.map((t) => [t, catalog.configClass(t)]));
  const schemas: Record<string, JsonSchemaObject> = {};
  const seen = new Map<string, AnyClass>();
  // Step configs (and what they nest) are template-tolerant at save; the job-level model is not.
  const queue: { cls: AnyClass; templated: boolean }[] = [
    { cls: JobDefinition, templated: false },
    ...[...configClasses.values()].map((cls) => ({ cls, templated: true })),
  ];
  while (queue.length > 0) {
    const { cls, templated } = queue.shift() as { cls: AnyClass; templated: boolean };
    const known = seen.get(cls.name);
    if (known === cls) continue;
    if (known !== undefined) throw new Error(`two classes named ${cls.name} in the job-definition schema`);
    seen.set(cls.name, cls);
    schemas[cls.name] = classSchema(cls, refPrefix, templated);
    for (const property of propertiesOf(cls)) {
      for (const nested of nestedTypes(cls, property).classes) queue.push({ cls: nested, templated });
    }
  }
  // A custom rule on a property typed `object` makes the generator point at a class `Object`:
  // such references (and any other to a class outside the schema) allow any value.
  for (const schema of Object.values(schemas)) dropDanglingRefs(schema, refPrefix, schemas);

  const step = schemas['StepDefinition'] as JsonSchemaObject;
  const stepProperties = step['properties'] as Record<string, JsonSchemaObject>;
  stepProperties['type'] = { type: 'string', enum: types, description: 'a registered step type' };
  step['allOf'] = types.map((t) => ({
    if: { properties: { type: { const: t } }, required: ['type'] },
    then: { properties: { config: { $ref: `${refPrefix}${(configClasses.get(t) as AnyClass).name}` } } },
  }));
  return { root: JobDefinition.name, schemas };
}

function dropDanglingRefs(node: unknown, refPrefix: string, schemas: Record<string, JsonSchemaObject>): void {
  if (Array.isArray(node)) {
    for (const item of node) dropDanglingRefs(item, refPrefix, schemas);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const object = node as JsonSchemaObject;
  const ref = object['$ref'];
  if (typeof ref === 'string' && ref.startsWith(refPrefix) && !(ref.slice(refPrefix.length) in schemas)) delete object['$ref'];
  for (const value of Object.values(object)) dropDanglingRefs(value, refPrefix, schemas);
}

/** A self-contained JSON Schema (draft 2020-12) document of the job definition. */
export function jobDefinitionJsonSchema(catalog: StepTypeCatalog): JsonSchemaObject {
  const { root, schemas } = jobDefinitionSchemas(catalog, '#/$defs/');
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'vecron job definition',
    ...(schemas[root] as JsonSchemaObject),
    $defs: schemas,
  };
}
