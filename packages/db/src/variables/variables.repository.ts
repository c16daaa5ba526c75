import type { Database, Queryable } from '../database';
import type { SecretCipher } from './secret-cipher';

/** A variable row as stored: sensitive values only encrypted. */
export interface VariableRecord {
  id: string;
  name: string;
  value: string | null;
  encrypted_value: string | null;
  key_id: string | null;
  is_sensitive: boolean;
  job_id: string | null;
  created_at: Date;
  updated_at: Date;
}

/** A variable as the worker's claim reads it: sensitive values still encrypted. */
export type StoredVariable = Pick<VariableRecord, 'name' | 'value' | 'encrypted_value' | 'key_id' | 'is_sensitive'>;

export interface VariableInput {
  name: string;
  value: string;
  is_sensitive: boolean;
  job_id: string | null;
}

/** The variables an execution sees: clear values for templates, the secret values to mask. */
export interface ResolvedVariables {
  /** Clear values, job-scoped over global. */
  values: Record<string, string>;
  /** Names of the sensitive ones. */
  sensitive: Set<string>;
}

export interface VariableListFilter {
  scope?: 'global' | 'job';
  jobId?: string;
  /** Leave sensitive variables out (callers who may not see them). */
  excludeSensitive?: boolean;
  page: number;
  pageSize: number;
}

/** Raised when a variable with the same name already exists in the same scope. */
export class VariableNameTakenError extends Error {
  constructor(name: string, jobId: string | null) {
    super(`a ${jobId ? `variable of job ${jobId}` : 'global variable'} named "${name}" already exists`);
    this.name = 'VariableNameTakenError';
  }
}

const COLUMNS = 'id, name, value, encrypted_value, key_id, is_sensitive, job_id, created_at, updated_at';
const UNIQUE_VIOLATION = '23505';

/** Global and job-scoped variables; sensitive values are encrypted with the SecretCipher before they are stored. */
export class VariablesRepository {
  constructor(private readonly db: Database, private readonly cipher: SecretCipher) {}

  private columns(input: Pick<VariableInput, 'value' | 'is_sensitive'>): { value: string | null; encrypted: string | null; keyId: string | null } {
    if (!input.is_sensitive) return { value: input.value, encrypted: null, keyId: null };
    const { keyId, ciphertext } = this.cipher.encrypt(input.value);
    return { value: null, encrypted: ciphertext, keyId };
  }

  async insert(id: string, input: VariableInput): Promise<VariableRecord> {
    const c = this.columns(input);
    try {
      const { rows } = await this.db.query<VariableRecord>(
        `insert into variables (id, name, value, encrypted_value, key_id, is_sensitive, job_id) values ($1,$2,$3,$4,$5,$6,$7) returning ${COLUMNS}`,
        [id, input.name, c.value, c.encrypted, c.keyId, input.is_sensitive, input.job_id],
      );
      return rows[0]!;
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw new VariableNameTakenError(input.name, input.job_id);
      throw err;
    }
  }

  async update(id: string, input: VariableInput): Promise<VariableRecord | null> {
    const c = this.columns(input);
    try {
      const { rows } = await this.db.query<VariableRecord>(
        `update variables set name=$2, value=$3, encrypted_value=$4, key_id=$5, is_sensitive=$6, updated_at=now() where id=$1 returning ${COLUMNS}`,
        [id, input.name, c.value, c.encrypted, c.keyId, input.is_sensitive],
      );
      return rows[0] ?? null;
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw new VariableNameTakenError(input.name, input.job_id);
      throw err;
    }
  }

  /** Renames a variable, keeping its (possibly encrypted) value. */
  async rename(id: string, name: string, jobId: string | null): Promise<VariableRecord | null> {
    try {
      const { rows } = await this.db.query<VariableRecord>(`update variables set name=$2, updated_at=now() where id=$1 returning ${COLUMNS}`, [id, name]);
      return rows[0] ?? null;
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw new VariableNameTakenError(name, jobId);
      throw err;
    }
  }

