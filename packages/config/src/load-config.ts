import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

/** One environment variable that failed validation. */
export interface ConfigIssue {
  variable: string;
  message: string;
}

/** Raised at start-up when the environment is invalid; names every bad variable. */
export class ConfigValidationError extends Error {
  constructor(public readonly issues: ConfigIssue[]) {
    super(
      `invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}\n` +
        'see .env.example for every variable and its default',
    );
    this.name = 'ConfigValidationError';
  }
}

function flatten(errors: ValidationError[]): ConfigIssue[] {
  return errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((message) => ({ variable: e.property, message })),
    ...flatten(e.children ?? []),
  ]);
}

type Ctor<T> = new () => T;

/**
 * Validates an environment (normally `process.env`, passed in by the app) against an env
 * class whose properties carry defaults, class-transformer conversions and class-validator
 * rules. Returns the typed instance or throws ConfigValidationError naming each bad variable.
 */
export function loadConfig<T extends object>(cls: Ctor<T>, env: Record<string, string | undefined>): T {
  const defined: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') defined[k] = v;
  const instance = plainToInstance(cls, defined, { enableImplicitConversion: true, exposeDefaultValues: true });
  const errors = validateSync(instance, { whitelist: false, forbidUnknownValues: false });
  if (errors.length > 0) throw new ConfigValidationError(flatten(errors));
  return instance;
}
