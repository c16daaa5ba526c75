import { InvalidObjectKeyError } from './errors';
import {
  checkKeyPrefix,
  checkObjectKey,
  executionContextKey,
  executionFileKey,
  executionOutputKey,
  executionPrefix,
  jobDefinitionKey,
  jobDefinitionVersionKey,
  jobPrefix,
  sftpDownloadKey,
} from './storage-keys';

const JOB = '6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f';
const EXEC = '0d9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f5a';

describe('storage key layout', () => {
  it('builds the keys of ARCHITECTURE.md', () => {
    expect(jobPrefix(JOB)).toBe(`jobs/${JOB}/`);
    expect(jobDefinitionKey(JOB)).toBe(`jobs/${JOB}/definition.json`);
    expect(jobDefinitionVersionKey(JOB, 3)).toBe(`jobs/${JOB}/versions/3.json`);
    expect(executionPrefix(JOB, EXEC)).toBe(`jobs/${JOB}/executions/${EXEC}/`);
    expect(executionContextKey(JOB, EXEC)).toBe(`jobs/${JOB}/executions/${EXEC}/context.json`);
    expect(executionOutputKey(JOB, EXEC, 'report.csv')).toBe(`jobs/${JOB}/executions/${EXEC}/output/report.csv`);
    expect(sftpDownloadKey(JOB, EXEC, 'in/bank 2024-01-01.txt')).toBe(`jobs/${JOB}/executions/${EXEC}/sftp/downloads/in/bank 2024-01-01.txt`);
  });

  it('nests every key of a job under jobPrefix and of an execution under executionPrefix', () => {
    const executionKeys = [executionContextKey(JOB, EXEC), executionOutputKey(JOB, EXEC, 'a.xlsx'), sftpDownloadKey(JOB, EXEC, 'b.csv')];
    for (const key of executionKeys) expect(key.startsWith(executionPrefix(JOB, EXEC))).toBe(true);
    for (const key of [...executionKeys, jobDefinitionKey(JOB), jobDefinitionVersionKey(JOB, 1)]) {
      expect(key.startsWith(jobPrefix(JOB))).toBe(true);
    }
  });

  it('keeps the prefix of job 1 from matching job 10', () => {
    expect(jobDefinitionKey('10').startsWith(jobPrefix('1'))).toBe(false);
    expect(executionContextKey('j', 'e10').startsWith(executionPrefix('j', 'e1'))).toBe(false);
  });

  it('accepts simple non-UUID ids and unicode filenames', () => {
    expect(executionOutputKey('job_1', 'exec-2.retry', 'báo cáo (1).xlsx')).toBe('jobs/job_1/executions/exec-2.retry/output/báo cáo (1).xlsx');
  });

  it('only produces keys that the storages accept', () => {
    expect(checkObjectKey(executionOutputKey(JOB, EXEC, 'x/y/z.csv'))).toBe(`jobs/${JOB}/executions/${EXEC}/output/x/y/z.csv`);
  });

  describe('rejects ids that could escape the layout', () => {
    const badIds: [string, unknown][] = [
      ['empty', ''],
      ['slash', 'a/b'],
      ['dot-dot', '..'],
      ['containing dot-dot', 'a..b'],
      ['single dot', '.'],
      ['backslash', 'a\\b'],
      ['NUL', 'a\u0000'],
      ['newline', 'job\n1'],
      ['space', 'job 1'],
      ['percent-encoded slash', 'a%2Fb'],
      ['too long', 'x'.repeat(129)],
      ['not a string', 42],
      ['undefined', undefined],
    ];
    it.each(badIds)('job id: %s', (_label, id) => {
      expect(() => jobPrefix(id as string)).toThrow(InvalidObjectKeyError);
      expect(() => jobDefinitionKey(id as string)).toThrow(InvalidObjectKeyError);
      expect(() => executionContextKey(id as string, EXEC)).toThrow(InvalidObjectKeyError);
    });
    it.each(badIds)('execution id: %s', (_label, id) => {
      expect(() => executionPrefix(JOB, id as string)).toThrow(InvalidObjectKeyError);
      expect(() => executionContextKey(JOB, id as string)).toThrow(InvalidObjectKeyError);
      expect(() => executionOutputKey(JOB, id as string, 'f.csv')).toThrow(InvalidObjectKeyError);
    });
  });

  describe('rejects filenames that could escape the layout', () => {
    const badNames: [string, unknown][] = [
      ['empty', ''],
      ['absolute', '/etc/passwd'],
      ['parent', '../context.json'],
      ['parent in the middle', 'a/../../definition.json'],
      ['dot segment', './a.csv'],
      ['only dot-dot', '..'],
      ['trailing slash', 'dir/'],
      ['double slash', 'a//b.csv'],
      ['backslash', '..\\..\\x'],
      ['NUL', 'a\u0000.csv'],
      ['carriage return', 'a\r.csv'],
      ['DEL', 'a\u007f.csv'],
      ['C1 control', 'a\u0085.csv'],
      ['too long', 'f'.repeat(1100)],
      ['not a string', null],
    ];
    it.each(badNames)('%s', (_label, name) => {
      expect(() => executionOutputKey(JOB, EXEC, name as string)).toThrow(InvalidObjectKeyError);
      expect(() => sftpDownloadKey(JOB, EXEC, name as string)).toThrow(InvalidObjectKeyError);
    });

    it('names the offending value and reason in the error', () => {
      const error = (() => {
        try {
          executionOutputKey(JOB, EXEC, '../x');
        } catch (e) {
          return e;
        }
        return undefined;
      })() as InvalidObjectKeyError;
      expect(error).toBeInstanceOf(InvalidObjectKeyError);
      expect(error.subject).toBe('filename');
      expect(error.value).toBe('../x');
      expect(error.retryable).toBe(false);
      expect(error.code).toBe('INVALID_OBJECT_KEY');
      expect(error.message).toContain('".."');
    });

    it('allows names with dots that are not segments', () => {
      expect(executionOutputKey(JOB, EXEC, '..hidden..csv')).toMatch(/output\/\.\.hidden\.\.csv$/);
      expect(executionOutputKey(JOB, EXEC, '.env')).toMatch(/output\/\.env$/);
    });
  });

  it('rejects a definition version that is not an integer >= 1', () => {
    for (const v of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '2' as unknown as number]) {
      expect(() => jobDefinitionVersionKey(JOB, v)).toThrow(InvalidObjectKeyError);
    }
  });

  it('rejects a whole key longer than 1024 UTF-8 bytes even when each part is valid', () => {
    const name = 'é'.repeat(490); // 980 bytes, plus the ~110-byte prefix
    expect(() => executionOutputKey(JOB, EXEC, name)).toThrow(/1024 bytes/);
  });
});

