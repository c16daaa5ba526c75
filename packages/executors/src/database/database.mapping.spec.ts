import { parseConnectionString, maskTarget } from './connection-target';
import { toDatabaseError } from './database.errors';
import { numberIfExact, toJsonRow, toJsonValue } from './database.values';
import { oracleConnectOptions, oracleFetchTypeHandler, oracleProcedureCall, type OracleDb } from './oracle.driver';
import { PoolCache } from './pool-cache';
import type { DbPool } from './database.driver';

describe('values → JSON', () => {
  it('keeps numbers that convert exactly, strings otherwise', () => {
    expect(numberIfExact('42')).toBe(42);
    expect(numberIfExact('12.50')).toBe(12.5);
    expect(numberIfExact('0.1')).toBe(0.1);
    expect(numberIfExact('9007199254740993')).toBe('9007199254740993');
    expect(numberIfExact('12345678901234567890.0123456789')).toBe('12345678901234567890.0123456789');
    expect(numberIfExact('NaN')).toBe('NaN');
  });

  it('dates as ISO strings, binary as base64, bigint like numbers', () => {
    expect(toJsonRow({ d: new Date('2024-01-02T03:04:05Z'), b: Buffer.from('hi'), n: 10n, big: 2n ** 64n, nil: undefined })).toEqual({
      d: '2024-01-02T03:04:05.000Z',
      b: 'aGk=',
      n: 10,
      big: '18446744073709551616',
      nil: null,
    });
    expect(toJsonValue(new Uint8Array([1, 2]))).toBe('AQI=');
  });
});

describe('connection strings', () => {
  it('masks the password (raw and URL-encoded) and keeps the user', () => {
    const t = parseConnectionString('postgresql', 'postgres://alice:p%40ss%2Fw0rd@db.example:5432/sales');
    expect(t.password).toBe('p@ss/w0rd');
    expect(t.safe).toBe('postgres://alice:******@db.example:5432/sales');
    expect(maskTarget('failed for alice with p@ss/w0rd and p%40ss%2Fw0rd', t)).toBe('failed for alice with ****** and ******');
  });

  it('refuses a malformed string without echoing it', () => {
    expect(() => parseConnectionString('mysql', 'mysql://u:sec ret@[bad')).toThrow(/not a valid URL$/);
  });

  it('normalises mariadb:// and keys pools per connection string', () => {
    const a = parseConnectionString('mysql', 'mariadb://u:p@h:3306/db');
    expect(a.url).toBe('mysql://u:p@h:3306/db');
    expect(a.key).not.toContain('p@h');
    expect(parseConnectionString('mysql', 'mysql://u:p@h:3306/db').key).toBe(a.key);
    expect(parseConnectionString('mysql', 'mysql://u:q@h:3306/db').key).not.toBe(a.key);
  });
});

