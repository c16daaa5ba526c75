import { FakeStepCatalog } from '../test/fake-step-catalog';
import { jobDefinitionJsonSchema, jobDefinitionSchemas, type JsonSchemaObject } from './job-definition.schema';

const catalog = new FakeStepCatalog();
type Schema = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- walking generated JSON

describe('jobDefinitionJsonSchema', () => {
  const doc = jobDefinitionJsonSchema(catalog) as Schema;
  const defs = doc['$defs'] as Record<string, Schema>;

  it('is a JSON Schema document whose root is the JobDefinition class', () => {
    expect(doc['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(doc['type']).toBe('object');
    expect(doc['additionalProperties']).toBe(false);
    expect(doc['required']).toEqual(expect.arrayContaining(['name', 'steps']));
    expect(Object.keys(doc['properties'])).toEqual(
      expect.arrayContaining(['name', 'description', 'schedule', 'triggers', 'steps', 'timeout_seconds', 'max_retries', 'allow_concurrent', 'enabled']),
    );
  });

  it('describes limits, enums, patterns and defaults from the decorators', () => {
    const timeout = doc['properties']['timeout_seconds'];
    expect(timeout.anyOf[0]).toMatchObject({ type: 'integer', minimum: 1, maximum: 604800, default: 300 });
    expect(timeout.anyOf[1]).toEqual({ type: 'null' });
    expect(defs['StepDefinition']?.['properties']['id']).toMatchObject({ type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_-]*$', maxLength: 100 });
    expect(defs['FixedRateSchedule']?.['properties']['misfire_policy'].anyOf[0]).toMatchObject({ enum: ['fire_once', 'skip', 'fire_all'], default: 'fire_once' });
    expect(defs['CronSchedule']?.['properties']['timezone'].anyOf[0]).toMatchObject({ type: 'string', default: 'Asia/Ho_Chi_Minh' });
    expect(defs['OneTimeSchedule']?.['properties']['execute_at']).toMatchObject({ type: 'string', format: 'date-time' });
  });

  it('gives the schedule as one of the schedule classes', () => {
    const schedule = doc['properties']['schedule'].anyOf[0];
    expect(schedule.oneOf).toEqual([
      { $ref: '#/$defs/CronSchedule' },
      { $ref: '#/$defs/FixedRateSchedule' },
      { $ref: '#/$defs/FixedDelaySchedule' },
      { $ref: '#/$defs/OneTimeSchedule' },
    ]);
    expect(defs['CronSchedule']?.['properties']['type']).toMatchObject({ enum: ['cron'] });
    expect(defs['CronSchedule']?.['required']).toEqual(expect.arrayContaining(['type', 'expression']));
  });

  it('discriminates the step config by type, one branch per registered step type', () => {
    const step = defs['StepDefinition'] as Schema;
    expect(step['properties']['type']).toMatchObject({ type: 'string', enum: ['free', 'ping', 'sql'] });
    expect(step['allOf']).toEqual([
      { if: { properties: { type: { const: 'free' } }, required: ['type'] }, then: { properties: { config: { $ref: '#/$defs/FreeConfig' } } } },
      { if: { properties: { type: { const: 'ping' } }, required: ['type'] }, then: { properties: { config: { $ref: '#/$defs/PingConfig' } } } },
      { if: { properties: { type: { const: 'sql' } }, required: ['type'] }, then: { properties: { config: { $ref: '#/$defs/SqlConfig' } } } },
    ]);
    // Config classes and what they nest are in $defs; their fields also accept a template.
    const ping = defs['PingConfig'] as Schema;
    expect(ping['additionalProperties']).toBe(false);
    expect(ping['required']).toEqual(expect.arrayContaining(['method', 'url']));
    expect(ping['properties']['method'].anyOf).toEqual([{ type: 'string', enum: ['GET', 'POST'] }, expect.objectContaining({ type: 'string', pattern: '\\{\\{|\\$\\{' })]);
    expect(ping['properties']['auth'].anyOf[0]).toEqual({ $ref: '#/$defs/PingAuth' });
    expect(defs['PingAuth']).toBeDefined();
    // The job-level model takes no templates.
    expect(JSON.stringify(doc['properties']['name'])).not.toContain('template');
  });

  it('has no reference to a schema it does not define', () => {
    const refs: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node !== null && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) (k === '$ref' ? refs.push(v as string) : walk(v));
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(5);
    for (const ref of refs) expect(defs[ref.replace('#/$defs/', '')]).toBeDefined();
  });

  it('uses the given reference prefix (OpenAPI components)', () => {
    const { root, schemas } = jobDefinitionSchemas(catalog, '#/components/schemas/');
    expect(root).toBe('JobDefinition');
    expect(JSON.stringify(schemas)).toContain('"#/components/schemas/StepDefinition"');
    expect(JSON.stringify(schemas)).not.toContain('#/$defs/');
  });

  it('refuses two different classes of the same name (their schemas would collide)', () => {
    class PingConfig {}
    const clash = new FakeStepCatalog();
    const types = (): readonly string[] => ['ping', 'other'];
    const configClass = (t: string): new () => object => (t === 'other' ? PingConfig : catalog.configClass('ping'));
    expect(() => jobDefinitionSchemas({ types, configClass, validateConfig: clash.validateConfig.bind(clash) })).toThrow('two classes named PingConfig');
  });
});

export type { JsonSchemaObject };
