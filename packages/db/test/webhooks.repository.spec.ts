import { randomBytes, randomUUID } from 'crypto';
import { Database } from '../src/database';
import { JobsRepository, type JobMetadata } from '../src/jobs.repository';
import { SecretCipher, parseEncryptionKeys } from '../src/variables/secret-cipher';
import { SensitiveKeysCheck } from '../src/variables/sensitive-keys.check';
import { VariablesRepository } from '../src/variables/variables.repository';
import { WebhooksRepository } from '../src/webhooks/webhooks.repository';
import { freshMigratedDatabase } from './db-test';

const meta = (over: Partial<JobMetadata> = {}): JobMetadata => ({
  name: 'hook', description: null, enabled: true, definition_path: 'jobs/x/definition.json', schedule: null, schedule_type: null,
  timezone: null, scheduled_trigger: false, manual_trigger: true, webhook_enabled: true, allow_concurrent: false, next_run_at: null, ...over,
});
const settings = { rate_limit_max: 5, rate_limit_window_seconds: 60, forward_headers: ['x-partner-id'] };

describe('webhooks repository (real PostgreSQL)', () => {
  let db: Database;
  let jobs: JobsRepository;
  const keys = parseEncryptionKeys(`k1:${randomBytes(32).toString('base64')},k2:${randomBytes(32).toString('base64')}`);
  const cipher1 = new SecretCipher(keys, 'k1');

  beforeAll(async () => {
    db = await freshMigratedDatabase('vecron_test_db_webhooks');
    jobs = new JobsRepository(db);
  });
  afterAll(() => db.close());

  async function job(over: Partial<JobMetadata> = {}): Promise<string> {
    const id = randomUUID();
    await jobs.insert(id, meta(over));
    return id;
  }

  it('stores the secret only encrypted and finds the target by key with the job state', async () => {
    const repo = new WebhooksRepository(db, cipher1);
    const id = await job();
    await repo.insert(id, `key-${id}`, 'whsec_plain-secret-value', settings);
    const raw = await db.query('select * from job_webhooks where job_id=$1', [id]);
    expect(JSON.stringify(raw.rows[0])).not.toContain('plain-secret');
    expect(raw.rows[0].key_id).toBe('k1');
    expect(await repo.findTarget(`key-${id}`)).toMatchObject({
      job_id: id, job_enabled: true, webhook_enabled: true, allow_concurrent: false, current_version: 1, secret: 'whsec_plain-secret-value', ...settings,
    });
    expect(await repo.findTarget('key-unknown')).toBeNull();
    await jobs.softDelete(id);
    expect(await repo.findTarget(`key-${id}`)).toBeNull();
  });

  it('regenerate replaces key and secret in one statement; updateSettings keeps the key', async () => {
    const repo = new WebhooksRepository(db, cipher1);
    const id = await job();
    await repo.insert(id, `old-${id}`, 'whsec_old-secret-value', settings);
    await repo.updateSettings(id, { ...settings, rate_limit_max: null, rate_limit_window_seconds: null }, null);
    expect(await repo.findTarget(`old-${id}`)).toMatchObject({ secret: 'whsec_old-secret-value', rate_limit_max: null });
    await repo.regenerate(id, `new-${id}`, 'whsec_new-secret-value');
    expect(await repo.findTarget(`old-${id}`)).toBeNull();
    expect((await repo.findTarget(`new-${id}`))?.secret).toBe('whsec_new-secret-value');
    expect(await repo.regenerate(randomUUID(), 'nope', 'x')).toBeNull();
  });

  it('rotation re-encrypts every secret under the active key; key usage is reported', async () => {
    const id = await job();
    await new WebhooksRepository(db, cipher1).insert(id, `rot-${id}`, 'whsec_rotate-me-secret', settings);
    const repo2 = new WebhooksRepository(db, new SecretCipher(keys, 'k2'));
    expect(await repo2.reencryptAll()).toBeGreaterThanOrEqual(1);
    expect((await repo2.secretKeyUsage()).map((u) => u.key_id)).toEqual(['k2']);
    const onlyK2 = new SecretCipher(keys.filter((k) => k.id === 'k2'), 'k2');
    expect((await new WebhooksRepository(db, onlyK2).findTarget(`rot-${id}`))?.secret).toBe('whsec_rotate-me-secret');
  });

  it('the start-up check refuses to start when the key of a webhook secret is not configured', async () => {
    const id = await job();
    await new WebhooksRepository(db, cipher1).insert(id, `chk-${id}`, 'whsec_check-secret-value', settings);
    const onlyK2 = new SecretCipher(keys.filter((k) => k.id === 'k2'), 'k2');
    const check = new SensitiveKeysCheck(new VariablesRepository(db, onlyK2), new WebhooksRepository(db, onlyK2), onlyK2);
    await expect(check.onModuleInit()).rejects.toThrow(/webhook secrets use encryption key id\(s\) that are not configured: "k1"/);
    await expect(new SensitiveKeysCheck(new VariablesRepository(db, cipher1), new WebhooksRepository(db, cipher1), new SecretCipher(keys, 'k1')).onModuleInit()).resolves.toBeUndefined();
  });
});
