import {
  appendFiles,
  createJobContext,
  type FileEntry,
  recordStepFailure,
  recordStepRunning,
  recordStepSkipped,
  recordStepSuccess,
  toStepError,
} from './job-context.model';

const base = () => createJobContext({ executionId: 'e1', jobId: 'j1', variables: { TOKEN: '******' } });

describe('JobContext model', () => {
  it('createJobContext gives the ARCHITECTURE.md shape (no webhook key without a webhook)', () => {
    expect(base()).toStrictEqual({ execution_id: 'e1', job_id: 'j1', variables: { TOKEN: '******' }, steps: {}, files: [] });
    const withHook = createJobContext({
      executionId: 'e1',
      jobId: 'j1',
      webhook: { payload: { a: 1 }, query_params: { q: '1' }, headers: { h: 'v' } },
    });
    expect(withHook.webhook).toStrictEqual({ payload: { a: 1 }, query_params: { q: '1' }, headers: { h: 'v' } });
    expect(withHook.variables).toStrictEqual({});
  });

  it('records running then success, keeping started_at, without mutating the input', () => {
    const c0 = base();
    const c1 = recordStepRunning(c0, 'fetch', new Date('2024-01-01T00:00:00Z'));
    expect(c1.steps.fetch).toStrictEqual({
      step_id: 'fetch',
      status: 'running',
      started_at: '2024-01-01T00:00:00.000Z',
      completed_at: null,
    });
    const c2 = recordStepSuccess(c1, 'fetch', { status: 200 }, { completedAt: '2024-01-01T00:00:02+07:00' });
    expect(c2.steps.fetch).toStrictEqual({
      step_id: 'fetch',
      status: 'success',
      output: { status: 200 },
      started_at: '2024-01-01T00:00:00.000Z',
      completed_at: '2023-12-31T17:00:02.000Z',
    });
    expect(c0.steps).toStrictEqual({});
    expect(c1.steps.fetch?.status).toBe('running');
  });

  it('records a failure from an Error, with its class name and retryable flag, and partial output', () => {
    class HttpStatusError extends Error {
      readonly retryable = true;
      constructor() {
        super('HTTP 503');
        this.name = 'HttpStatusError';
      }
    }
    const c = recordStepFailure(base(), 'fetch', new HttpStatusError(), {
      startedAt: '2024-01-01T00:00:00Z',
      completedAt: '2024-01-01T00:00:01Z',
      output: { status: 503 },
    });
    expect(c.steps.fetch).toStrictEqual({
      step_id: 'fetch',
      status: 'failed',
      error: { message: 'HTTP 503', type: 'HttpStatusError', retryable: true },
      output: { status: 503 },
      started_at: '2024-01-01T00:00:00.000Z',
      completed_at: '2024-01-01T00:00:01.000Z',
    });
  });

  it('toStepError accepts strings, StepError objects and anything else', () => {
    expect(toStepError('bad')).toStrictEqual({ message: 'bad' });
    expect(toStepError({ message: 'm', type: 'T', extra: 1 })).toStrictEqual({ message: 'm', type: 'T' });
    expect(toStepError(42)).toStrictEqual({ message: '42' });
  });

  it('records a skipped step without output', () => {
    const c = recordStepSkipped(base(), 'maybe', '2024-01-01T00:00:00Z');
    expect(c.steps.maybe).toStrictEqual({
      step_id: 'maybe',
      status: 'skipped',
      started_at: '2024-01-01T00:00:00.000Z',
      completed_at: '2024-01-01T00:00:00.000Z',
    });
    expect('output' in (c.steps.maybe as object)).toBe(false);
  });

  it('keeps step order and treats "__proto__" as a plain step id', () => {
    let c = recordStepSuccess(base(), 'b', 1);
    c = recordStepSuccess(c, 'a', 2);
    c = recordStepSuccess(c, '__proto__', 3);
    expect(Object.keys(c.steps)).toEqual(['b', 'a', '__proto__']);
    expect(Object.getPrototypeOf(c.steps)).toBe(Object.prototype);
  });

  it('rejects invalid times', () => {
    expect(() => recordStepSkipped(base(), 's', 'not a date')).toThrow('invalid time: not a date');
  });

  it('appends files in order', () => {
    const f = (name: string): FileEntry => ({
      path: `jobs/j1/executions/e1/output/${name}`,
      filename: name,
      size: 1,
      mime_type: 'text/csv',
      created_at: '2024-01-01T00:00:00.000Z',
    });
    const c1 = appendFiles(base(), f('a.csv'));
    const c2 = appendFiles(c1, [f('b.csv'), { ...f('c.csv'), row_count: 2 }]);
    expect(c2.files.map((x) => x.filename)).toEqual(['a.csv', 'b.csv', 'c.csv']);
    expect(c2.files[2]?.row_count).toBe(2);
    expect(c1.files).toHaveLength(1);
  });
});
