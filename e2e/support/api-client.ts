/** Who an ApiClient logs in as (default: the administrator a first start creates). */
export interface ApiCredentials {
  username: string;
  password: string;
}

export const DEFAULT_ADMIN: ApiCredentials = { username: 'admin', password: 'admin123' };

/**
 * Minimal JSON client of the REST API for system tests. It logs in lazily, once per client
 * (POST /api/auth/login), and sends `Authorization: Bearer <token>` on every call.
 */
export class ApiClient {
  private login: Promise<string> | null = null;

  constructor(readonly baseUrl: string, readonly credentials: ApiCredentials = DEFAULT_ADMIN) {}

  /** The access token of this client's user (logs in on first use). */
  token(): Promise<string> {
    this.login ??= (async () => {
      const res = await fetch(`${this.baseUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(this.credentials),
      });
      const body = (await res.json()) as { access_token?: string };
      if (res.status !== 200 || !body.access_token) throw new Error(`login as ${this.credentials.username} → ${res.status}: ${JSON.stringify(body)}`);
      return body.access_token;
    })().catch((err: unknown) => {
      this.login = null;
      throw err;
    });
    return this.login;
  }

  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = { authorization: `Bearer ${await this.token()}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }

  async ok<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.call<T>(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  }

  createJob(def: Record<string, unknown>): Promise<{ id: string; next_run_at: string | null }> {
    return this.ok('POST', '/api/jobs', def);
  }

  executions(jobId: string, extra = ''): Promise<{ items: Execution[]; total: number }> {
    return this.ok('GET', `/api/executions?job_id=${jobId}&page_size=200${extra}`);
  }

  /** A request whose body or answer is not JSON (multipart uploads, ZIP downloads): the raw Response. */
  async raw(method: string, path: string, body?: string | FormData, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${await this.token()}`, ...headers }, body });
  }
}

export interface Execution {
  id: string;
  job_id: string;
  status: string;
  trigger_source: string;
  scheduled_for: string | null;
  started_at: string | null;
  completed_at: string | null;
  error: { message: string; step_id?: string } | null;
  steps?: { step_id: string; status: string }[];
}

/** GET /health. */
export interface HealthReportBody {
  status: 'ok' | 'degraded';
  components: Record<'postgresql' | 'redis' | 's3', { status: 'up' | 'down'; error?: string }>;
  recovery: Record<string, number> | null;
}
