import { Injectable } from '@nestjs/common';
import { Database } from '@vecron/db';

/** One audit_log row as written. */
export interface AuditEntry {
  user_id: string | null;
  username: string | null;
  roles: string[];
  /** e.g. `auth.login`, `POST /api/jobs`, `permission.denied`. */
  action: string;
  /** The resource path (ids included, secrets such as webhook keys masked). */
  resource: string | null;
  /** `success`, `failure` or `denied`. */
  result: 'success' | 'failure' | 'denied';
  status_code: number | null;
  address: string | null;
  user_agent: string | null;
  /** Extra facts, never secrets (e.g. the missing permission). */
  details?: Record<string, unknown> | null;
}

export interface AuditRecord extends AuditEntry {
  id: string;
  at: Date;
}

export interface AuditFilter {
  userId?: string;
  username?: string;
  action?: string;
  result?: string;
  resource?: string;
  from?: Date;
  to?: Date;
  page: number;
  pageSize: number;
}

@Injectable()
export class AuditRepository {
  constructor(private readonly db: Database) {}

  async insert(e: AuditEntry): Promise<void> {
    await this.db.query(
      `insert into audit_log (user_id, username, roles, action, resource, result, status_code, address, user_agent, details)
       values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
      [e.user_id, e.username, e.roles, e.action, e.resource, e.result, e.status_code, e.address, e.user_agent, e.details ?? null],
    );
  }

  async list(f: AuditFilter): Promise<{ items: AuditRecord[]; total: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown): void => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (f.userId) add('user_id = ?', f.userId);
    if (f.username) add('lower(username) = lower(?)', f.username);
    if (f.action) add('action = ?', f.action);
    if (f.result) add('result = ?', f.result);
    if (f.resource) add("resource like ? || '%'", f.resource);
    if (f.from) add('at >= ?', f.from);
    if (f.to) add('at < ?', f.to);
    const cond = where.length ? `where ${where.join(' and ')}` : '';
    const total = await this.db.query<{ n: string }>(`select count(*) as n from audit_log ${cond}`, params);
    params.push(f.pageSize, (f.page - 1) * f.pageSize);
    const { rows } = await this.db.query<AuditRecord>(
      `select id, at, user_id, username, roles, action, resource, result, status_code, address, user_agent, details
       from audit_log ${cond} order by at desc, id desc limit $${params.length - 1} offset $${params.length}`,
      params,
    );
    return { items: rows, total: Number(total.rows[0]!.n) };
  }
}
