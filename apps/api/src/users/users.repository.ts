import { Injectable } from '@nestjs/common';
import { randomUUID } from 'crypto';
import { Database, type Queryable } from '@vecron/db';

/** A user row with its role names and the union of their permissions. */
export interface UserRecord {
  id: string;
  username: string;
  password_hash: string;
  enabled: boolean;
  must_change_password: boolean;
  token_version: number;
  last_login_at: Date | null;
  created_at: Date;
  updated_at: Date;
  roles: string[];
  permissions: string[];
}

export interface RoleRecord {
  id: string;
  name: string;
  permissions: string[];
  built_in: boolean;
  created_at: Date;
  updated_at: Date;
}

const USER_SELECT = `select u.id, u.username, u.password_hash, u.enabled, u.must_change_password, u.token_version,
    u.last_login_at, u.created_at, u.updated_at,
    coalesce(array(select r.name from user_roles ur join roles r on r.id = ur.role_id where ur.user_id = u.id order by r.name), '{}') as roles,
    coalesce(array(select distinct p from user_roles ur join roles r on r.id = ur.role_id, unnest(r.permissions) p where ur.user_id = u.id order by p), '{}') as permissions
  from users u`;

/** Users, roles and role assignments in the system database. */
@Injectable()
export class UsersRepository {
  constructor(private readonly db: Database) {}

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  async findById(id: string, q: Queryable = this.db): Promise<UserRecord | null> {
    const { rows } = await q.query<UserRecord>(`${USER_SELECT} where u.id = $1`, [id]);
    return rows[0] ?? null;
  }

  async findByUsername(username: string): Promise<UserRecord | null> {
    const { rows } = await this.db.query<UserRecord>(`${USER_SELECT} where lower(u.username) = lower($1)`, [username]);
    return rows[0] ?? null;
  }

  /** What the guard checks on every request: is the user still enabled, and at which token version. */
  async tokenState(id: string): Promise<{ enabled: boolean; token_version: number } | null> {
    const { rows } = await this.db.query<{ enabled: boolean; token_version: number }>('select enabled, token_version from users where id = $1', [id]);
    return rows[0] ?? null;
  }

  async list(page: number, pageSize: number): Promise<{ items: UserRecord[]; total: number }> {
    const total = await this.db.query<{ n: string }>('select count(*) as n from users');
    const { rows } = await this.db.query<UserRecord>(`${USER_SELECT} order by lower(u.username) limit $1 offset $2`, [pageSize, (page - 1) * pageSize]);
    return { items: rows, total: Number(total.rows[0]!.n) };
  }

  async count(q: Queryable = this.db): Promise<number> {
    const { rows } = await q.query<{ n: string }>('select count(*) as n from users');
    return Number(rows[0]!.n);
  }

  /** Inserts a user; null when the username is taken. */
  async insert(u: { username: string; passwordHash: string; mustChangePassword: boolean }, q: Queryable = this.db): Promise<string | null> {
    const id = randomUUID();
    const { rowCount } = await q.query(
      'insert into users (id, username, password_hash, must_change_password) values ($1, $2, $3, $4) on conflict do nothing',
      [id, u.username, u.passwordHash, u.mustChangePassword],
    );
    return rowCount === 1 ? id : null;
  }

