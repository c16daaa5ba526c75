import { StepConfigError } from '../errors';
import { validateStepConfig } from '../validate-step-config';
import { SftpKeyAuthConfig, SftpPasswordAuthConfig, SftpStepConfig } from './sftp.config';
import { SftpExecutor } from './sftp.executor';

const executor = new SftpExecutor({ knownHostsPath: '/nonexistent' });
const pw = { type: 'password', username: 'u', password: 'p' };
const base = { operation: 'download', host: 'sftp.bank.example.com', auth: pw, remote_path: '/out' };

function issuesOf(raw: unknown, mode: 'run' | 'save' = 'run'): { path: string; message: string }[] {
  try {
    validateStepConfig(executor, raw, { mode });
  } catch (err) {
    if (err instanceof StepConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected the config to be rejected');
}

describe('SftpStepConfig (the one schema of the sftp step)', () => {
  it('accepts the existing format and applies defaults (port 22, verify_host_key true, timeout 3600)', () => {
    const config = validateStepConfig(executor, {
      ...base,
      options: { wildcard_pattern: '*.csv', recursive: false, verify_host_key: true, host_key: 'SHA256:dgmbyJeWrpHbbKiZEaZCwYw3h+vVDQDYKcGxJ6Z4WJI', streaming: true },
    });
    expect(config).toBeInstanceOf(SftpStepConfig);
    expect(config.auth).toBeInstanceOf(SftpPasswordAuthConfig);
    expect(config.port).toBe(22);
    expect(config.timeout_seconds).toBe(3600);
    expect(config.options?.verify_host_key).toBe(true);
  });

  it('accepts verify_host_key: true without host_key (the worker known_hosts decides)', () => {
    const config = validateStepConfig(executor, { ...base, options: { verify_host_key: true } });
    expect(config.options?.host_key).toBeUndefined();
  });

  it('accepts ssh keys from a path or from text, uploads with one key or a list', () => {
    const byPath = validateStepConfig(executor, {
      operation: 'upload', host: '10.0.0.5', port: 2222, remote_path: '/in/report.xlsx', local_path: 'output/report.xlsx',
      auth: { type: 'ssh_key', username: 'u', private_key_path: '/keys/id_ed25519' }, options: { create_directories: true },
    });
    expect(byPath.auth).toBeInstanceOf(SftpKeyAuthConfig);
    const list = validateStepConfig(executor, {
      operation: 'upload', host: 'h', remote_path: '/in/', local_path: ['a.csv', 'b.csv'],
      auth: { type: 'ssh_key', username: 'u', private_key: '-----BEGIN OPENSSH PRIVATE KEY-----\n…', passphrase: 'pw' },
    });
    expect(list.local_path).toEqual(['a.csv', 'b.csv']);
  });

  it.each([
    ['missing host and remote_path', { operation: 'download', auth: pw }, ['config.host', 'config.remote_path']],
    ['bad host', { ...base, host: 'bad host' }, ['config.host']],
    ['port out of range', { ...base, port: 70000 }, ['config.port']],
    ['unknown auth type', { ...base, auth: { type: 'basic', username: 'u', password: 'p' } }, ['config.auth.type']],
    ['both key sources', { ...base, auth: { type: 'ssh_key', username: 'u', private_key: 'k', private_key_path: '/k' } }, ['config.auth.private_key']],
    ['no key source', { ...base, auth: { type: 'ssh_key', username: 'u' } }, ['config.auth.private_key_path']],
    ['upload without local_path', { ...base, operation: 'upload' }, ['config.local_path']],
    ['empty upload list', { ...base, operation: 'upload', local_path: [] }, ['config.local_path']],
    ['download with a list', { ...base, local_path: ['a'] }, ['config.local_path']],
    ['pattern with a folder', { ...base, options: { wildcard_pattern: 'a/*.csv' } }, ['config.options.wildcard_pattern']],
    ['bad host_key', { ...base, options: { host_key: 'MD5:aa:bb' } }, ['config.options.host_key']],
    ['delete and move', { ...base, options: { delete_after_download: true, move_after_download: '/archive' } }, ['config.options.move_after_download']],
    ['download options on upload', { ...base, operation: 'upload', local_path: 'a', options: { wildcard_pattern: '*.csv', max_files: 3, delete_after_download: true } },
      ['config.options.wildcard_pattern', 'config.options.delete_after_download', 'config.options.max_files']],
    ['unknown field', { ...base, options: { overwrite: true } }, ['config.options.overwrite']],
    ['timeout out of range', { ...base, timeout_seconds: 0 }, ['config.timeout_seconds']],
  ])('refuses %s, on the field that is wrong', (_name, raw, paths) => {
    expect([...new Set(issuesOf(raw).map((i) => i.path))].sort()).toEqual([...paths].sort());
  });

  it('messages never echo the password', () => {
    const issues = issuesOf({ ...base, auth: { type: 'password', username: '', password: 'hunter2-secret' } });
    expect(JSON.stringify(issues)).not.toContain('hunter2-secret');
  });

  it('save mode tolerates templates where a concrete value would be checked', () => {
    expect(() => validateStepConfig(executor, { ...base, host: '${SFTP_HOST}', port: '${SFTP_PORT}' as unknown as number, remote_path: '{{steps.a.output.dir}}' }, { mode: 'save' })).not.toThrow();
    expect(issuesOf({ ...base, host: '${SFTP_HOST}' }, 'run').map((i) => i.path)).toEqual(['config.host']);
  });
});
