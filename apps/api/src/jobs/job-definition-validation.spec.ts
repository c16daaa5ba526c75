import pino from 'pino';
import { validateJobDefinition, type ValidationIssue } from '@vecron/definitions';
import { createBuiltInExecutors, ExecutorRegistry, StepConfigError, type StepRunContext } from '@vecron/executors';
import type { ObjectStorage } from '@vecron/storage';
import { asStepTypeCatalog } from './step-types';

/**
 * The job-definition validator with the api's real catalog (the built-in executors): a step
 * config is checked at save by the same class that checks it at run.
 */
const registry = new ExecutorRegistry(createBuiltInExecutors());
const catalog = asStepTypeCatalog(registry);

type Json = Record<string, unknown>;

const httpStep = (config: Json, over: Json = {}): Json => ({ id: 'fetch', name: 'Fetch', type: 'http', config, ...over });
const job = (...steps: Json[]): Json => ({ name: 'drift', schedule: null, steps });

function saveIssues(raw: unknown): ValidationIssue[] {
  const result = validateJobDefinition(raw, catalog);
  return result.ok ? [] : result.errors;
}

/** What the worker gets when it runs the step with this (already resolved) config. */
async function runIssues(config: unknown): Promise<ValidationIssue[]> {
  const run: StepRunContext = {
    jobId: 'j',
    executionId: 'e',
    stepId: 'fetch',
    signal: new AbortController().signal,
    logger: pino({ level: 'silent' }),
    storage: {} as ObjectStorage, // never reached: the config is refused before the step starts
    attempt: 1,
    addFile: () => undefined,
  };
  try {
    await registry.run('http', config, run);
  } catch (err) {
    if (err instanceof StepConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected StepConfigError');
}

describe('job definitions validated with the registered step types', () => {
  describe('the drift cases give the same answer at save and at run', () => {
    it.each<[string, Json, string]>([
      ['a timeout above the executor limit', { method: 'GET', url: 'https://example.com', timeout_seconds: 86_400 }, 'timeout_seconds'],
      ['a GET with a body', { method: 'GET', url: 'https://example.com', body: { a: 1 } }, 'body'],
      ['a URL with credentials', { method: 'GET', url: 'https://user:pw@example.com/' }, 'url'],
    ])('%s', async (_label, config, field) => {
      const atRun = await runIssues(config);
      expect(atRun).toEqual([{ path: `config.${field}`, message: expect.any(String) }]);
      expect(saveIssues(job(httpStep(config)))).toEqual(atRun.map((i) => ({ path: `steps[0].${i.path}`, message: i.message })));
    });
  });

  it('lets a template through in any field at save', () => {
    const templated = {
      method: '${METHOD}',
      url: '{{steps.a.output.body.url}}',
      headers: '{{steps.a.output.body.headers}}',
      body: '{{webhook.payload}}',
      auth: '${AUTH}',
      timeout_seconds: '${TIMEOUT}',
    };
    const first = { id: 'a', name: 'A', type: 'http', config: { method: 'GET', url: 'https://example.com' } };
    expect(saveIssues(job(first, httpStep(templated)))).toEqual([]);
    expect(saveIssues(job(first, httpStep({ method: 'POST', url: 'https://{{variables.host}}/x', auth: { type: 'bearer', token: '${TOKEN}' } })))).toEqual([]);
  });

  it('stores the config as submitted (the executor applies its defaults at run)', () => {
    const result = validateJobDefinition(job(httpStep({ method: 'GET', url: 'https://example.com' })), catalog);
    expect(result.ok && result.definition.steps[0]?.config).toEqual({ method: 'GET', url: 'https://example.com' });
  });

  const table: [string, Json, ValidationIssue[]][] = [
    ['wrong method', { method: 'FETCH', url: 'https://x.example' }, [{ path: 'steps[0].config.method', message: 'must be one of GET, POST, PUT, PATCH, DELETE' }]],
    ['missing url', { method: 'GET' }, [{ path: 'steps[0].config.url', message: 'must be an http(s) URL string' }]],
    ['not a URL', { method: 'GET', url: 'api.example.com/items' }, [{ path: 'steps[0].config.url', message: 'must be an absolute http(s) URL' }]],
    ['ftp URL', { method: 'GET', url: 'ftp://files.example.com' }, [{ path: 'steps[0].config.url', message: 'must use the http or https scheme' }]],
    ['header value not a string', { method: 'GET', url: 'https://x.example', headers: { 'X-Count': 3 } }, [{ path: 'steps[0].config.headers', message: 'header "X-Count" must be a string' }]],
    ['wrong auth type', { method: 'GET', url: 'https://x.example', auth: { type: 'digest', username: 'x' } }, [{ path: 'steps[0].config.auth.type', message: 'must be one of basic, bearer, oauth2' }]],
    ['basic auth without password', { method: 'GET', url: 'https://x.example', auth: { type: 'basic', username: 'u' } }, [{ path: 'steps[0].config.auth.password', message: 'must be a string' }]],
    ['oauth2 without token_url', { method: 'GET', url: 'https://x.example', auth: { type: 'oauth2', client_id: 'c', client_secret: 's' } }, [{ path: 'steps[0].config.auth.token_url', message: 'must be an http(s) URL string' }]],
    ['bearer with a stray field', { method: 'GET', url: 'https://x.example', auth: { type: 'bearer', token: 't', username: 'u' } }, [{ path: 'steps[0].config.auth.username', message: 'is not allowed' }]],
    ['zero step timeout', { method: 'GET', url: 'https://x.example', timeout_seconds: 0 }, [{ path: 'steps[0].config.timeout_seconds', message: 'must not be less than 1' }]],
    ['unknown config property', { method: 'GET', url: 'https://x.example', verb: 'GET' }, [{ path: 'steps[0].config.verb', message: 'is not allowed' }]],
    ['constructor key in a config', { method: 'GET', url: 'https://x.example', constructor: 'x' }, [{ path: 'steps[0].config.constructor', message: 'is not allowed' }]],
  ];

  it.each(table)('%s', (_label, config, expected) => {
    expect(saveIssues(job(httpStep(config)))).toEqual(expected);
  });

  it('answers an unknown step type with the registered ones', () => {
    expect(saveIssues(job({ id: 'x', name: 'X', type: 'ftp', config: {} }))).toEqual([
      { path: 'steps[0].type', message: `must be one of ${registry.types().join(', ')} (the registered step types)` },
    ]);
  });
});
