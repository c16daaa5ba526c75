import pino, { type Logger, type LoggerOptions } from 'pino';
import { maskDeep, maskSecrets } from '@vecron/context';
import { captureLogLine } from '../observe/log-capture';

/** Where an execution's logger keeps the secret values to mask (inherited by its children). */
const SECRETS = Symbol('vecron.secrets');

type MaskingLogger = Logger & { [SECRETS]?: readonly string[] };
type LogMethodHook = NonNullable<NonNullable<LoggerOptions['hooks']>['logMethod']>;

/** An Error with its message, stack and own fields masked (pino's err serializer still sees an Error). */
function maskError(err: Error, secrets: readonly string[]): Error {
  const masked = Object.assign(new Error(maskSecrets(err.message, secrets)), maskDeep({ ...err }, secrets));
  masked.name = err.name;
  masked.stack = err.stack === undefined ? undefined : maskSecrets(err.stack, secrets);
  return masked;
}

/** Masks every argument of a log call: strings, Errors and objects; then the execution's log capture sees the masked line. */
const maskSecretsHook: LogMethodHook = function (this: MaskingLogger, args, method, level) {
  const secrets = this[SECRETS];
  const masked = secrets
    ? (args.map((a: unknown) => (typeof a === 'string' ? maskSecrets(a, secrets) : a instanceof Error ? maskError(a, secrets) : maskDeep(a, secrets))) as Parameters<typeof method>)
    : args;
  captureLogLine(this, masked, level);
  return method.apply(this, masked);
};

/**
 * Loggers for executions. An execution that uses sensitive variables gets a logger whose every
 * line — whatever an executor logs, through it or any child of it — goes through maskSecrets
 * first. The masking is a `logMethod` hook installed once on the root logger
 * (`SecretMaskingLogger.hooks`, given to `createLogger`); the execution's child carries its
 * secrets, and pino children inherit them. Executions without secrets pay nothing but a check.
 */
export class SecretMaskingLogger {
  /** Hooks the root logger must be created with. */
  static readonly hooks: LoggerOptions['hooks'] = { logMethod: maskSecretsHook };

  constructor(readonly root: Logger) {
    const hooks = (root as unknown as Record<symbol, LoggerOptions['hooks']>)[pino.symbols.hooksSym];
    if (hooks?.logMethod !== maskSecretsHook) throw new Error('the worker logger must be created with SecretMaskingLogger.hooks (secrets would be logged unmasked)');
  }

  /** A child of the root with these bindings, masking `secrets` (non-empty values) on every line. */
  forExecution(bindings: pino.Bindings, secrets: readonly string[]): Logger {
    const child = this.root.child(bindings) as MaskingLogger;
    if (secrets.length > 0) child[SECRETS] = secrets;
    return child;
  }
}
