import type { Migration } from './migration';

/**
 * Users, roles and the audit log (issue 13). Roles hold their permissions; a user has roles
 * through user_roles. `token_version` is copied into every token the api issues and checked on
 * each request: raising it (role change, disable, password reset) revokes the user's tokens at once.
 * Jobs and executions record who created, changed or triggered them (a user id: the database
 * user's uuid, or the Keycloak subject in keycloak mode — hence text).
 */
export const authMigration: Migration = {
  version: 7,
  name: 'auth',
  sql: `
create table roles (
  id uuid primary key,
  name text not null,
  permissions text[] not null default '{}',
  built_in boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index roles_name_idx on roles (lower(name));

create table users (
  id uuid primary key,
  username text not null,
  password_hash text not null,
  enabled boolean not null default true,
  must_change_password boolean not null default false,
  token_version integer not null default 1,
  last_login_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index users_username_idx on users (lower(username));

create table user_roles (
  user_id uuid not null references users (id) on delete cascade,
  role_id uuid not null references roles (id) on delete cascade,
  primary key (user_id, role_id)
);

create table audit_log (
  id bigserial primary key,
  at timestamptz not null default now(),
  user_id text,
  username text,
  roles text[] not null default '{}',
  action text not null,
  resource text,
  result text not null,
  status_code integer,
  address text,
  user_agent text,
  details jsonb
);
create index audit_log_at_idx on audit_log (at desc, id desc);
create index audit_log_user_idx on audit_log (user_id, at desc);
create index audit_log_action_idx on audit_log (action, at desc);

alter table jobs add column created_by text, add column updated_by text;
alter table job_executions add column triggered_by text;
create index job_executions_triggered_by_idx on job_executions (triggered_by, created_at desc) where triggered_by is not null;
`,
};
