import type { Logger } from 'pino';
import { ConfigValidationError } from './load-config';

/** Something that can be closed, like a Nest application or application context. */
export interface Closable {
  close(): Promise<void>;
}

/**
 * On SIGTERM or SIGINT, closes `app` once (its destroy and shutdown hooks finish in-flight
 * work and close pools) and exits 0; exits 1 when closing fails. `app` may still be starting
 * (a promise): call this before creating it, so that a signal during start-up waits for the
 * app and closes it cleanly instead of killing the process half-started.
 */
export function closeOnSignals(app: Closable | Promise<Closable>, logger: Logger, exit: (code: number) => void = (c) => process.exit(c)): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'signal received: shutting down');
    Promise.resolve(app)
      .then((a) => a.close())
      .then(
        () => exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          exit(1);
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** Runs an entry point; a start-up failure prints one clear message (config errors without a stack) and exits 1. */
export function runMain(name: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const message = err instanceof ConfigValidationError ? err.message : (err as Error).stack ?? String(err);
    process.stderr.write(`${name} failed to start: ${message}\n`);
    process.exit(1);
  });
}
