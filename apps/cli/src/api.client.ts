import { CliError, EXIT, exitCodeForStatus } from './cli.errors';

/** One answer of the REST API. */
export interface ApiAnswer<T> {
  status: number;
  body: T;
  headers: Headers;
}

/** The REST API over fetch, with the token of `vecron login` as `Authorization: Bearer`. */
export class VecronApi {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  async request<T>(method: string, path: string, body?: unknown, options: { form?: FormData; allow?: number[] } = {}): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers['authorization'] = `Bearer ${this.token}`;
    let payload: string | FormData | undefined;
    if (options.form) payload = options.form;
    else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl.replace(/\/+$/, '')}${path}`, { method, headers, body: payload });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      throw new CliError(`cannot reach the vecron API at ${this.baseUrl}${cause ? ` (${cause})` : ''}`, EXIT.UNAVAILABLE);
    }
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    if (res.status >= 300 && !(options.allow ?? []).includes(res.status)) {
      const b = (parsed ?? {}) as { message?: unknown; details?: { path: string; message: string }[] };
      const message = typeof b.message === 'string' ? b.message : `HTTP ${res.status}`;
      const hint = res.status === 401 ? ' (run `vecron login`)' : '';
      throw new CliError(`${method} ${path}: ${res.status} ${message}${hint}`, exitCodeForStatus(res.status), Array.isArray(b.details) ? b.details : []);
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await this.request<T>(method, path, body)).body;
  }
}
