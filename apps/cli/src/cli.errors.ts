/**
 * Exit codes of the `vecron` command (documented in the README):
 * 0 done; 1 the operation failed (an execution ended failed/timeout/cancelled, a job was not
 * imported); 2 invalid input (usage, an invalid definition, a 400); 3 not logged in or not allowed
 * (401/403); 4 not found (404); 5 the API cannot be reached or failed (network, 5xx); 6 conflict (409).
 */
export const EXIT = {
  OK: 0,
  FAILED: 1,
  INVALID: 2,
  AUTH: 3,
  NOT_FOUND: 4,
  UNAVAILABLE: 5,
  CONFLICT: 6,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error that ends the command with `code`; `details` are `{path, message}` from the API or the validator. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: ExitCode,
    readonly details: { path: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The exit code for an HTTP status the API answered with. */
export function exitCodeForStatus(status: number): ExitCode {
  if (status === 400 || status === 413 || status === 422) return EXIT.INVALID;
  if (status === 401 || status === 403) return EXIT.AUTH;
  if (status === 404) return EXIT.NOT_FOUND;
  if (status === 409) return EXIT.CONFLICT;
  return status >= 500 ? EXIT.UNAVAILABLE : EXIT.FAILED;
}
