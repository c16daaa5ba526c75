/** Minimal JSON client of the REST API for system tests. */
export class ApiClient {
  constructor(readonly baseUrl: string) {}

  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
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
