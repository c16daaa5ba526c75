import { Counter, Gauge, type Registry } from 'prom-client';

/** Bull's job counts by state (`Queue.getJobCounts()`). */
export type QueueCounts = Record<string, number>;

/** The api's metrics: the executions queue by state and webhook calls by answer. */
export class ApiMetrics {
  /** Bull jobs of the executions queue by state (waiting, delayed, active, failed, paused), read at scrape time. */
  readonly queueSize: Gauge<'state'>;
  /** Answers of `POST /webhooks/{key}` by HTTP status. */
  readonly webhookCalls: Counter<'status'>;
  /** Executions started by the api (manual and webhook triggers). */
  readonly triggers: Counter<'trigger_source'>;

  constructor(registry: Registry, options: { queueCounts: () => Promise<QueueCounts> }) {
    const registers = [registry];
    this.queueSize = new Gauge({
      name: 'job_queue_size',
      help: 'Bull jobs of the executions queue by state (same value on every api replica: aggregate with max)',
      labelNames: ['state'],
      registers,
      async collect() {
        // Redis unreachable: the last values stay (the scrape still answers; /health reports Redis).
        const counts = await options.queueCounts().catch(() => null);
        if (counts) for (const state of ['waiting', 'delayed', 'active', 'failed', 'paused']) this.set({ state }, counts[state] ?? 0);
      },
    });
    this.webhookCalls = new Counter({ name: 'vecron_webhook_calls_total', help: 'Webhook calls by HTTP status of the answer', labelNames: ['status'], registers });
    this.triggers = new Counter({ name: 'vecron_api_triggers_total', help: 'Executions started by the api', labelNames: ['trigger_source'], registers });
  }
}
