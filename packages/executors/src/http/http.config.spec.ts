import { StepConfigError } from '../errors';
import { validateStepConfig } from '../validate-step-config';
import { HttpBasicAuthConfig, HttpOAuth2AuthConfig, HttpStepConfig } from './http.config';
import { HttpExecutor } from './http.executor';

const executor = new HttpExecutor();

function issuesOf(raw: unknown): { path: string; message: string }[] {
  try {
    validateStepConfig(executor, raw);
  } catch (err) {
    if (err instanceof StepConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected the config to be rejected');
}

describe('HttpStepConfig validation', () => {
  it('accepts a minimal config, normalises the method and defaults timeout_seconds to 30', () => {
    const config = validateStepConfig(executor, { method: 'post', url: 'http://127.0.0.1:8080/x?a=1' });
    expect(config).toBeInstanceOf(HttpStepConfig);
    expect(config.method).toBe('POST');
    expect(config.timeout_seconds).toBe(30);
  });

  it('keeps headers and a JSON body exactly as given', () => {
    const body = { items: [{ id: 1, when: '2024-01-01T00:00:00Z' }], nested: { a: null } };
    const config = validateStepConfig(executor, {
      method: 'PUT',
      url: 'https://api.example.com/v1',
      headers: { 'X-Trace': 'abc' },
      body,
    });
    expect(config.body).toEqual(body);
    expect(config.headers).toEqual({ 'X-Trace': 'abc' });
  });

  it('picks the auth class from auth.type', () => {
    const basic = validateStepConfig(executor, {
      method: 'GET',
      url: 'http://h/',
      auth: { type: 'basic', username: 'u', password: 'p' },
    });
    expect(basic.auth).toBeInstanceOf(HttpBasicAuthConfig);
    const oauth = validateStepConfig(executor, {
      method: 'GET',
      url: 'http://h/',
      auth: { type: 'oauth2', client_id: 'c', client_secret: 's', token_url: 'https://idp/token', scope: 'read' },
    });
    expect(oauth.auth).toBeInstanceOf(HttpOAuth2AuthConfig);
  });

  it('reports every wrong top-level field with its path', () => {
    const issues = issuesOf({ method: 'HEAD', url: 'ftp://x/y', timeout_seconds: 0, retries: 3 });
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'config.method', message: 'must be one of GET, POST, PUT, PATCH, DELETE' },
        { path: 'config.url', message: 'must use the http or https scheme' },
        { path: 'config.timeout_seconds', message: 'must not be less than 1' },
        { path: 'config.retries', message: 'is not allowed' },
      ]),
    );
    expect(issues).toHaveLength(4);
  });

  it('rejects missing method/url, a relative URL, credentials in the URL and a huge timeout', () => {
    expect(issuesOf({})).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'config.method' }),
        { path: 'config.url', message: 'must be an http(s) URL string' },
      ]),
    );
    expect(issuesOf({ method: 'GET', url: '/relative' })).toEqual([
      { path: 'config.url', message: 'must be an absolute http(s) URL' },
    ]);
    expect(issuesOf({ method: 'GET', url: 'https://user:secret@h/' })).toEqual([
      { path: 'config.url', message: 'must not contain credentials (use auth instead)' },
    ]);
    expect(issuesOf({ method: 'GET', url: 'http://h/', timeout_seconds: 3601 })).toEqual([
      { path: 'config.timeout_seconds', message: 'must not be greater than 3600' },
    ]);
    expect(issuesOf({ method: 'GET', url: 'http://h/', timeout_seconds: '30' })).toEqual(
      expect.arrayContaining([{ path: 'config.timeout_seconds', message: 'must be an integer number' }]),
    );
  });

  it('rejects bad headers without echoing their values', () => {
    expect(issuesOf({ method: 'GET', url: 'http://h/', headers: { 'X-N': 5 } })).toEqual([
      { path: 'config.headers', message: 'header "X-N" must be a string' },
    ]);
    const injected = issuesOf({ method: 'GET', url: 'http://h/', headers: { 'X-A': 'secret\r\nX-B: 1' } });
    expect(injected).toEqual([
      { path: 'config.headers', message: 'header "X-A" must not contain CR, LF or NUL characters' },
    ]);
    expect(JSON.stringify(injected)).not.toContain('secret');
    expect(issuesOf({ method: 'GET', url: 'http://h/', headers: { 'bad name': 'x' } })).toEqual([
      { path: 'config.headers', message: 'has an invalid header name "bad name"' },
    ]);
    expect(issuesOf({ method: 'GET', url: 'http://h/', headers: ['x'] })).toEqual([
      { path: 'config.headers', message: 'must be an object of header name to string value' },
    ]);
  });

  it('rejects a body on GET', () => {
    expect(issuesOf({ method: 'GET', url: 'http://h/', body: { a: 1 } })).toEqual([
      { path: 'config.body', message: 'must not be set for GET requests' },
    ]);
  });

  it('validates the auth sub-class chosen by type, with nested paths', () => {
    expect(issuesOf({ method: 'GET', url: 'http://h/', auth: { type: 'basic', username: 'a:b' } })).toEqual([
      { path: 'config.auth.username', message: 'must not contain ":"' },
      { path: 'config.auth.password', message: 'must be a string' },
    ]);
    expect(issuesOf({ method: 'GET', url: 'http://h/', auth: { type: 'bearer', token: '' } })).toEqual([
      { path: 'config.auth.token', message: 'should not be empty' },
    ]);
    expect(
      issuesOf({
        method: 'GET',
        url: 'http://h/',
        auth: { type: 'oauth2', client_id: 'c', client_secret: 's', token_url: 'not a url', password: 'x' },
      }),
    ).toEqual(
      expect.arrayContaining([
        { path: 'config.auth.token_url', message: 'must be an absolute http(s) URL' },
        { path: 'config.auth.password', message: 'is not allowed' },
      ]),
    );
  });

  it('reports only the type for an unknown or missing auth type, and a non-object auth', () => {
    expect(issuesOf({ method: 'GET', url: 'http://h/', auth: { type: 'digest', username: 'u', password: 'p' } })).toEqual([
      { path: 'config.auth.type', message: 'must be one of basic, bearer, oauth2' },
    ]);
    expect(issuesOf({ method: 'GET', url: 'http://h/', auth: { token: 't' } })).toEqual([
      { path: 'config.auth.type', message: 'must be one of basic, bearer, oauth2' },
    ]);
    expect(issuesOf({ method: 'GET', url: 'http://h/', auth: 'Bearer x' })).toEqual([
      { path: 'config.auth', message: 'must be an object' },
    ]);
    expect(issuesOf({ method: 'GET', url: 'http://h/', auth: [{ type: 'bearer', token: 't' }] })).toEqual([
      { path: 'config.auth', message: 'must be an object' },
    ]);
  });
});

