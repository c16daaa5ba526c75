import type { Database, Queryable } from '../database';
import type { SecretCipher } from '../variables/secret-cipher';

/** The settings of a job's webhook trigger that a request needs (copied from the definition). */
export interface WebhookSettings {
  rate_limit_max: number | null;
  rate_limit_window_seconds: number | null;
  /** Lower-case header names forwarded to `webhook.headers`; null = all but the credential headers. */
  forward_headers: string[] | null;
}

/** A webhook row as stored (the secret only encrypted). */
export interface WebhookRecord extends WebhookSettings {
  job_id: string;
  url_key: string;
  encrypted_secret: string;
  key_id: string;
  created_at: Date;
  updated_at: Date;
  issued_at: Date;
}

/** What a request to /webhooks/{key} needs: the webhook, its decrypted secret and the job's state. */
export interface WebhookTarget extends WebhookSettings {
  job_id: string;
  job_name: string;
  job_enabled: boolean;
  webhook_enabled: boolean;
  allow_concurrent: boolean;
  current_version: number;
  secret: string;
}

/** A row of the webhook list: the webhook and its job, no secret. */
export interface WebhookListItem extends WebhookSettings {
  job_id: string;
  job_name: string;
  job_enabled: boolean;
  webhook_enabled: boolean;
  url_key: string;
  created_at: Date;
  issued_at: Date;
}

const COLUMNS = `job_id, url_key, encrypted_secret, key_id, rate_limit_max, rate_limit_window_seconds, forward_headers, created_at, updated_at, issued_at`;

/**
 * Webhook keys and secrets. Secrets are encrypted with the SecretCipher of the sensitive
 * variables (same keys, same rotation); they are decrypted only to check a signature.
 */
export class WebhooksRepository {
  constructor(private readonly db: Database, private readonly cipher: SecretCipher) {}

  /** Creates the job's webhook with a new key and secret (throws SecretCipherError without a key). */
  async insert(jobId: string, urlKey: string, secret: string, settings: WebhookSettings, q: Queryable = this.db): Promise<WebhookRecord> {
    const { keyId, ciphertext } = this.cipher.encrypt(secret);
    const { rows } = await q.query<WebhookRecord>(
      `insert into job_webhooks (job_id, url_key, encrypted_secret, key_id, rate_limit_max, rate_limit_window_seconds, forward_headers)
       values ($1,$2,$3,$4,$5,$6,$7) returning ${COLUMNS}`,
      [jobId, urlKey, ciphertext, keyId, settings.rate_limit_max, settings.rate_limit_window_seconds, toJson(settings.forward_headers)],
    );
    return rows[0]!;
  }

  /** Updates the settings; replaces the secret when one is given (the key stays). Null when the job has no webhook. */
  async updateSettings(jobId: string, settings: WebhookSettings, secret: string | null, q: Queryable = this.db): Promise<WebhookRecord | null> {
    const enc = secret === null ? null : this.cipher.encrypt(secret);
    const { rows } = await q.query<WebhookRecord>(
      `update job_webhooks set rate_limit_max=$2, rate_limit_window_seconds=$3, forward_headers=$4,
         encrypted_secret=coalesce($5, encrypted_secret), key_id=coalesce($6, key_id), updated_at=now()
       where job_id=$1 returning ${COLUMNS}`,
      [jobId, settings.rate_limit_max, settings.rate_limit_window_seconds, toJson(settings.forward_headers), enc?.ciphertext ?? null, enc?.keyId ?? null],
    );
    return rows[0] ?? null;
  }

  /** Replaces key and secret at once: the old URL stops matching when this commits. Null when the job has no webhook. */
  async regenerate(jobId: string, urlKey: string, secret: string, q: Queryable = this.db): Promise<WebhookRecord | null> {
    const { keyId, ciphertext } = this.cipher.encrypt(secret);
    const { rows } = await q.query<WebhookRecord>(
      `update job_webhooks w set url_key=$2, encrypted_secret=$3, key_id=$4, issued_at=now(), updated_at=now()
       from jobs j where w.job_id=$1 and j.id=w.job_id and j.deleted_at is null returning ${COLUMNS.split(', ').map((c) => `w.${c}`).join(', ')}`,
      [jobId, urlKey, ciphertext, keyId],
    );
    return rows[0] ?? null;
  }

