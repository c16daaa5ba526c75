/** No session (or an expired one): the page answers with a redirect to the login page. */
export class DashboardSignInRequired extends Error {
  constructor(readonly expired: boolean) {
    super('sign-in required');
  }
}

/** Signed in, but the role lacks the page's permission: a 403 page. */
export class DashboardForbidden extends Error {
  constructor(readonly permission: string) {
    super(`missing permission ${permission}`);
  }
}

/** A form without the CSRF token of the session. */
export class DashboardCsrfError extends Error {
  constructor() {
    super('invalid CSRF token');
  }
}