describe('error classification', () => {
  const mask = (s: string): string => s.split('pw').join('***');
  it.each([
    ['postgresql', { code: '28P01', message: 'password authentication failed for user "u"' }, 'DATABASE_AUTH_FAILED', false],
    ['postgresql', { code: '3D000', message: 'database "x" does not exist' }, 'DATABASE_NOT_FOUND', false],
    ['postgresql', { code: '42601', message: 'syntax error' }, 'DATABASE_SYNTAX_ERROR', false],
    ['postgresql', { code: '23505', message: 'duplicate key' }, 'DATABASE_CONSTRAINT_VIOLATION', false],
    ['postgresql', { code: '40P01', message: 'deadlock detected' }, 'DATABASE_DEADLOCK', true],
    ['postgresql', { code: '40001', message: 'could not serialize' }, 'DATABASE_DEADLOCK', true],
    ['postgresql', { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, 'DATABASE_CONNECTION_FAILED', true],
    ['postgresql', { code: '53300', message: 'too many connections' }, 'DATABASE_BUSY', true],
    ['mysql', { code: 'ER_ACCESS_DENIED_ERROR', errno: 1045, sqlState: '28000', message: 'Access denied' }, 'DATABASE_AUTH_FAILED', false],
    ['mysql', { code: 'ER_LOCK_DEADLOCK', errno: 1213, sqlState: '40001', message: 'Deadlock' }, 'DATABASE_DEADLOCK', true],
    ['mysql', { code: 'PROTOCOL_CONNECTION_LOST', fatal: true, message: 'lost' }, 'DATABASE_CONNECTION_FAILED', true],
    ['oracle', { errorNum: 1017, code: 'ORA-01017', message: 'ORA-01017: invalid username/password' }, 'DATABASE_AUTH_FAILED', false],
    ['oracle', { errorNum: 60, code: 'ORA-00060', message: 'ORA-00060: deadlock detected' }, 'DATABASE_DEADLOCK', true],
    ['oracle', { errorNum: 1, code: 'ORA-00001', message: 'ORA-00001: unique constraint' }, 'DATABASE_CONSTRAINT_VIOLATION', false],
    ['oracle', { code: 'NJS-503', message: 'NJS-503: connection refused' }, 'DATABASE_CONNECTION_FAILED', true],
  ] as const)('%s %j → %s', (type, err, code, retryable) => {
    const e = toDatabaseError(err, type, mask);
    expect(e).toMatchObject({ code, retryable });
  });

  it('masks the password in the message and carries the SQL state', () => {
    const e = toDatabaseError({ code: '08006', message: 'connection to u:pw failed' }, 'postgresql', mask);
    expect(e.message).toBe('postgresql: connection to u:*** failed (SQLSTATE 08006)');
    expect(e.toJSON().details).toEqual({ database_type: 'postgresql', sql_state: '08006', kind: 'connection' });
  });
});

describe('Oracle binds and output mapping (no server here)', () => {
  const db = {
    BIND_IN: 3001,
    BIND_OUT: 3003,
    BIND_INOUT: 3002,
    STRING: 'STRING',
    NUMBER: 'NUMBER',
    DATE: 'DATE',
    CLOB: 'CLOB',
    BUFFER: 'BUFFER',
    DB_TYPE_NUMBER: 'DB_NUMBER',
    DB_TYPE_CLOB: 'DB_CLOB',
    DB_TYPE_NCLOB: 'DB_NCLOB',
    DB_TYPE_BLOB: 'DB_BLOB',
    DB_TYPE_JSON: 'DB_JSON',
  } as unknown as OracleDb;

  it('builds an anonymous PL/SQL block with IN, OUT and IN OUT binds', () => {
    const call = oracleProcedureCall(db, 'hr.raise_salary', [
      { direction: 'in', name: 'p1', value: 10 },
      { direction: 'in', name: 'p2', value: true },
      { direction: 'out', name: 'new_salary', type: 'number' },
      { direction: 'inout', name: 'note', value: { a: 1 } },
    ]);
    expect(call.text).toBe('BEGIN hr.raise_salary(:b1, :b2, :b3, :b4); END;');
    expect(call.binds).toEqual({
      b1: { dir: 3001, val: 10 },
      b2: { dir: 3001, val: 1 },
      b3: { dir: 3003, type: 'NUMBER' },
      b4: { dir: 3002, type: 'STRING', maxSize: 32767, val: '{"a":1}' },
    });
  });

  it('fetches NUMBER as exact numbers or strings and LOBs as text/buffers', () => {
    const handler = oracleFetchTypeHandler(db);
    const number = handler({ name: 'N', dbType: 'DB_NUMBER' }) as { type: unknown; converter: (v: string | null) => unknown };
    expect(number.type).toBe('STRING');
    expect(number.converter('123')).toBe(123);
    expect(number.converter('123456789012345678901234567890')).toBe('123456789012345678901234567890');
    expect(number.converter(null)).toBeNull();
    expect(handler({ name: 'C', dbType: 'DB_CLOB' })).toEqual({ type: 'STRING' });
    expect(handler({ name: 'B', dbType: 'DB_BLOB' })).toEqual({ type: 'BUFFER' });
    expect(handler({ name: 'V', dbType: 'OTHER' })).toBeUndefined();
  });

  it('connects with user, password and host:port/service', () => {
    expect(oracleConnectOptions(parseConnectionString('oracle', 'oracle://scott:ti%23ger@ora.example/ORCLPDB1'))).toEqual({
      user: 'scott',
      password: 'ti#ger',
      connectString: 'ora.example:1521/ORCLPDB1',
    });
  });
});

describe('PoolCache', () => {
  function fakePool(closed: string[], name: string): DbPool {
    return { connect: () => Promise.reject(new Error('unused')), close: async () => void closed.push(name) };
  }
  const target = (n: string) => parseConnectionString('postgresql', `postgres://u@h/${n}`);

  it('reuses a pool per target, evicts the least recently used idle one when full, closes idle ones', async () => {
    const closed: string[] = [];
    const cache = new PoolCache({ maxPools: 2, idleMs: 1000 });
    let created = 0;
    const use = (n: string) => cache.use(target(n), () => (created++, fakePool(closed, n)), async () => n);
    await use('a');
    await use('a');
    expect(created).toBe(1);
    await use('b');
    await use('c'); // evicts a
    expect(closed).toEqual(['a']);
    expect(cache.size).toBe(2);
    cache.sweep(Date.now() + 2000);
    expect(closed.sort()).toEqual(['a', 'b', 'c']);
    expect(cache.size).toBe(0);
    await cache.close();
    await expect(use('d')).rejects.toThrow(/closed/);
  });

  it('never closes a pool in use', async () => {
    const closed: string[] = [];
    const cache = new PoolCache({ maxPools: 1, idleMs: 1 });
    let release!: () => void;
    const busy = cache.use(target('a'), () => fakePool(closed, 'a'), () => new Promise<void>((r) => (release = r)));
    cache.sweep(Date.now() + 10_000);
    await cache.use(target('b'), () => fakePool(closed, 'b'), async () => undefined);
    expect(closed).toEqual([]);
    release();
    await busy;
    await cache.close();
    expect(closed.sort()).toEqual(['a', 'b']);
  });
});