  async findByJobId(jobId: string, q: Queryable = this.db): Promise<WebhookRecord | null> {
    const { rows } = await q.query<WebhookRecord>(`select ${COLUMNS} from job_webhooks where job_id=$1`, [jobId]);
    return rows[0] ?? null;
  }

  /** The webhook a URL key names, with its job and clear secret; null for an unknown key or a deleted job. */
  async findTarget(urlKey: string): Promise<WebhookTarget | null> {
    const { rows } = await this.db.query<WebhookRecord & { job_name: string; job_enabled: boolean; webhook_enabled: boolean; allow_concurrent: boolean; current_version: number }>(
      `select w.job_id, w.url_key, w.encrypted_secret, w.key_id, w.rate_limit_max, w.rate_limit_window_seconds, w.forward_headers,
         j.name as job_name, j.enabled as job_enabled, j.webhook_enabled, j.allow_concurrent, j.current_version
       from job_webhooks w join jobs j on j.id = w.job_id
       where w.url_key=$1 and j.deleted_at is null`,
      [urlKey],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      job_id: r.job_id, job_name: r.job_name, job_enabled: r.job_enabled, webhook_enabled: r.webhook_enabled,
      allow_concurrent: r.allow_concurrent, current_version: r.current_version,
      rate_limit_max: r.rate_limit_max, rate_limit_window_seconds: r.rate_limit_window_seconds, forward_headers: r.forward_headers,
      secret: this.cipher.decrypt(r.key_id, r.encrypted_secret),
    };
  }

  /** Webhooks of live jobs, newest job first. */
  async list(page: number, pageSize: number): Promise<{ items: WebhookListItem[]; total: number }> {
    const total = await this.db.query<{ n: string }>(
      `select count(*) as n from job_webhooks w join jobs j on j.id = w.job_id where j.deleted_at is null`,
    );
    const { rows } = await this.db.query<WebhookListItem>(
      `select w.job_id, j.name as job_name, j.enabled as job_enabled, j.webhook_enabled, w.url_key, w.rate_limit_max,
         w.rate_limit_window_seconds, w.forward_headers, w.created_at, w.issued_at
       from job_webhooks w join jobs j on j.id = w.job_id where j.deleted_at is null
       order by j.created_at desc, j.id limit $1 offset $2`,
      [pageSize, (page - 1) * pageSize],
    );
    return { items: rows, total: Number(total.rows[0]!.n) };
  }

  /** Key ids in use by webhook secrets, with counts (start-up check). */
  async secretKeyUsage(q: Queryable = this.db): Promise<{ key_id: string; count: number }[]> {
    const { rows } = await q.query<{ key_id: string; count: string }>(
      `select key_id, count(*) as count from job_webhooks group by key_id order by key_id`,
    );
    return rows.map((r) => ({ key_id: r.key_id, count: Number(r.count) }));
  }

  /** Re-encrypts every secret not under the active key (key rotation). Returns how many changed. */
  async reencryptAll(): Promise<number> {
    const active = this.cipher.activeKey;
    if (active === null) throw new Error('no active encryption key (VARIABLES_ENCRYPTION_KEY_ID)');
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<WebhookRecord>(`select ${COLUMNS} from job_webhooks where key_id <> $1 for update`, [active]);
      for (const r of rows) {
        const { keyId, ciphertext } = this.cipher.encrypt(this.cipher.decrypt(r.key_id, r.encrypted_secret));
        await tx.query('update job_webhooks set encrypted_secret=$2, key_id=$3, updated_at=now() where job_id=$1', [r.job_id, ciphertext, keyId]);
      }
      return rows.length;
    });
  }
}

function toJson(v: string[] | null): string | null {
  return v === null ? null : JSON.stringify(v);
}
