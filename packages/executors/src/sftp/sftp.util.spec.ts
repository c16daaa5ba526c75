import { joinRemote, matchesPattern, mimeTypeOf, splitRemotePattern, trimSlash } from './sftp.util';

describe('sftp utils', () => {
  it('matches file-name patterns like a shell', () => {
    expect(matchesPattern('TXN_20260101.csv', 'TXN_2026*.csv')).toBe(true);
    expect(matchesPattern('TXN_20260101.csv.bak', 'TXN_*.csv')).toBe(false);
    expect(matchesPattern('report-1.xlsx', 'report-?.xlsx')).toBe(true);
    expect(matchesPattern('report-10.xlsx', 'report-?.xlsx')).toBe(false);
    expect(matchesPattern('b.txt', '[ab].txt')).toBe(true);
    expect(matchesPattern('.hidden.csv', '*.csv')).toBe(false);
  });

  it('splits a pattern in the last segment of remote_path', () => {
    expect(splitRemotePattern('/exports/transactions/TXN_*.csv', undefined)).toEqual({ dir: '/exports/transactions', pattern: 'TXN_*.csv' });
    expect(splitRemotePattern('/exports/', '*.csv')).toEqual({ dir: '/exports', pattern: '*.csv' });
    expect(splitRemotePattern('/exports/a.csv', undefined)).toEqual({ path: '/exports/a.csv' });
    expect(splitRemotePattern('*.csv', undefined)).toEqual({ dir: '.', pattern: '*.csv' });
  });

  it('joins and trims remote paths; guesses MIME types', () => {
    expect(trimSlash('/a/b//')).toBe('/a/b');
    expect(trimSlash('/')).toBe('/');
    expect(joinRemote('/', 'a')).toBe('/a');
    expect(joinRemote('.', 'a')).toBe('a');
    expect(joinRemote('in', 'a')).toBe('in/a');
    expect(mimeTypeOf('x.CSV')).toBe('text/csv');
    expect(mimeTypeOf('x.xlsx')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(mimeTypeOf('x.bin')).toBe('application/octet-stream');
  });
});
