import { context, propagation } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { StepAbortedError, StepError, StepTimeoutError, wrapStepError } from '../errors';
import type { StepExecutor, StepRunContext } from '../step-executor';
import { HttpStepConfig, type HttpOAuth2AuthConfig } from './http.config';
import { HttpNetworkError, HttpResponseTooLargeError, HttpStatusError, OAuth2TokenError, isRetryableStatus } from './http.errors';
import {
  BodyTooLargeError,
  cancelBody,
  decodeText,
  describeNetworkFailure,
  excerpt,
  headersToRecord,
  isJsonMediaType,
  isErrorNamed,
  isNetworkFailure,
  maskSecrets,
  mediaType,
  networkCode,
  readBodyLimited,
  readBodyPrefix,
  redactUrl,
} from './http.util';
import { OAuth2TokenCache } from './oauth2-token-cache';

/** Output of an `http` step, stored at `steps.{id}.output`. */
export interface HttpStepOutput {
  status: number;
  /** Response headers, lower-case names. */
  headers: Record<string, string>;
  /** Parsed JSON when the response content-type is JSON (`application/json`, `*+json`), else text. */
  body: unknown;
}

/** Default cap on a response body: 10 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
/** Cap on an OAuth2 token response. */
const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;
/** Bytes read from an error response for the message excerpt. */
const ERROR_EXCERPT_BYTES = 4096;

export interface HttpExecutorOptions {
  /**
   * Largest response body read, in bytes (default 10 MiB). A larger body fails the step
   * with HttpResponseTooLargeError (not retryable): the output is stored in the Job
   * Context, which is not meant for bulk data.
   */
  maxResponseBytes?: number;
  /** OAuth2 token cache; default a new one owned by this executor (lives as long as it). */
  tokenCache?: OAuth2TokenCache;
  /** User-Agent sent unless the step sets one. Default `vecron-worker`. */
  userAgent?: string;
  /**
   * Whether a step sends `{execution_id}:{step_id}` as an idempotency key when its config does
   * not say (`idempotency_key`). Default true.
   */
  idempotencyKey?: boolean;
  /** The idempotency key header when the step does not name one. Default `Idempotency-Key`. */
  idempotencyKeyHeader?: string;
}

/** Default name of the idempotency key header. */
export const DEFAULT_IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

interface PreparedRequest {
  method: string;
  url: string;
  safeUrl: string;
  headers: Headers;
  body: string | undefined;
  /** Secrets to mask in anything we surface (error excerpts). */
  secrets: string[];
}

/**
 * The `http` step: one HTTP request with optional basic / bearer / OAuth2
 * client-credentials auth. Honours the job signal and `timeout_seconds`.
 *
 * Failures: non-2xx → HttpStatusError (retryable for 5xx/429); network errors →
 * HttpNetworkError (retryable); `timeout_seconds` → StepTimeoutError (retryable);
 * job signal → StepAbortedError; oversized body → HttpResponseTooLargeError.
 * Redirects are followed (fetch drops Authorization on cross-origin redirects).
 */
export class HttpExecutor implements StepExecutor<HttpStepConfig, HttpStepOutput> {
  readonly type = 'http';
  readonly configClass = HttpStepConfig;
  readonly tokenCache: OAuth2TokenCache;
  private readonly maxResponseBytes: number;
  private readonly userAgent: string;
  private readonly idempotencyKey: boolean;
  private readonly idempotencyKeyHeader: string;

  constructor(options: HttpExecutorOptions = {}) {
    this.tokenCache = options.tokenCache ?? new OAuth2TokenCache();
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.userAgent = options.userAgent ?? 'vecron-worker';
    this.idempotencyKey = options.idempotencyKey ?? true;
    this.idempotencyKeyHeader = options.idempotencyKeyHeader || DEFAULT_IDEMPOTENCY_KEY_HEADER;
  }

