/** A valid job definition with a cron schedule and one HTTP step; `overrides` replace top-level fields. */
export function cronJob(name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    description: 'test job',
    schedule: { type: 'cron', expression: '0 0 1 * * ?', timezone: 'Asia/Ho_Chi_Minh' },
    triggers: { scheduled: true, manual: true },
    steps: [{ id: 'fetch', name: 'Fetch', type: 'http', condition: null, config: { method: 'GET', url: 'http://127.0.0.1:9/x' } }],
    ...overrides,
  };
}

/** A unique suffix so that tests sharing the test database never see each other's rows. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
