import {
  appendFiles,
  createJobContext,
  createTemplateScope,
  type JobContext,
  recordStepFailure,
  recordStepSkipped,
  recordStepSuccess,
  type TemplateScope,
} from '../src/index';

export const T0 = '2024-03-01T08:00:00.000Z';

/** A context with steps fetch (success), check (success), gone (skipped), broken (failed). */
export function sampleContext(): JobContext {
  let ctx = createJobContext({
    executionId: 'exec-1',
    jobId: 'job-1',
    variables: { API_KEY: '******', REGION: 'ap-southeast-1' },
    webhook: {
      payload: { user_id: 42, user: { name: 'Lan', tags: ['a', 'b'] }, 'x.y': 'dotted', 'with space': 'spaced' },
      query_params: { x: '1', multi: ['p', 'q'] },
      headers: { 'x-signature': 'sig', 'content-type': 'application/json' },
    },
  });
  ctx = recordStepSuccess(
    ctx,
    'fetch',
    {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: {
        items: [{ id: 'a1', price: 10.5 }, { id: 'b2', price: 0 }],
        total: 2,
        ok: true,
        nothing: null,
        empty: '',
        'x.y': 'dot-key',
        'a b': 'space-key',
        "it's": 'quote-key',
        nested: { deep: { value: 'v' } },
      },
    },
    { startedAt: T0, completedAt: '2024-03-01T08:00:01.000Z' },
  );
  ctx = recordStepSuccess(
    ctx,
    'check',
    { rows: [{ count: 3, name: 'Zoë' }], row_count: 1, affected_rows: 0 },
    { startedAt: T0, completedAt: T0 },
  );
  ctx = recordStepSkipped(ctx, 'gone', T0);
  ctx = recordStepFailure(ctx, 'broken', new Error('boom'), { startedAt: T0, completedAt: T0 });
  ctx = appendFiles(ctx, {
    path: 'jobs/job-1/executions/exec-1/output/report.csv',
    filename: 'report.csv',
    size: 120,
    mime_type: 'text/csv',
    row_count: 3,
    created_at: T0,
  });
  return ctx;
}

export function sampleScope(context: JobContext = sampleContext()): TemplateScope {
  return createTemplateScope({
    context,
    variables: { API_KEY: 'k-123', REGION: 'ap-southeast-1', 'db.password': 'pw', EMPTY: '' },
    startedAt: '2024-03-01T18:30:00.000Z',
    timezone: 'Asia/Ho_Chi_Minh',
    attempt: 2,
    triggerSource: 'manual',
  });
}
