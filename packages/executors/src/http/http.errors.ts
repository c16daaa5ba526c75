import { RetryableStepError, StepError, UnrecoverableStepError } from '../errors';

/** Statuses worth retrying: every 5xx and 429 Too Many Requests. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429;
}

/**
 * The target answered with a non-2xx status. Retryable for 5xx and 429, not for
 * other statuses. The message carries the status and a body excerpt (≤ 500 chars,
 * known secrets masked); `details` has `status`, `body_excerpt` and, when the
 * server sent it, `retry_after` (the raw Retry-After header).
 */
export class HttpStatusError extends StepError {
  constructor(
    readonly status: number,
    method: string,
    safeUrl: string,
    readonly bodyExcerpt: string,
    retryAfter?: string,
  ) {
    super(
      `${method} ${safeUrl} failed with HTTP ${status}${bodyExcerpt ? `: ${bodyExcerpt}` : ''}`,
      'HTTP_STATUS',
      isRetryableStatus(status),
      { details: { status, body_excerpt: bodyExcerpt, ...(retryAfter ? { retry_after: retryAfter } : {}) } },
    );
  }
}

/** Connection refused/reset, DNS failure, socket hang-up, TLS failure… Retryable. */
export class HttpNetworkError extends RetryableStepError {
  constructor(method: string, safeUrl: string, readonly networkCode: string | undefined, detail: string, cause: unknown) {
    super(`${method} ${safeUrl} failed: network error${networkCode ? ` ${networkCode}` : ''} (${detail})`, 'HTTP_NETWORK_ERROR', {
      details: { network_code: networkCode ?? null },
      cause,
    });
  }
}

/** The response body exceeded the executor's `maxResponseBytes`. Not retryable. */
export class HttpResponseTooLargeError extends UnrecoverableStepError {
  constructor(method: string, safeUrl: string, readonly maxBytes: number) {
    super(
      `${method} ${safeUrl}: response body exceeds the ${maxBytes}-byte limit of the http step`,
      'HTTP_RESPONSE_TOO_LARGE',
      { details: { max_bytes: maxBytes } },
    );
  }
}

/**
 * The OAuth2 token endpoint failed or answered without an access token.
 * Retryable for 5xx and 429; not for other statuses (bad client credentials, bad
 * scope) nor for a 2xx without a usable access_token.
 */
export class OAuth2TokenError extends StepError {
  constructor(message: string, retryable: boolean, status?: number) {
    super(message, 'OAUTH2_TOKEN_ERROR', retryable, status === undefined ? {} : { details: { status } });
  }
}
