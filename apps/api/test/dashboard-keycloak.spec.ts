import type { INestApplication } from '@nestjs/common';
import { spawn, type ChildProcess } from 'child_process';
import path from 'path';
import request from 'supertest';
import { freshTestDatabase, startTestApi, testApiConfig } from './api-test-app';

const REALM = 'vecron';
const CLIENT_ID = 'vecron-api';
/** The dashboard's address as the browser reaches it (the Host header sent to the api). */
const DASHBOARD_HOST = '127.0.0.1:8080';
const CALLBACK = `http://${DASHBOARD_HOST}/auth/keycloak/callback`;

/** Set-Cookie lines → `name=value` pairs, merged into a jar. */
function remember(jar: Map<string, string>, setCookie: string[]): void {
  for (const line of setCookie) {
    const [pair] = line.split(';');
    const eq = pair!.indexOf('=');
    jar.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
  }
}
const cookieHeader = (jar: Map<string, string>): string => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');

/**
 * "Sign in with Keycloak" on the dashboard: the authorization-code flow with state and PKCE
 * against a real OpenID provider shaped like a Keycloak realm (test/support/keycloak-like-provider.mjs,
 * its development login form standing in for Keycloak's), the code exchanged by the api and the
 * token verified by the api's KeycloakTokenVerifier.
 */
describe('dashboard sign-in with Keycloak (authorization code + PKCE)', () => {
  let provider: ChildProcess;
  let baseUrl: string;
  let app: INestApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    provider = spawn(process.execPath, [path.join(__dirname, 'support', 'keycloak-like-provider.mjs')], {
      env: { PATH: process.env.PATH ?? '', OIDC_PORT: '0', OIDC_REALM: REALM, OIDC_AUDIENCE: CLIENT_ID, OIDC_REDIRECT_URIS: CALLBACK },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const port = await new Promise<number>((resolve, reject) => {
      provider.stdout!.on('data', (d: Buffer) => {
        output += d.toString();
        const m = /READY (\d+)/.exec(output);
        if (m) resolve(Number(m[1]));
      });
      provider.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      provider.on('exit', (code) => reject(new Error(`provider exited (${code}): ${output}`)));
    });
    baseUrl = `http://127.0.0.1:${port}`;
    app = await startTestApi(testApiConfig({ DATABASE_URL: await freshTestDatabase('vecron_test_dashboard_kc'), AUTH_MODE: 'keycloak', KEYCLOAK_URL: baseUrl, KEYCLOAK_REALM: REALM, KEYCLOAK_CLIENT_ID: CLIENT_ID }));
  }, 30_000);
  afterAll(async () => {
    await app?.close();
    if (provider && provider.exitCode === null) {
      const exited = new Promise((resolve) => provider.on('exit', resolve));
      provider.kill('SIGTERM');
      await exited;
    }
  });

  /** The browser at the provider: follows redirects, fills the login form, accepts the consent; returns the URL it is sent back to. */
  async function signInAtProvider(authorizeUrl: string, login: string): Promise<URL> {
    const jar = new Map<string, string>();
    let url = authorizeUrl;
    let init: RequestInit = {};
    for (let hop = 0; hop < 12; hop++) {
      if (url.startsWith(CALLBACK)) return new URL(url);
      const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: cookieHeader(jar) } });
      remember(jar, res.headers.getSetCookie());
      init = {};
      const location = res.headers.get('location');
      if (location) {
        url = new URL(location, url).toString();
        continue;
      }
      const html = await res.text();
      const action = /<form[^>]*action="([^"]+)"/.exec(html);
      if (!action) throw new Error(`no form at ${url} (${res.status}): ${html.slice(0, 300)}`);
      const form = new URLSearchParams();
      for (const m of html.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) form.set(m[1]!, m[2]!);
      if (form.get('prompt') === 'login') {
        form.set('login', login);
        form.set('password', 'any');
      }
      url = new URL(action[1]!.replace(/&amp;/g, '&'), url).toString();
      init = { method: 'POST', body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
    }
    throw new Error('too many hops at the provider');
  }

  it('redirects to the realm with state and PKCE, exchanges the code, and signs the user in', async () => {
    const start = await http().get('/auth/keycloak/login?next=%2Fexecutions').set('Host', DASHBOARD_HOST).expect(303);
    const authorize = new URL(String(start.headers['location']));
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${baseUrl}/realms/${REALM}/protocol/openid-connect/auth`);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({ response_type: 'code', client_id: CLIENT_ID, redirect_uri: CALLBACK, code_challenge_method: 'S256', scope: 'openid' });
    expect(authorize.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const flowCookie = (start.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('vecron_oidc='))!;
    expect(flowCookie).toMatch(/HttpOnly/i);
    expect(flowCookie).toMatch(/SameSite=Lax/i);
    expect(flowCookie).toContain('Path=/auth/keycloak');
    // The verifier never leaves the api: the cookie holds it, the provider only gets its hash.
    expect(flowCookie).not.toContain(authorize.searchParams.get('code_challenge')!);

    const back = await signInAtProvider(authorize.toString(), 'kc-admin');
    expect(back.searchParams.get('state')).toBe(authorize.searchParams.get('state'));
    const flow = flowCookie.split(';')[0]!;

    // A forged state is refused: no session.
    const forged = await http().get(`/auth/keycloak/callback?code=${back.searchParams.get('code')}&state=${'x'.repeat(43)}`).set('Host', DASHBOARD_HOST).set('Cookie', flow).expect(303);
    expect(forged.headers['location']).toBe('/?sso_failed=1');
    expect(String(forged.headers['set-cookie'] ?? '')).not.toContain('vecron_session=ey');

    const done = await http().get(`/auth/keycloak/callback${back.search}`).set('Host', DASHBOARD_HOST).set('Cookie', flow).expect(303);
    expect(done.headers['location']).toBe('/executions');
    const session = (done.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('vecron_session='))!;
    expect(session).toMatch(/HttpOnly/i);
    expect(session).toMatch(/SameSite=Strict/i);
    const jobs = await http().get('/jobs').set('Cookie', session.split(';')[0]!).expect(200);
    expect(jobs.text).toMatch(/data-testid="role-badge">Admin</);
    expect(jobs.text).toContain('kc-admin');
    // The code was used once: replaying the callback is refused.
    const again = await http().get(`/auth/keycloak/callback${back.search}`).set('Host', DASHBOARD_HOST).set('Cookie', flow).expect(303);
    expect(again.headers['location']).toBe('/?sso_failed=1');
    const page = await http().get('/?sso_failed=1').expect(200);
    expect(page.text).toContain('Signing in with Keycloak did not succeed');
  });

  it('a Regular User from the realm gets the user view', async () => {
    const start = await http().get('/auth/keycloak/login').set('Host', DASHBOARD_HOST).expect(303);
    const flow = (start.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('vecron_oidc='))!.split(';')[0]!;
    const back = await signInAtProvider(String(start.headers['location']), 'kc-user');
    const done = await http().get(`/auth/keycloak/callback${back.search}`).set('Host', DASHBOARD_HOST).set('Cookie', flow).expect(303);
    expect(done.headers['location']).toBe('/jobs');
    const session = (done.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('vecron_session='))!.split(';')[0]!;
    const jobs = await http().get('/jobs').set('Cookie', session).expect(200);
    expect(jobs.text).toMatch(/data-testid="role-badge">User</);
    await http().get('/users').set('Cookie', session).expect(403);
  });
});
