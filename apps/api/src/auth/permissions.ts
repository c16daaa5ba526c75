/** Every permission a role can grant (issue 13). A route declares the ones it needs with @RequirePermissions. */
export const PERMISSIONS = [
  'job:read', 'job:write', 'job:execute', 'job:delete', 'job:import', 'job:export',
  'execution:read', 'execution:stop',
  'variable:read', 'variable:write', 'variable:encrypt',
  'webhook:read', 'webhook:write',
  'user:manage', 'role:assign',
  'system:config', 'system:audit',
  'dashboard:admin', 'dashboard:user',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

const KNOWN = new Set<string>(PERMISSIONS);

export function isPermission(value: string): value is Permission {
  return KNOWN.has(value);
}

/** The roles a first start creates. `Admin` always has every permission (kept in step at each start). */
export const ADMIN_ROLE = 'Admin';
export const REGULAR_USER_ROLE = 'Regular User';

export const BUILT_IN_ROLES: ReadonlyArray<{ name: string; permissions: readonly Permission[] }> = [
  { name: ADMIN_ROLE, permissions: PERMISSIONS },
  { name: REGULAR_USER_ROLE, permissions: ['job:read', 'job:execute', 'execution:read', 'variable:read', 'dashboard:user'] },
];

/**
 * Who sees every execution: a user allowed to change jobs (job authors and operators). Anyone
 * else with `execution:read` sees only the executions they triggered.
 */
export const SEE_ALL_EXECUTIONS: Permission = 'job:write';

/** Who sees (and may create or change) sensitive variables. */
export const SEE_SENSITIVE_VARIABLES: Permission = 'variable:encrypt';
