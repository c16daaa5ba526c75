import { excerpt, headersToRecord, isJsonMediaType, maskSecrets, mediaType, redactUrl } from './http.util';

describe('http utilities', () => {
  it('redactUrl drops credentials and fragments and masks secret-looking query values', () => {
    expect(redactUrl('https://u:p@api.example.com/v1/x?page=2&access_token=abc&apiKey=k#frag')).toBe(
      'https://api.example.com/v1/x?page=2&access_token=REDACTED&apiKey=REDACTED',
    );
    expect(redactUrl('http://h/plain')).toBe('http://h/plain');
  });

  it('maskSecrets replaces every occurrence of secrets of 4+ characters', () => {
    expect(maskSecrets('a tok1 b tok1', ['tok1', 'ab', undefined])).toBe('a [REDACTED] b [REDACTED]');
  });

  it('excerpt trims and cuts', () => {
    expect(excerpt('  hi  ')).toBe('hi');
    expect(excerpt('abcdef', 3)).toBe('abc…');
  });

  it('recognises JSON media types', () => {
    expect(isJsonMediaType(mediaType('Application/JSON; charset=utf-8'))).toBe(true);
    expect(isJsonMediaType(mediaType('application/vnd.api+json'))).toBe(true);
    expect(isJsonMediaType(mediaType('text/html'))).toBe(false);
    expect(isJsonMediaType(mediaType(null))).toBe(false);
  });

  it('headersToRecord lower-cases names and joins repeats', () => {
    const headers = new Headers([
      ['X-A', '1'],
      ['x-a', '2'],
      ['Content-Type', 'text/plain'],
    ]);
    expect(headersToRecord(headers)).toEqual({ 'x-a': '1, 2', 'content-type': 'text/plain' });
  });
});
