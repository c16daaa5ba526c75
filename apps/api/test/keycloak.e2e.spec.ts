import type { INestApplication } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { spawn, type ChildProcess } from 'child_process';
import { generateKeyPairSync } from 'crypto';
import path from 'path';
import request from 'supertest';
import { PERMISSIONS } from '../src/auth/permissions';
import { freshTestDatabase, startTestApi, testApiConfig } from './api-test-app';

const REALM = 'vecron';
const CLIENT_ID = 'vecron-api';

/** The Keycloak-shaped OpenID provider (test/support/keycloak-like-provider.mjs) as a child process. */
class ProviderProcess {
  private output = '';
  private exited: Promise<void>;
  readonly port: Promise<number>;

  constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.on('exit', () => resolve()));
    this.port = new Promise((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        this.output += d.toString();
        const m = /READY (\d+)/.exec(this.output);
        if (m) resolve(Number(m[1]));
      });
      child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
      child.on('exit', (code) => reject(new Error(`provider exited (${code}): ${this.output}`)));
    });
  }

  static start(port: number): ProviderProcess {
    const script = path.join(__dirname, 'support', 'keycloak-like-provider.mjs');
    return new ProviderProcess(
      spawn(process.execPath, [script], { env: { PATH: process.env.PATH ?? '', OIDC_PORT: String(port), OIDC_REALM: REALM, OIDC_AUDIENCE: CLIENT_ID }, stdio: ['ignore', 'pipe', 'pipe'] }),
    );
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}

describe('AUTH_MODE=keycloak against a real OpenID provider with a Keycloak realm path', () => {
  let provider: ProviderProcess;
  let baseUrl: string;
  let app: INestApplication;
  const http = () => request(app.getHttpServer());

  /** A client_credentials access token from the provider's Keycloak-shaped token endpoint. */
  async function tokenOf(client: string): Promise<string> {
    const res = await fetch(`${baseUrl}/realms/${REALM}/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client, client_secret: `${client.replace('-audience', '')}-secret`, resource: 'urn:vecron:api' }),
    });
    const body = (await res.json()) as { access_token?: string };
    if (!body.access_token) throw new Error(`token for ${client}: ${res.status} ${JSON.stringify(body)}`);
    return body.access_token;
  }

  beforeAll(async () => {
    // The spare port of this worktree when given (VECRON_OIDC_PORT), else any free one.
    provider = ProviderProcess.start(Number(process.env.VECRON_OIDC_PORT ?? 0));
    const port = await provider.port;
    baseUrl = `http://127.0.0.1:${port}`;
    const url = await freshTestDatabase('vecron_test_keycloak');
    app = await startTestApi(testApiConfig({ DATABASE_URL: url, AUTH_MODE: 'keycloak', KEYCLOAK_URL: baseUrl, KEYCLOAK_REALM: REALM, KEYCLOAK_CLIENT_ID: CLIENT_ID }));
  }, 30_000);
  afterAll(async () => {
    await app?.close();
    await provider?.stop();
  });

  it('maps realm roles and client roles to permissions; a role named like a permission grants it', async () => {
    const admin = await http().get('/api/auth/me').set('Authorization', `Bearer ${await tokenOf('kc-admin')}`).expect(200);
    expect(admin.body).toMatchObject({ id: 'kc-admin', username: 'kc-admin' });
    expect(admin.body.roles).toEqual(expect.arrayContaining(['Admin']));
    expect([...admin.body.permissions].sort()).toEqual([...PERMISSIONS].sort());

    const userToken = await tokenOf('kc-user');
    const user = await http().get('/api/auth/me').set('Authorization', `Bearer ${userToken}`).expect(200);
    expect(user.body.roles).toEqual(expect.arrayContaining(['Regular User']));
    expect([...user.body.permissions].sort()).toEqual(['dashboard:user', 'execution:read', 'job:execute', 'job:read', 'variable:read']);
    await http().get('/api/jobs').set('Authorization', `Bearer ${userToken}`).expect(200);
    const denied = await http().get('/api/users').set('Authorization', `Bearer ${userToken}`).expect(403);
    expect(denied.body.message).toBe('missing permission user:manage');

    const reader = await tokenOf('kc-reader');
    await http().get('/api/jobs').set('Authorization', `Bearer ${reader}`).expect(200);
    expect((await http().get('/api/executions').set('Authorization', `Bearer ${reader}`).expect(403)).body.message).toBe('missing permission execution:read');
    expect((await http().get('/api/jobs').set('Authorization', `Bearer ${await tokenOf('kc-nobody')}`).expect(403)).body.message).toBe('missing permission job:read');
  });

  it('refuses a token for another audience, one signed by another key, an HS256 token, and logins (handled by Keycloak)', async () => {
    await http().get('/api/jobs').set('Authorization', `Bearer ${await tokenOf('kc-other-audience')}`).expect(401);
    const real = await tokenOf('kc-admin');
    const header = JSON.parse(Buffer.from(real.split('.')[0]!, 'base64url').toString()) as { kid: string };
    const claims = JSON.parse(Buffer.from(real.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = await new JwtService({ privateKey }).signAsync(claims, { algorithm: 'RS256', keyid: header.kid });
    await http().get('/api/jobs').set('Authorization', `Bearer ${forged}`).expect(401);
    const hs = await new JwtService({ secret: 'x'.repeat(40) }).signAsync(claims, { keyid: header.kid });
    await http().get('/api/jobs').set('Authorization', `Bearer ${hs}`).expect(401);
    await http().post('/api/auth/login').send({ username: 'admin', password: 'admin123' }).expect(409);
  });

  it('keeps validating with the cached keys once the provider is stopped; an unknown key id is then refused', async () => {
    const admin = await tokenOf('kc-admin');
    await http().get('/api/jobs').set('Authorization', `Bearer ${admin}`).expect(200);
    await provider.stop();
    await expect(fetch(`${baseUrl}/realms/${REALM}/.well-known/openid-configuration`)).rejects.toThrow();
    await http().get('/api/jobs').set('Authorization', `Bearer ${admin}`).expect(200);
    const me = await http().get('/api/auth/me').set('Authorization', `Bearer ${admin}`).expect(200);
    expect(me.body.username).toBe('kc-admin');
    const claims = JSON.parse(Buffer.from(admin.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const unknownKid = await new JwtService({ privateKey }).signAsync(claims, { algorithm: 'RS256', keyid: 'rotated-key' });
    await http().get('/api/jobs').set('Authorization', `Bearer ${unknownKid}`).expect(401);
  });
});
