import type { ServerResponse } from 'http';
import { HttpFixture, json, type RecordedRequest } from './http-fixture';

/**
 * An HTTP target that honours `Idempotency-Key` the way real APIs do: the first request with a
 * key is served (its work takes `workMs`), a later one with a key already served gets the same
 * answer again without being served (a replay). Like most targets it only knows a key once
 * its work is done, so two requests with one key in flight at the same time are both served:
 * `servedTwice` then shows that the system ran a step twice at once.
 */
export class IdempotentTarget {
  readonly fixture = new HttpFixture();
  /** Times each key was served (its work done), by key. */
  readonly served = new Map<string, number>();
  /** Repeated requests answered from a key already served. */
  replays = 0;
  /** Requests without an Idempotency-Key header. */
  withoutKey = 0;

  constructor(
    readonly paths: string[],
    private readonly workMs = 30,
  ) {}

  get url(): string {
    return this.fixture.url;
  }

  async start(): Promise<this> {
    for (const p of this.paths) this.fixture.route(`POST ${p}`, (req, res) => this.handle(req, res));
    await this.fixture.start();
    return this;
  }

  stop(): Promise<void> {
    return this.fixture.stop();
  }

  /** Keys served more than once. */
  servedTwice(): string[] {
    return [...this.served].filter(([, n]) => n > 1).map(([k]) => k);
  }

  private handle(req: RecordedRequest, res: ServerResponse): void {
    const raw = req.headers['idempotency-key'];
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (!key) {
      this.withoutKey++;
      json(res, 400, { error: 'Idempotency-Key required' });
      return;
    }
    if (this.served.has(key)) {
      this.replays++;
      json(res, 200, { key, replayed: true });
      return;
    }
    setTimeout(() => {
      this.served.set(key, (this.served.get(key) ?? 0) + 1);
      json(res, 200, { key, replayed: false });
    }, this.workMs);
  }
}
