export { ConditionError, ConditionSyntaxError, TemplateError } from './errors';
export type { ConditionErrorDetails, TemplateErrorDetails } from './errors';
export {
  appendFiles,
  createJobContext,
  recordStepFailure,
  recordStepRunning,
  recordStepSkipped,
  recordStepSuccess,
  toStepError,
} from './job-context.model';
export type {
  CreateJobContextOptions,
  FileEntry,
  JobContext,
  StepError,
  StepState,
  StepStatus,
  StepTimes,
  TimeInput,
  WebhookData,
} from './job-context.model';
export { CONTEXT_ROOTS, formatPath, parsePath, PathSyntaxError } from './path';
export type { ContextRoot, ParsedPath, ParsePathOptions, PathSegment } from './path';
export { createTemplateScope, DEFAULT_TIMEZONE, executionDate, lookupPath } from './template-scope';
export type { CreateTemplateScopeOptions, SystemValues, TemplateScope } from './template-scope';
export {
  escapeTemplate,
  findStepReferences,
  findTemplateErrors,
  parseTemplateString,
  resolveTemplates,
  resolveTemplateString,
} from './template.resolver';
export type { TemplatePart, TemplateProblem } from './template.resolver';
export { conditionPathRoots, conditionStepReferences, parseCondition } from './condition.parser';
export type {
  CompareOperator,
  ConditionAst,
  ConditionFunction,
  LogicalOperator,
  ParseConditionOptions,
  PathNode,
} from './condition.parser';
export { evaluateCondition, evaluateRowCondition } from './condition.evaluator';
export { maskDeep, maskSecrets, SECRET_MASK } from './secrets.mask';
export { ContextStore, InvalidContextError } from './context.store';
export type { ContextStoreOptions } from './context.store';
