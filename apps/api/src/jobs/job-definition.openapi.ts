import type { OpenAPIObject } from '@nestjs/swagger';
import { jobDefinitionSchemas, type StepTypeCatalog } from '@vecron/definitions';

const COMPONENTS = '#/components/schemas/';

/** Where the request bodies of POST /api/jobs and PUT /api/jobs/:id point. */
export const JOB_DEFINITION_SCHEMA_REF = `${COMPONENTS}JobDefinition`;

/**
 * Adds the job-definition schemas (generated from the model classes and the registered step
 * types' config classes) to the OpenAPI document's components, where the jobs controller's
 * request bodies reference them. Throws if a component of the same name already exists.
 */
export function addJobDefinitionSchemas(doc: OpenAPIObject, catalog: StepTypeCatalog): OpenAPIObject {
  const { schemas } = jobDefinitionSchemas(catalog, COMPONENTS);
  const components = (doc.components ??= {});
  const existing = (components.schemas ??= {});
  for (const [name, schema] of Object.entries(schemas)) {
    if (name in existing) throw new Error(`OpenAPI component ${name} is defined twice`);
    existing[name] = schema;
  }
  return doc;
}
