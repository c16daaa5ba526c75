import { InMemoryObjectStorage, ObjectNotFoundError } from '@vecron/storage';
import { ContextStore, InvalidContextError } from './context.store';
import { appendFiles, createJobContext, recordStepSkipped, recordStepSuccess } from './job-context.model';

describe('ContextStore', () => {
  it('saves the whole context at jobs/{job_id}/executions/{execution_id}/context.json and loads it back', async () => {
    const storage = new InMemoryObjectStorage();
    const store = new ContextStore({ storage });
    let ctx = createJobContext({
      executionId: 'exec-9',
      jobId: 'job-7',
      variables: { KEY: '******' },
      webhook: { payload: { id: 1, list: [1, 'two', null] }, query_params: { a: 'b' }, headers: { 'x-h': 'v' } },
    });
    ctx = recordStepSuccess(ctx, 'fetch', { body: { 'x.y': 1, nested: [{ a: true }] } }, {
      startedAt: '2024-01-01T00:00:00Z',
      completedAt: '2024-01-01T00:00:01Z',
    });
    ctx = recordStepSkipped(ctx, 'skip', '2024-01-01T00:00:02Z');
    ctx = appendFiles(ctx, {
      path: 'jobs/job-7/executions/exec-9/output/a.csv',
      filename: 'a.csv',
      size: 3,
      mime_type: 'text/csv',
      row_count: 1,
      created_at: '2024-01-01T00:00:03.000Z',
    });

    const key = await store.save(ctx);
    expect(key).toBe('jobs/job-7/executions/exec-9/context.json');
    expect(await storage.exists(key)).toBe(true);
    expect((await storage.stat(key)).contentType).toBe('application/json');
    expect(JSON.parse((await storage.get(key)).toString('utf8'))).toStrictEqual(ctx);
    expect(await store.load('job-7', 'exec-9')).toStrictEqual(ctx);

    // The next save replaces the previous version.
    const next = recordStepSuccess(ctx, 'later', 5);
    await store.save(next);
    expect(Object.keys((await store.load('job-7', 'exec-9')).steps)).toEqual(['fetch', 'skip', 'later']);
  });

  it('stores Dates as ISO strings and bigints as strings', async () => {
    const store = new ContextStore({ storage: new InMemoryObjectStorage() });
    const ctx = recordStepSuccess(createJobContext({ executionId: 'e', jobId: 'j' }), 's', {
      at: new Date('2024-05-05T05:05:05.000Z'),
      big: 12345678901234567890n,
    });
    await store.save(ctx);
    expect((await store.load('j', 'e')).steps.s?.output).toStrictEqual({
      at: '2024-05-05T05:05:05.000Z',
      big: '12345678901234567890',
    });
  });

  it('throws ObjectNotFoundError for a context never saved', async () => {
    const store = new ContextStore({ storage: new InMemoryObjectStorage() });
    await expect(store.load('j', 'missing')).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it('throws InvalidContextError for an object that is not a context', async () => {
    const storage = new InMemoryObjectStorage();
    const store = new ContextStore({ storage });
    await storage.put(store.keyOf('j', 'bad-json'), '{not json');
    await storage.put(store.keyOf('j', 'bad-shape'), JSON.stringify({ execution_id: 'x', job_id: 'j', steps: {} }));
    await expect(store.load('j', 'bad-json')).rejects.toBeInstanceOf(InvalidContextError);
    await expect(store.load('j', 'bad-shape')).rejects.toThrow(
      'invalid context at jobs/j/executions/bad-shape/context.json: variables must be an object',
    );
  });
});
