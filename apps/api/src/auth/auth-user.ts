/**
 * The caller of a request, set on `request.user` by the global AuthGuard (both AUTH_MODEs).
 * `id` is the database user's uuid, or the token subject in keycloak mode.
 */
export interface AuthUser {
  id: string;
  username: string;
  roles: string[];
  permissions: string[];
}

/** True when the user holds `permission`. */
export function hasPermission(user: AuthUser | undefined, permission: string): boolean {
  return user !== undefined && user.permissions.includes(permission);
}
