import { maskSensitive } from './dashboard.service';
import { safeNext } from './dashboard.controller';

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
});
