/** Longest template text quoted in an error message; longer fragments are cut with "…". */
const MAX_QUOTED = 200;

function quoteFragment(text: string): string {
  return text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text;
}

export interface TemplateErrorDetails {
  /** The template fragment as written (`{{...}}` or `${...}`), cut to 200 characters. */
  template: string;
  /** Why it failed, e.g. `key "foo" not found` or `unclosed "{{" (missing "}}")`. */
  reason: string;
  /**
   * The part of the path that could not be resolved, e.g.
   * `steps.fetch.output.body.items[3]` (absent for syntax errors).
   */
  missing?: string;
  /** 0-based offset in the string where the problem was found (syntax errors and the template start). */
  position?: number;
  /** Where the string sits inside the value given to resolveTemplates, e.g. `headers.Authorization` ('' for the root). */
  location?: string;
  /** The step whose config was being resolved; set by the caller through withStepId(). */
  stepId?: string;
  /** True for syntax errors (static: detectable at job creation), false for resolution errors. */
  syntax?: boolean;
  /** Internal: whether `missing` is repeated in the message (not for `${NAME}`, whose reason names it). */
  showMissing?: boolean;
}

/**
 * The one error the template resolver throws: syntax errors (unclosed `{{`, empty path, bad index,
 * unknown root) and resolution errors (missing variable, key, index, step output).
 *
 * Message: `[step "<stepId>": ]<template>: [<missing>: ]<reason>`, for example
 * `{{steps.fetch.output.body.items[3]}}: steps.fetch.output.body.items[3]: index 3 out of range (length 2)`.
 * `location` is a field only (not in the message).
 */
export class TemplateError extends Error {
  readonly template: string;
  readonly reason: string;
  readonly missing?: string;
  /** Alias of `missing` (the path part that failed). */
  readonly path?: string;
  readonly position?: number;
  readonly location?: string;
  readonly stepId?: string;
  readonly syntax: boolean;
  /** Template errors are permanent: retrying the step cannot fix them. */
  readonly retryable = false;
  private readonly showMissing: boolean;

  constructor(details: TemplateErrorDetails) {
    const template = quoteFragment(details.template);
    const showMissing = details.showMissing ?? true;
    const prefix = details.stepId !== undefined ? `step "${details.stepId}": ` : '';
    const missingPart = details.missing !== undefined && showMissing ? `${details.missing}: ` : '';
    super(`${prefix}${template}: ${missingPart}${details.reason}`);
    this.name = 'TemplateError';
    this.template = template;
    this.reason = details.reason;
    this.missing = details.missing;
    this.path = details.missing;
    this.position = details.position;
    this.location = details.location;
    this.stepId = details.stepId;
    this.syntax = details.syntax ?? false;
    this.showMissing = showMissing;
  }

  private details(): TemplateErrorDetails {
    return {
      template: this.template,
      reason: this.reason,
      missing: this.missing,
      position: this.position,
      location: this.location,
      stepId: this.stepId,
      syntax: this.syntax,
      showMissing: this.showMissing,
    };
  }

  /** A copy naming the step whose config was resolved (the message gains `step "<id>": `). */
  withStepId(stepId: string): TemplateError {
    return new TemplateError({ ...this.details(), stepId });
  }

  /** A copy with the location inside the resolved value (field only). */
  withLocation(location: string): TemplateError {
    return new TemplateError({ ...this.details(), location });
  }
}

/**
 * Thrown by parseCondition (and evaluateCondition given a source string) for a malformed
 * condition. `position` is the 0-based character offset of the problem.
 * Message example: `unexpected token ")" at position 12`.
 */
export class ConditionSyntaxError extends Error {
  readonly retryable = false;
  constructor(
    readonly reason: string,
    readonly position: number,
    readonly expression: string,
  ) {
    super(`${reason} at position ${position}`);
    this.name = 'ConditionSyntaxError';
  }
}

export interface ConditionErrorDetails {
  reason: string;
  /** The condition source, when known. */
  expression?: string;
  /** The whole path being read, when a path is the cause. */
  path?: string;
  /** The part of that path that could not be resolved (e.g. `steps.check.output.rows[0]`). */
  missing?: string;
}

/**
 * Thrown by evaluateCondition when a well-formed condition cannot be evaluated: a missing path
 * outside exists(), a comparison between mismatched types, a non-boolean operand of `&&`, `||`,
 * `!` or a non-boolean final value, len() of a number.
 * Message: `[<missing>: ]<reason>`, e.g. `steps.check.output.rows[0]: index 0 out of range (length 0)`,
 * `cannot compare a string with a number using ">"`.
 */
export class ConditionError extends Error {
  readonly retryable = false;
  readonly reason: string;
  readonly expression?: string;
  readonly path?: string;
  readonly missing?: string;
  constructor(details: ConditionErrorDetails) {
    super(details.missing !== undefined ? `${details.missing}: ${details.reason}` : details.reason);
    this.name = 'ConditionError';
    this.reason = details.reason;
    this.expression = details.expression;
    this.path = details.path;
    this.missing = details.missing;
  }
}
