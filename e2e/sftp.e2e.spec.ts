import { storageFor, waitFor } from './support/services';
import { listRemote, readRemote, remoteFolder, removeRemote, SFTP_KEY, SFTP_KEY_USER, SFTP_KNOWN_HOSTS, SFTP_PASSWORD_USER, SFTP_PORT, writeRemote } from './support/sftp';
import type { Execution } from './support/api-client';
import { TestSystem } from './support/system';

jest.setTimeout(150_000);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- free-form JSON under test

const sftpStep = (id: string, config: Record<string, unknown>) => ({
  id,
  name: id,
  type: 'sftp',
  condition: null,
  config: { host: '127.0.0.1', port: SFTP_PORT, auth: { type: 'ssh_key', username: SFTP_KEY_USER, private_key_path: SFTP_KEY }, ...config },
});

describe('sftp end to end: a job downloads TXN_*.csv from the sshd and uploads a file back', () => {
  // The worker checks host keys against the known_hosts written by scripts/services.d/sshd.sh.
  const sys = new TestSystem({ name: 'e2e_sftp', workerEnv: { SFTP_KNOWN_HOSTS } });

  beforeAll(async () => {
    await sys.start();
  });
  const folders: string[] = [];
  afterAll(async () => {
    await sys.stop();
    for (const f of folders) removeRemote(f);
  });
  afterEach(() => {
    const failed = (expect.getState() as { suppressedErrors: unknown[] }).suppressedErrors.length > 0;
    if (failed) process.stderr.write(sys.logs());
  });

  const finished = (id: string, status: string) =>
    waitFor(async () => {
      const e = await sys.client.ok<Execution>('GET', `/api/executions/${id}`);
      return ['success', 'failed', 'timeout', 'cancelled', 'dead_letter'].includes(e.status) ? e : null;
    }, 90_000, `execution ${status}`);

  it('downloads the matching files into the execution folder, registers them, and uploads one back under a new name', async () => {
    const dir = remoteFolder('pipeline');
    folders.push(dir);
    writeRemote(`${dir}/exports/transactions/TXN_20261129.csv`, 'id,amount\n1,10.50\n2,20.00\n');
    writeRemote(`${dir}/exports/transactions/TXN_20261130.csv`, 'id,amount\n3,7.25\n');
    writeRemote(`${dir}/exports/transactions/README.txt`, 'not a transaction file');

    const job = await sys.client.createJob({
      name: 'sftp round trip',
      schedule: null,
      max_retries: 0,
      steps: [
        // Host keys verified by default (no verify_host_key / host_key in the step).
        sftpStep('fetch', { operation: 'download', remote_path: `${dir}/exports/transactions/TXN_*.csv` }),
        sftpStep('send', {
          operation: 'upload',
          local_path: '{{steps.fetch.output.files[1].path}}',
          remote_path: `${dir}/partner/inbox/summary_{{execution_id}}.csv`,
          options: { create_directories: true },
        }),
      ],
    });
    const trig = await sys.client.call<{ execution_id: string }>('POST', `/api/jobs/${job.id}/trigger`);
    expect(trig.status).toBe(202);
    const e = await finished(trig.body.execution_id, 'success');
    expect(e.status).toBe('success');

    const ctx = await sys.client.ok<Json>('GET', `/api/executions/${e.id}/context`);
    const downloads = ctx.steps.fetch.output.files as Json[];
    expect(downloads.map((f) => f.filename)).toEqual(['TXN_20261129.csv', 'TXN_20261130.csv']);
    const prefix = `jobs/${job.id}/executions/${e.id}/sftp/downloads/`;
    expect(downloads[0]).toMatchObject({ path: `${prefix}TXN_20261129.csv`, remote_path: `${dir}/exports/transactions/TXN_20261129.csv`, size: 26 });
    // Every downloaded file is in the context's files, and in object storage.
    expect((ctx.files as Json[]).map((f) => [f.path, f.mime_type])).toEqual([
      [`${prefix}TXN_20261129.csv`, 'text/csv'],
      [`${prefix}TXN_20261130.csv`, 'text/csv'],
    ]);
    const storage = storageFor(sys.env.S3_BUCKET!);
    expect((await storage.get(`${prefix}TXN_20261129.csv`)).toString()).toBe('id,amount\n1,10.50\n2,20.00\n');

    // The upload landed under its final name only (no temporary file left), with the downloaded bytes.
    const uploaded = ctx.steps.send.output.files as Json[];
    expect(uploaded).toEqual([expect.objectContaining({ filename: `summary_${e.id}.csv`, remote_path: `${dir}/partner/inbox/summary_${e.id}.csv`, size: 17 })]);
    expect(listRemote(`${dir}/partner/inbox`)).toEqual([`summary_${e.id}.csv`]);
    expect(readRemote(`${dir}/partner/inbox/summary_${e.id}.csv`).toString()).toBe('id,amount\n3,7.25\n');
    // The remote source files are untouched (no delete/move option).
    expect(listRemote(`${dir}/exports/transactions`)).toEqual(['README.txt', 'TXN_20261129.csv', 'TXN_20261130.csv']);
  });

  it('a wrong password fails the execution at once, without retries, naming the step', async () => {
    const job = await sys.client.createJob({
      name: 'sftp bad password',
      schedule: null,
      max_retries: 3,
      steps: [sftpStep('fetch', { operation: 'download', remote_path: '.', auth: { type: 'password', username: SFTP_PASSWORD_USER, password: 'wrong-password' } })],
    });
    const trig = await sys.client.call<{ execution_id: string }>('POST', `/api/jobs/${job.id}/trigger`);
    const e = await finished(trig.body.execution_id, 'failed');
    expect(e.status).toBe('failed');
    expect(e.error).toMatchObject({ step_id: 'fetch' });
    expect(e.error!.message).toContain('authentication failed');
    expect(JSON.stringify(e)).not.toContain('wrong-password');
    const ctx = await sys.client.ok<Json>('GET', `/api/executions/${e.id}/context`);
    expect(ctx.steps.fetch.error).toMatchObject({ type: 'SftpAuthError', retryable: false });
  });
});
