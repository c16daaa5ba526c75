import { maskSensitive } from './dashboard.service';
import type { Request } from 'express';
import { safeNext } from './dashboard.controller';
import { isTls } from './dashboard-view';

describe('dashboard helpers', () => {
  it('masks values whose key names a secret, at any depth, and keeps the rest', () => {
    const masked = maskSensitive({
      steps: { login: { output: { access_token: 'abc', body: { user: 'x', password: 'p', nested: [{ api_key: 'k', ok: 1 }] } } } },
      variables: { DB_PASSWORD: 'secret', HOST: 'db' },
      headers: { Authorization: 'Bearer x' },
    });
    expect(masked).toEqual({
      steps: { login: { output: { access_token: '******', body: { user: 'x', password: '******', nested: [{ api_key: '******', ok: 1 }] } } } },
      variables: { DB_PASSWORD: '******', HOST: 'db' },
      headers: { Authorization: '******' },
    });
  });

  it('only follows a local path after sign-in', () => {
    expect(safeNext('/executions?status=failed')).toBe('/executions?status=failed');
    expect(safeNext('//evil.example/x')).toBe('/jobs');
    expect(safeNext('/\\evil.example')).toBe('/jobs');
    expect(safeNext('https://evil.example')).toBe('/jobs');
    expect(safeNext(undefined)).toBe('/jobs');
  });

  it('marks cookies Secure only behind TLS (direct or told by the proxy)', () => {
    const req = (secure: boolean, proto?: string) => ({ secure, headers: proto ? { 'x-forwarded-proto': proto } : {} }) as unknown as Request;
    expect(isTls(req(true))).toBe(true);
    expect(isTls(req(false, 'https'))).toBe(true);
    expect(isTls(req(false, 'https, http'))).toBe(true);
    expect(isTls(req(false, 'http'))).toBe(false);
    expect(isTls(req(false))).toBe(false);
  });
});