  /**
   * First start: creates the user with the role when there is no user at all, in one statement
   * (replicas starting together create it once). Returns false when users existed.
   */
  async createInitialUser(username: string, passwordHash: string, roleName: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `with u as (
         insert into users (id, username, password_hash, must_change_password)
         select $1, $2, $3, true where not exists (select 1 from users)
         on conflict do nothing returning id)
       insert into user_roles (user_id, role_id) select u.id, r.id from u join roles r on lower(r.name) = lower($4)`,
      [randomUUID(), username, passwordHash, roleName],
    );
    return rowCount === 1;
  }

  /** Replaces a user's roles and revokes their tokens (token_version + 1). */
  async setRoles(userId: string, roleIds: string[], q: Queryable = this.db): Promise<void> {
    await q.query('delete from user_roles where user_id = $1', [userId]);
    if (roleIds.length) await q.query('insert into user_roles (user_id, role_id) select $1, unnest($2::uuid[])', [userId, roleIds]);
    await q.query('update users set token_version = token_version + 1, updated_at = now() where id = $1', [userId]);
  }

  /**
   * Changes enabled / password; disabling or resetting the password revokes the user's tokens.
   * Returns false for an unknown user.
   */
  async update(id: string, change: { enabled?: boolean; passwordHash?: string; mustChangePassword?: boolean }): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `update users set
         enabled = coalesce($2, enabled),
         password_hash = coalesce($3, password_hash),
         must_change_password = coalesce($4, must_change_password),
         token_version = token_version + case when $2::boolean is false or $3::text is not null then 1 else 0 end,
         updated_at = now()
       where id = $1`,
      [id, change.enabled ?? null, change.passwordHash ?? null, change.mustChangePassword ?? null],
    );
    return rowCount === 1;
  }

  async recordLogin(id: string): Promise<void> {
    await this.db.query('update users set last_login_at = now() where id = $1', [id]);
  }

  async remove(id: string): Promise<boolean> {
    const { rowCount } = await this.db.query('delete from users where id = $1', [id]);
    return rowCount === 1;
  }
}

/** Roles and their permissions. */
@Injectable()
export class RolesRepository {
  constructor(private readonly db: Database) {}

  async list(): Promise<RoleRecord[]> {
    const { rows } = await this.db.query<RoleRecord>('select id, name, permissions, built_in, created_at, updated_at from roles order by lower(name)');
    return rows;
  }

  async findByNames(names: string[], q: Queryable = this.db): Promise<RoleRecord[]> {
    const { rows } = await q.query<RoleRecord>(
      'select id, name, permissions, built_in, created_at, updated_at from roles where lower(name) = any($1::text[])',
      [names.map((n) => n.toLowerCase())],
    );
    return rows;
  }

  async findById(id: string): Promise<RoleRecord | null> {
    const { rows } = await this.db.query<RoleRecord>('select id, name, permissions, built_in, created_at, updated_at from roles where id = $1', [id]);
    return rows[0] ?? null;
  }

  /** Inserts a role; null when the name is taken. */
  async insert(name: string, permissions: readonly string[], builtIn = false, q: Queryable = this.db): Promise<string | null> {
    const id = randomUUID();
    const { rowCount } = await q.query('insert into roles (id, name, permissions, built_in) values ($1, $2, $3, $4) on conflict do nothing', [
      id, name, permissions, builtIn,
    ]);
    return rowCount === 1 ? id : null;
  }

  /** Sets a role's permissions and revokes the tokens of every user holding it. */
  async setPermissions(id: string, permissions: readonly string[], q: Queryable = this.db): Promise<boolean> {
    const { rowCount } = await q.query('update roles set permissions = $2, updated_at = now() where id = $1', [id, permissions]);
    await q.query('update users set token_version = token_version + 1 where id in (select user_id from user_roles where role_id = $1)', [id]);
    return rowCount === 1;
  }

  /** Keeps a built-in role's permissions in step with the code (first start and upgrades). */
  async syncBuiltIn(name: string, permissions: readonly string[], q: Queryable = this.db): Promise<void> {
    const { rows } = await q.query<{ id: string; permissions: string[] }>('select id, permissions from roles where lower(name) = lower($1)', [name]);
    const row = rows[0];
    if (!row) {
      await this.insert(name, permissions, true, q);
      return;
    }
    const same = row.permissions.length === permissions.length && permissions.every((p) => row.permissions.includes(p));
    if (!same) await this.setPermissions(row.id, permissions, q);
  }

  async remove(id: string): Promise<boolean> {
    const { rowCount } = await this.db.query('delete from roles where id = $1 and not built_in', [id]);
    return rowCount === 1;
  }
}
