import { buildWebhookData, parseQuery, pickHeaders, WebhookPayloadError } from './webhook-payload';

const parts = (over: Partial<Parameters<typeof buildWebhookData>[0]> = {}) => ({
  body: Buffer.from('{"order_id":"A-1","items":[1,2]}'), contentType: 'application/json; charset=utf-8', query: 'source=shop&tag=a&tag=b',
  headers: { 'x-partner-id': 'acme', authorization: 'Bearer x', cookie: 'c=1', 'x-webhook-signature': 'sha256=00', 'x-webhook-timestamp': '1', 'user-agent': 'ua' },
  forwardHeaders: null, ...over,
});

describe('webhook context data', () => {
  it('parses JSON (also +json types), keeps other bodies as text, null for an empty body', () => {
    expect(buildWebhookData(parts()).payload).toEqual({ order_id: 'A-1', items: [1, 2] });
    expect(buildWebhookData(parts({ contentType: 'application/vnd.partner+json' })).payload).toEqual({ order_id: 'A-1', items: [1, 2] });
    expect(buildWebhookData(parts({ contentType: 'text/plain' })).payload).toBe('{"order_id":"A-1","items":[1,2]}');
    expect(buildWebhookData(parts({ contentType: undefined, body: Buffer.from('a=1') })).payload).toBe('a=1');
    expect(buildWebhookData(parts({ body: Buffer.alloc(0) })).payload).toBeNull();
  });

  it('turns a repeated query parameter into an array', () => {
    expect(parseQuery('source=shop&tag=a&tag=b&tag=c&e=')).toEqual({ source: 'shop', tag: ['a', 'b', 'c'], e: '' });
  });

  it('forwards every header but the credential ones by default, only the named ones otherwise', () => {
    const h = parts().headers;
    expect(pickHeaders(h, null)).toEqual({ 'x-partner-id': 'acme', 'user-agent': 'ua' });
    expect(pickHeaders(h, ['x-partner-id', 'x-absent'])).toEqual({ 'x-partner-id': 'acme' });
  });

  it.each([
    ['bad JSON', { body: Buffer.from('{"a":') }, 'body'],
    ['NUL in JSON', { body: Buffer.from('{"a":"\\u0000"}') }, 'body'],
    ['lone surrogate in a key', { body: Buffer.from('{"\\ud800":1}') }, 'body'],
    ['NUL in the query', { query: 'a=%00' }, 'query'],
    ['deep nesting', { body: Buffer.from(`${'['.repeat(5000)}${']'.repeat(5000)}`) }, 'body'],
  ])('refuses %s with a WebhookPayloadError naming where', (_n, over, path) => {
    let err: unknown;
    try {
      buildWebhookData(parts(over));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WebhookPayloadError);
    expect((err as WebhookPayloadError).path).toBe(path);
  });
});
