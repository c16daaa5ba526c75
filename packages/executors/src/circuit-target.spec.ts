import { DatabaseExecutor } from './database/database.executor';
import { CircuitOpenError, isTargetFailure, RetryableStepError, StepAbortedError, StepConfigError, StepTimeoutError, UnrecoverableStepError } from './errors';
import { ExecutorRegistry } from './executor-registry';
import { HttpStatusError, HttpNetworkError } from './http/http.errors';
import { HttpExecutor } from './http/http.executor';
import { SftpExecutor } from './sftp/sftp.executor';
import { SftpConnectionError } from './sftp/sftp.errors';
import { DatabaseError } from './database/database.errors';
import { FileProcessingExecutor } from './file_processing/file-processing.executor';

describe('circuit-breaker targets of the step types', () => {
  const registry = new ExecutorRegistry([new HttpExecutor(), new SftpExecutor(), new DatabaseExecutor(), new FileProcessingExecutor()]);

  it('http: host:port of the URL, default port by scheme', () => {
    expect(registry.circuitTarget('http', { method: 'GET', url: 'http://127.0.0.1:8080/a?b=1' })).toBe('127.0.0.1:8080');
    expect(registry.circuitTarget('http', { method: 'GET', url: 'https://bank.example.com/x' })).toBe('bank.example.com:443');
    expect(registry.circuitTarget('http', { method: 'GET', url: 'http://bank.example.com/x' })).toBe('bank.example.com:80');
  });

  it('sftp: host:port (22 by default)', () => {
    const config = { operation: 'download', host: 'files.example.com', auth: { type: 'password', username: 'u', password: 'p' }, remote_path: '/in', local_path: 'in' };
    expect(registry.circuitTarget('sftp', config)).toBe('files.example.com:22');
    expect(registry.circuitTarget('sftp', { ...config, port: 2222 })).toBe('files.example.com:2222');
  });

  it('database: host:port/db, without credentials, default port by type', () => {
    const base = { query_type: 'raw_sql', query: 'select 1' };
    expect(registry.circuitTarget('database', { ...base, database_type: 'postgresql', connection_string: 'postgres://u:secret@db.example.com/bank' })).toBe(
      'db.example.com:5432/bank',
    );
    expect(registry.circuitTarget('database', { ...base, database_type: 'mysql', connection_string: 'mysql://u:secret@10.0.0.5:3307/ledger' })).toBe(
      '10.0.0.5:3307/ledger',
    );
  });

  it('none for a local step type or an invalid config', () => {
    expect(registry.circuitTarget('file_processing', { operation: 'read', format: 'csv', source_path: 'a.csv' })).toBeUndefined();
    expect(registry.circuitTarget('http', { method: 'GET', url: 'not a url' })).toBeUndefined();
    expect(registry.circuitTarget('nope', {})).toBeUndefined();
  });
});

describe('isTargetFailure', () => {
  it('counts network failures, timeouts and 5xx', () => {
    expect(isTargetFailure(new HttpNetworkError('GET', 'http://h/', 'ECONNREFUSED', 'refused', null))).toBe(true);
    expect(isTargetFailure(new HttpStatusError(503, 'GET', 'http://h/', ''))).toBe(true);
    expect(isTargetFailure(new StepTimeoutError(5))).toBe(true);
    expect(isTargetFailure(new SftpConnectionError('h:22', 'ECONNRESET', 'reset', null))).toBe(true);
    expect(isTargetFailure(new DatabaseError('connection', 'refused', { database_type: 'postgresql' }))).toBe(true);
  });

  it('does not count 4xx (429 included), validation, SQL errors, aborts, or its own open-circuit error', () => {
    expect(isTargetFailure(new HttpStatusError(404, 'GET', 'http://h/', ''))).toBe(false);
    expect(isTargetFailure(new HttpStatusError(429, 'GET', 'http://h/', ''))).toBe(false);
    expect(isTargetFailure(new StepConfigError('http', [{ path: 'config.url', message: 'bad' }]))).toBe(false);
    expect(isTargetFailure(new DatabaseError('syntax', 'bad sql', { database_type: 'postgresql' }))).toBe(false);
    expect(isTargetFailure(new StepAbortedError('stopped'))).toBe(false);
    expect(isTargetFailure(new UnrecoverableStepError('x'))).toBe(false);
    expect(isTargetFailure(new RetryableStepError('x'))).toBe(false);
    expect(isTargetFailure(new CircuitOpenError('h:80', null))).toBe(false);
  });
});
