import { maskDeep, maskSecrets } from './secrets.mask';

describe('maskSecrets', () => {
  test.each<[string, string[], string]>([
    ['token=abc123&x=abc123', ['abc123'], 'token=******&x=******'],
    ['nothing here', ['abc123'], 'nothing here'],
    ['empty secrets are ignored', ['', 'zzz'], 'empty secrets are ignored'],
    ['pass=longsecret short=long', ['long', 'longsecret'], 'pass=****** short=******'],
    ['regex chars a.b*c are literal: a.b*c axbbc', ['a.b*c'], 'regex chars ****** are literal: ****** axbbc'],
    ['{"password":"p\\"q"}', ['p"q'], '{"password":"******"}'],
    ['https://x/?k=a%2Bb%26c', ['a+b&c'], 'https://x/?k=******'],
    ['multi: one two', ['one', 'two'], 'multi: ****** ******'],
  ])('%s', (text, secrets, expected) => {
    expect(maskSecrets(text, secrets)).toBe(expected);
  });
});

describe('maskDeep', () => {
  it('masks every string and key of a JSON value, leaving the input untouched', () => {
    const input = { a: 'Bearer s3cr3t', list: ['s3cr3t', 1, null, true], nested: { s3cr3t: { deep: 'x s3cr3t' } } };
    const copy = JSON.parse(JSON.stringify(input)) as unknown;
    expect(maskDeep(input, ['s3cr3t'])).toStrictEqual({
      a: 'Bearer ******',
      list: ['******', 1, null, true],
      nested: { '******': { deep: 'x ******' } },
    });
    expect(input).toStrictEqual(copy);
  });

  it('handles Errors, cycles, Dates and plain strings', () => {
    const loop: Record<string, unknown> = { msg: 'pw1' };
    loop.self = loop;
    const date = new Date(0);
    expect(maskDeep(loop, ['pw1'])).toStrictEqual({ msg: '******', self: '[Circular]' });
    expect(maskDeep(new Error('login pw1 failed'), ['pw1'])).toStrictEqual({ name: 'Error', message: 'login ****** failed' });
    expect(maskDeep({ d: date }, ['pw1']).d).toBe(date);
    expect(maskDeep('pw1', ['pw1'])).toBe('******');
    expect(maskDeep({ a: 'pw1' }, [])).toStrictEqual({ a: 'pw1' });
  });
});