  async execute(config: HttpStepConfig, run: StepRunContext): Promise<HttpStepOutput> {
    if (run.signal.aborted) throw new StepAbortedError(run.signal.reason);
    const timeoutSignal = AbortSignal.timeout(config.timeout_seconds * 1000);
    const signal = AbortSignal.any([run.signal, timeoutSignal]);
    const request = this.prepare(config);
    if (config.idempotency_key ?? this.idempotencyKey) {
      const name = config.idempotency_key_header ?? this.idempotencyKeyHeader;
      // One key per step of an execution: every attempt (and a resume on another worker) sends the same.
      if (!request.headers.has(name)) request.headers.set(name, `${run.executionId}:${run.stepId}`);
    }
    try {
      return await this.perform(config, request, signal, run.logger);
    } catch (err) {
      // The signals are checked first: an abort surfaces from fetch as many error shapes.
      if (run.signal.aborted) throw new StepAbortedError(run.signal.reason, { cause: err });
      if (timeoutSignal.aborted) throw new StepTimeoutError(config.timeout_seconds, { cause: err });
      if (err instanceof StepError) throw err;
      if (isNetworkFailure(err)) {
        const code = networkCode(err);
        run.logger.warn({ method: request.method, url: request.safeUrl, code }, 'http request failed: network error');
        throw new HttpNetworkError(request.method, request.safeUrl, code, describeNetworkFailure(err), err);
      }
      throw wrapStepError(err);
    }
  }

  private prepare(config: HttpStepConfig): PreparedRequest {
    const headers = new Headers(config.headers ?? {});
    if (!headers.has('user-agent')) headers.set('user-agent', this.userAgent);
    // The step's trace context (W3C traceparent/tracestate) unless the config sets its own; nothing when tracing is off.
    if (!headers.has('traceparent')) propagation.inject(context.active(), headers, { set: (h, k, v) => h.set(k, v) });
    let body: string | undefined;
    if (config.body !== undefined && config.body !== null) {
      if (typeof config.body === 'string') {
        body = config.body;
      } else {
        body = JSON.stringify(config.body);
        if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      }
    }
    const secrets: string[] = [];
    const auth = config.auth;
    if (auth?.type === 'basic') {
      const credentials = Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64');
      headers.set('authorization', `Basic ${credentials}`);
      secrets.push(auth.password, credentials);
    } else if (auth?.type === 'bearer') {
      headers.set('authorization', `Bearer ${auth.token}`);
      secrets.push(auth.token);
    } else if (auth?.type === 'oauth2') {
      secrets.push(auth.client_secret);
    }
    // A user-supplied Authorization header is a secret too.
    const given = headers.get('authorization');
    if (given) secrets.push(given, given.replace(/^\S+\s+/, ''));
    return { method: config.method, url: config.url, safeUrl: redactUrl(config.url), headers, body, secrets };
  }

