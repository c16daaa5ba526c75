import { IsInt, Max, Min } from 'class-validator';
import { BaseEnv } from './base.env';
import { ConfigValidationError, loadConfig } from './load-config';

class TestEnv extends BaseEnv {
  @IsInt() @Min(1) @Max(65535)
  PORT: number = 8080;
}

describe('loadConfig', () => {
  it('applies defaults that point at the local services', () => {
    const cfg = loadConfig(TestEnv, {});
    expect(cfg.PORT).toBe(8080);
    expect(cfg.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:25432/vecron');
    expect(cfg.S3_USE_SSL).toBe(false);
  });

  it('converts numbers and booleans from strings', () => {
    const cfg = loadConfig(TestEnv, { PORT: '9090', S3_USE_SSL: 'true', S3_PORT: '9000' });
    expect(cfg.PORT).toBe(9090);
    expect(cfg.S3_PORT).toBe(9000);
    expect(cfg.S3_USE_SSL).toBe(true);
  });

  it('reads false booleans as false', () => {
    expect(loadConfig(TestEnv, { S3_USE_SSL: 'false' }).S3_USE_SSL).toBe(false);
    expect(loadConfig(TestEnv, { S3_USE_SSL: '0' }).S3_USE_SSL).toBe(false);
    expect(loadConfig(TestEnv, { S3_USE_SSL: 'on' }).S3_USE_SSL).toBe(true);
    expect(() => loadConfig(TestEnv, { S3_USE_SSL: 'maybe' })).toThrow('S3_USE_SSL');
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig(TestEnv, { PORT: '' }).PORT).toBe(8080);
  });

  it('names every bad variable', () => {
    let err: unknown;
    try {
      loadConfig(TestEnv, { PORT: 'abc', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigValidationError);
    const vars = (err as ConfigValidationError).issues.map((i) => i.variable).sort();
    expect(vars).toEqual(expect.arrayContaining(['DATABASE_URL', 'LOG_LEVEL', 'PORT']));
    expect((err as Error).message).toContain('DATABASE_URL: must be a postgres:// connection string');
  });
});