describe('checkKeyPrefix', () => {
  it('accepts the empty prefix unless told not to', () => {
    expect(checkKeyPrefix('')).toBe('');
    expect(() => checkKeyPrefix('', { allowEmpty: false })).toThrow(InvalidObjectKeyError);
  });

  it('accepts a partial last segment, rejects .. and // in complete ones', () => {
    expect(checkKeyPrefix('jobs/12')).toBe('jobs/12');
    expect(checkKeyPrefix('jobs/..x')).toBe('jobs/..x');
    expect(() => checkKeyPrefix('jobs/../')).toThrow(InvalidObjectKeyError);
    expect(() => checkKeyPrefix('/jobs')).toThrow(InvalidObjectKeyError);
    expect(() => checkKeyPrefix('jobs//x')).toThrow(InvalidObjectKeyError);
    expect(() => checkKeyPrefix('jobs\n')).toThrow(InvalidObjectKeyError);
  });
});

describe('executionFileKey', () => {
  it('reads a relative path inside the execution folder', () => {
    expect(executionFileKey(JOB, EXEC, 'input/tx.csv')).toBe(`jobs/${JOB}/executions/${EXEC}/input/tx.csv`);
  });
  it('keeps a full key of the same job', () => {
    const key = `jobs/${JOB}/executions/other-exec/output/a.csv`;
    expect(executionFileKey(JOB, EXEC, key)).toBe(key);
  });
  it("refuses another job's key and escapes", () => {
    expect(() => executionFileKey(JOB, EXEC, 'jobs/another-job/definition.json')).toThrow(InvalidObjectKeyError);
    expect(() => executionFileKey(JOB, EXEC, '../x.csv')).toThrow(InvalidObjectKeyError);
    expect(() => executionFileKey(JOB, EXEC, '/etc/passwd')).toThrow(InvalidObjectKeyError);
  });
});