describe('http config at save (template-tolerant mode)', () => {
  const executor = new HttpExecutor();
  const save = (raw: unknown) => validateStepConfig(executor, raw, { mode: 'save' });

  it('lets templates through format checks, but not concrete mistakes', () => {
    expect(() => save({ method: '${METHOD}', url: '{{steps.a.output.url}}', timeout_seconds: '${T}' })).not.toThrow();
    expect(() => save({ method: 'GET', url: 'https://{{variables.host}}/x', auth: '{{variables.auth}}' })).not.toThrow();
    expect(() => save({ method: 'GET', url: 'ftp://x' })).toThrow(StepConfigError);
  });

  it('gives the same answer as run for concrete values (the drift cases)', () => {
    const cases = [
      { method: 'GET', url: 'https://example.com', timeout_seconds: 86_400 },
      { method: 'GET', url: 'https://example.com', body: { a: 1 } },
      { method: 'GET', url: 'https://user:pw@example.com/' },
    ];
    for (const raw of cases) {
      const atSave = (() => { try { save(raw); return null; } catch (e) { return (e as StepConfigError).issues; } })();
      const atRun = (() => { try { validateStepConfig(executor, raw); return null; } catch (e) { return (e as StepConfigError).issues; } })();
      expect(atSave).not.toBeNull();
      expect(atSave).toEqual(atRun);
    }
  });
});
