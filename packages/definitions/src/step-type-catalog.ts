/**
 * What the job-definition validator needs to know about step types. Implemented by
 * `ExecutorRegistry` (@vecron/executors): the registered executors' config classes are the one
 * schema of each step type. Defined here so that definitions never import executors (and
 * executors never import definitions): the api hands its registry to validateJobDefinition and
 * jobDefinitionJsonSchema.
 */

/** One wrong field inside a step config. `path` is relative to the config: `url`, `auth.token`, `` for the config itself. */
export interface StepConfigProblem {
  path: string;
  message: string;
}

/** A class-validator (+ class-transformer) class; the JSON Schema of a step config is generated from it. */
export type StepConfigClass = abstract new (...args: never[]) => object;

export interface StepTypeCatalog {
  /** The registered step types, sorted. */
  types(): readonly string[];
  /**
   * Problems of a config as written in a definition (template-tolerant: a string holding `{{…}}`
   * or `${…}` passes the format checks, its resolved value is checked at run). [] when valid.
   * Only called with a type listed by types().
   */
  validateConfig(type: string, config: unknown): readonly StepConfigProblem[];
  /** The config class of a type listed by types(). */
  configClass(type: string): StepConfigClass;
}