  async findById(id: string): Promise<VariableRecord | null> {
    const { rows } = await this.db.query<VariableRecord>(`select ${COLUMNS} from variables where id=$1`, [id]);
    return rows[0] ?? null;
  }

  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.db.query('delete from variables where id=$1', [id]);
    return (rowCount ?? 0) > 0;
  }

  async list(f: VariableListFilter): Promise<{ items: VariableRecord[]; total: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.scope === 'global') where.push('job_id is null');
    if (f.scope === 'job') where.push('job_id is not null');
    if (f.excludeSensitive) where.push('not is_sensitive');
    if (f.jobId) {
      params.push(f.jobId);
      where.push(`job_id = $${params.length}`);
    }
    const cond = where.length ? `where ${where.join(' and ')}` : '';
    const total = await this.db.query<{ n: string }>(`select count(*) as n from variables ${cond}`, params);
    params.push(f.pageSize, (f.page - 1) * f.pageSize);
    const { rows } = await this.db.query<VariableRecord>(
      `select ${COLUMNS} from variables ${cond} order by job_id nulls first, name limit $${params.length - 1} offset $${params.length}`,
      params,
    );
    return { items: rows, total: Number(total.rows[0]!.n) };
  }

  /** Global variables, overridden by the job's own of the same name, decrypted (read once per execution). */
  async resolveForJob(jobId: string, q: Queryable = this.db): Promise<ResolvedVariables> {
    const { rows } = await q.query<VariableRecord>(
      `select ${COLUMNS} from variables where job_id is null or job_id = $1 order by (job_id is not null), name`,
      [jobId],
    );
    return this.resolve(rows);
  }

  /**
   * Decrypts rows read in scope order (global first, then the job's own, which win).
   * Throws SecretCipherError when a sensitive value's key is not configured.
   */
  resolve(rows: readonly StoredVariable[]): ResolvedVariables {
    const values: Record<string, string> = {};
    const sensitive = new Set<string>();
    for (const r of rows) {
      values[r.name] = r.is_sensitive ? this.cipher.decrypt(r.key_id!, r.encrypted_value!) : r.value!;
      if (r.is_sensitive) sensitive.add(r.name);
      else sensitive.delete(r.name);
    }
    return { values, sensitive };
  }

  /** Key ids in use by sensitive values, with counts (start-up check and rotation). */
  async sensitiveKeyUsage(q: Queryable = this.db): Promise<{ key_id: string; count: number }[]> {
    const { rows } = await q.query<{ key_id: string; count: string }>(
      `select key_id, count(*) as count from variables where is_sensitive group by key_id order by key_id`,
    );
    return rows.map((r) => ({ key_id: r.key_id, count: Number(r.count) }));
  }

  /**
   * Start-up check: every sensitive value must be decryptable with a configured key.
   * Throws a message naming what is missing.
   */
  async assertKeysAvailable(): Promise<void> {
    const usage = await this.sensitiveKeyUsage();
    const total = usage.reduce((n, u) => n + u.count, 0);
    if (total === 0) return;
    if (this.cipher.activeKey === null) {
      throw new Error(`${total} sensitive variable(s) are stored but no encryption key is configured: set VARIABLES_ENCRYPTION_KEYS and VARIABLES_ENCRYPTION_KEY_ID`);
    }
    const missing = usage.filter((u) => !this.cipher.hasKey(u.key_id));
    if (missing.length) {
      throw new Error(`sensitive variables use encryption key id(s) that are not configured: ${missing.map((m) => `"${m.key_id}" (${m.count})`).join(', ')}`);
    }
  }

  /** Re-encrypts every sensitive value not under the active key (key rotation). Returns how many changed. */
  async reencryptAll(): Promise<number> {
    const active = this.cipher.activeKey;
    if (active === null) throw new Error('no active encryption key (VARIABLES_ENCRYPTION_KEY_ID)');
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<VariableRecord>(
        `select ${COLUMNS} from variables where is_sensitive and key_id <> $1 for update`,
        [active],
      );
      for (const r of rows) {
        const { keyId, ciphertext } = this.cipher.encrypt(this.cipher.decrypt(r.key_id!, r.encrypted_value!));
        await tx.query('update variables set encrypted_value=$2, key_id=$3, updated_at=now() where id=$1', [r.id, ciphertext, keyId]);
      }
      return rows.length;
    });
  }
}