  private async perform(
    config: HttpStepConfig,
    request: PreparedRequest,
    signal: AbortSignal,
    logger: Logger,
  ): Promise<HttpStepOutput> {
    const auth = config.auth?.type === 'oauth2' ? config.auth : undefined;
    let cacheKey: string | undefined;
    let token: string | undefined;
    if (auth) {
      cacheKey = OAuth2TokenCache.key({
        tokenUrl: auth.token_url,
        clientId: auth.client_id,
        clientSecret: auth.client_secret,
        scope: auth.scope,
      });
      token = this.tokenCache.get(cacheKey) ?? (await this.fetchToken(auth, cacheKey, signal, logger));
      request.headers.set('authorization', `Bearer ${token}`);
      request.secrets.push(token);
    }

    let response = await this.send(request, signal, logger);
    if (response.status === 401 && auth && cacheKey && token) {
      // The token may have been revoked or rotated early: refresh once and retry once.
      await cancelBody(response);
      logger.info({ url: request.safeUrl }, 'http 401 with oauth2 token: refreshing the token and retrying once');
      this.tokenCache.invalidate(cacheKey, token);
      token = await this.fetchToken(auth, cacheKey, signal, logger);
      request.headers.set('authorization', `Bearer ${token}`);
      request.secrets.push(token);
      response = await this.send(request, signal, logger);
    }

    if (!response.ok) {
      const text = decodeText(await readBodyPrefix(response, ERROR_EXCERPT_BYTES), response.headers.get('content-type'));
      throw new HttpStatusError(
        response.status,
        request.method,
        request.safeUrl,
        excerpt(maskSecrets(text, request.secrets)),
        response.headers.get('retry-after') ?? undefined,
      );
    }

    let bytes: Buffer;
    try {
      bytes = await readBodyLimited(response, this.maxResponseBytes);
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        throw new HttpResponseTooLargeError(request.method, request.safeUrl, this.maxResponseBytes);
      }
      throw err;
    }
    const contentType = response.headers.get('content-type');
    const text = decodeText(bytes, contentType);
    let body: unknown = text;
    if (isJsonMediaType(mediaType(contentType))) {
      if (text.trim() === '') {
        body = null;
      } else {
        try {
          body = JSON.parse(text);
        } catch {
          logger.warn({ url: request.safeUrl, content_type: contentType }, 'http response declared JSON but is not: kept as text');
        }
      }
    }
    return { status: response.status, headers: headersToRecord(response.headers), body };
  }

  private async send(request: PreparedRequest, signal: AbortSignal, logger: Logger): Promise<Response> {
    const started = performance.now();
    logger.debug({ method: request.method, url: request.safeUrl }, 'http request');
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal,
      redirect: 'follow',
    });
    const durationMs = Math.round(performance.now() - started);
    logger.info(
      { method: request.method, url: request.safeUrl, status: response.status, duration_ms: durationMs },
      'http response',
    );
    return response;
  }

  /**
   * OAuth2 client-credentials grant (RFC 6749 §4.4): POST form `grant_type=client_credentials`
   * (+ `scope`), client authenticated with HTTP Basic (§2.3.1, id and secret form-encoded).
   */
  private async fetchToken(
    auth: HttpOAuth2AuthConfig,
    cacheKey: string,
    signal: AbortSignal,
    logger: Logger,
  ): Promise<string> {
    const safeUrl = redactUrl(auth.token_url);
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (auth.scope) form.set('scope', auth.scope);
    const basic = Buffer.from(`${formEncode(auth.client_id)}:${formEncode(auth.client_secret)}`, 'utf8').toString('base64');
    const started = performance.now();
    let response: Response;
    try {
      response = await fetch(auth.token_url, {
        method: 'POST',
        headers: {
          authorization: `Basic ${basic}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          'user-agent': this.userAgent,
        },
        body: form.toString(),
        signal,
      });
    } catch (err) {
      if (!signal.aborted && isNetworkFailure(err)) {
        throw new HttpNetworkError('POST', safeUrl, networkCode(err), describeNetworkFailure(err), err);
      }
      throw err;
    }
    logger.info(
      { url: safeUrl, status: response.status, duration_ms: Math.round(performance.now() - started) },
      'oauth2 token request',
    );
    if (!response.ok) {
      const text = decodeText(await readBodyPrefix(response, ERROR_EXCERPT_BYTES), response.headers.get('content-type'));
      throw new OAuth2TokenError(
        `oauth2 token request to ${safeUrl} failed with HTTP ${response.status}: ${excerpt(maskSecrets(text, [auth.client_secret, basic]))}`,
        isRetryableStatus(response.status),
        response.status,
      );
    }
    let payload: unknown;
    try {
      const bytes = await readBodyLimited(response, MAX_TOKEN_RESPONSE_BYTES);
      payload = JSON.parse(decodeText(bytes, response.headers.get('content-type')));
    } catch (err) {
      if (isErrorNamed(err, 'SyntaxError') || err instanceof BodyTooLargeError) {
        throw new OAuth2TokenError(`oauth2 token response from ${safeUrl} is not a JSON object`, false, response.status);
      }
      throw err;
    }
    const { access_token: accessToken, expires_in: expiresIn } = (payload ?? {}) as {
      access_token?: unknown;
      expires_in?: unknown;
    };
    if (typeof accessToken !== 'string' || accessToken === '') {
      throw new OAuth2TokenError(`oauth2 token response from ${safeUrl} has no access_token`, false, response.status);
    }
    const lifetime = typeof expiresIn === 'number' ? expiresIn : typeof expiresIn === 'string' ? Number(expiresIn) : undefined;
    this.tokenCache.set(cacheKey, accessToken, lifetime !== undefined && Number.isFinite(lifetime) ? lifetime : undefined);
    return accessToken;
  }
}

/** application/x-www-form-urlencoded encoding of one value (RFC 6749 §2.3.1). */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}
