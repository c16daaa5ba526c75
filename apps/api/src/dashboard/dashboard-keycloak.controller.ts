import { Controller, Get, Inject, Logger, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { createHash, randomBytes, timingSafeEqual } from 'crypto';
import type { Request, Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { KeycloakTokenVerifier } from '../auth/keycloak-token.verifier';
import { API_CONFIG, type ApiEnv } from '../config/api.env';
import { SESSION_COOKIE } from './dashboard-auth.adapter';
import { DashboardPageFilter } from './dashboard-page.filter';
import { isTls, setSecurityHeaders } from './dashboard-view';

/** The sign-in in progress: state, PKCE verifier and where to go after (HttpOnly, 10 minutes, only on /auth/keycloak). */
export const KEYCLOAK_FLOW_COOKIE = 'vecron_oidc';
const FLOW_PATH = '/auth/keycloak';
const FLOW_TTL_MS = 10 * 60_000;
const FETCH_TIMEOUT_MS = 5_000;

type Form = Record<string, string | undefined>;

interface Endpoints {
  authorization_endpoint: string;
  token_endpoint: string;
}

/** Only a path of this site (never `//host` or a full URL). */
function safePath(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])/.test(next) && !next.startsWith('/login') && !next.startsWith(FLOW_PATH) ? next : '/jobs';
}

const sameText = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * "Sign in with Keycloak" (AUTH_MODE=keycloak): the OpenID Connect authorization-code flow with
 * `state` and PKCE (S256). `/auth/keycloak/login` sends the browser to the realm's authorize
 * endpoint; `/auth/keycloak/callback` checks the state, exchanges the code (with the PKCE
 * verifier, and KEYCLOAK_CLIENT_SECRET for a confidential client), verifies the access token with
 * the same KeycloakTokenVerifier as the API (signature, issuer, audience, expiry) and sets it as
 * the session cookie. Any failure returns to the sign-in page with a generic message.
 */
@ApiExcludeController()
@UseFilters(DashboardPageFilter)
@Controller('auth/keycloak')
export class DashboardKeycloakController {
  private readonly logger = new Logger(DashboardKeycloakController.name);

  constructor(private readonly verifier: KeycloakTokenVerifier, @Inject(API_CONFIG) private readonly config: ApiEnv) {}

  @Get('login')
  @Public()
  async login(@Req() req: Request, @Res() res: Response, @Query('next') next?: string): Promise<void> {
    if (this.config.AUTH_MODE !== 'keycloak') return res.redirect(303, '/');
    let endpoints: Endpoints;
    try {
      endpoints = await this.endpoints();
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message } }, 'keycloak discovery failed');
      return res.redirect(303, '/?sso_failed=1');
    }
    const state = randomBytes(32).toString('base64url');
    const codeVerifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(codeVerifier).digest('base64url');
    const flow = `${state}.${codeVerifier}.${Buffer.from(safePath(next)).toString('base64url')}`;
    res.cookie(KEYCLOAK_FLOW_COOKIE, flow, { httpOnly: true, sameSite: 'lax', secure: isTls(req), path: FLOW_PATH, maxAge: FLOW_TTL_MS });
    const url = new URL(endpoints.authorization_endpoint);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.config.KEYCLOAK_CLIENT_ID);
    url.searchParams.set('redirect_uri', this.redirectUri(req));
    url.searchParams.set('scope', 'openid');
    url.searchParams.set('state', state);
    url.searchParams.set('code_challenge', challenge);
    url.searchParams.set('code_challenge_method', 'S256');
    setSecurityHeaders(res);
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, url.toString());
  }

  @Get('callback')
  @Public()
  async callback(@Req() req: Request, @Res() res: Response, @Query() q: Form): Promise<void> {
    if (this.config.AUTH_MODE !== 'keycloak') return res.redirect(303, '/');
    const raw = (req as Request & { cookies?: Record<string, string | undefined> }).cookies?.[KEYCLOAK_FLOW_COOKIE] ?? '';
    res.clearCookie(KEYCLOAK_FLOW_COOKIE, { httpOnly: true, sameSite: 'lax', secure: isTls(req), path: FLOW_PATH });
    const [state, codeVerifier, next] = raw.split('.');
    const fail = (reason: string): void => {
      this.logger.warn({ reason }, 'keycloak sign-in refused');
      res.redirect(303, '/?sso_failed=1');
    };
    if (!state || !codeVerifier || typeof q['state'] !== 'string' || !sameText(q['state'], state)) return fail('state missing or not matching');
    if (q['error'] !== undefined || typeof q['code'] !== 'string' || q['code'] === '') return fail(`provider answered ${q['error'] ?? 'without a code'}`);
    let token: { access_token?: unknown; expires_in?: unknown };
    try {
      const { token_endpoint } = await this.endpoints();
      const form = new URLSearchParams({
        grant_type: 'authorization_code',
        code: q['code'],
        redirect_uri: this.redirectUri(req),
        client_id: this.config.KEYCLOAK_CLIENT_ID,
        code_verifier: codeVerifier,
        ...(this.config.KEYCLOAK_CLIENT_SECRET ? { client_secret: this.config.KEYCLOAK_CLIENT_SECRET } : {}),
      });
      const answer = await fetch(token_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form,
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
      token = (await answer.json()) as typeof token;
      if (!answer.ok) return fail(`token endpoint answered ${answer.status}`);
    } catch (err) {
      return fail(`token exchange failed: ${(err as Error).message}`);
    }
    if (typeof token.access_token !== 'string') return fail('no access token');
    const claims = await this.verifier.verify(token.access_token);
    if (!claims) return fail('access token refused by the verifier');
    const expiresIn = typeof token.expires_in === 'number' && token.expires_in > 0 ? token.expires_in : 300;
    res.cookie(SESSION_COOKIE, token.access_token, { httpOnly: true, sameSite: 'strict', secure: isTls(req), path: '/', maxAge: expiresIn * 1000 });
    this.logger.log({ user: claims.preferred_username ?? claims.sub }, 'signed in with keycloak');
    res.redirect(303, safePath(next ? Buffer.from(next, 'base64url').toString('utf8') : '/jobs'));
  }

  /** The realm's endpoints, from its discovery document. */
  private async endpoints(): Promise<Endpoints> {
    const res = await fetch(`${this.verifier.issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!res.ok) throw new Error(`discovery answered ${res.status}`);
    const doc = (await res.json()) as Partial<Endpoints>;
    if (typeof doc.authorization_endpoint !== 'string' || typeof doc.token_endpoint !== 'string') throw new Error('discovery without authorization or token endpoint');
    return { authorization_endpoint: doc.authorization_endpoint, token_endpoint: doc.token_endpoint };
  }

  /** This site's callback URL as the browser reached it (the client's redirect URI registered in Keycloak). */
  private redirectUri(req: Request): string {
    return `${isTls(req) ? 'https' : 'http'}://${req.get('host') ?? 'localhost'}${FLOW_PATH}/callback`;
  }
}
