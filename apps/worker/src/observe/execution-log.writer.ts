import type { Logger } from 'pino';
import type { ExecutionLogBatch, ExecutionLogsRepository } from '@vecron/db';

/** Most executions written by one statement. */
const BATCH = 500;

/**
 * Writes captured execution logs: executions that ended since the last flush are written together
 * in one statement (never one write per line, nor one per execution under load). A failed write
 * is logged and retried at the next flush, at most three times.
 */
export class ExecutionLogWriter {
  private queue: { batch: ExecutionLogBatch; tries: number }[] = [];
  private writing: Promise<void> | null = null;

  constructor(private readonly repo: ExecutionLogsRepository, private readonly logger: Logger) {}

  add(batch: ExecutionLogBatch): void {
    if (batch.lines.length > 0 || batch.dropped > 0) this.queue.push({ batch, tries: 0 });
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Writes everything queued so far. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    while (this.queue.length > 0) {
      const items = this.queue.splice(0, BATCH);
      this.writing = this.repo.insertMany(items.map((i) => i.batch)).catch((err: unknown) => {
        const retry = items.filter((i) => ++i.tries < 3);
        this.queue.unshift(...retry);
        this.logger.warn({ err: (err as Error).message, executions: items.length, dropped: items.length - retry.length }, 'execution logs could not be written');
      });
      try {
        await this.writing;
      } finally {
        this.writing = null;
      }
      if (items.some((i) => i.tries > 0)) break; // failed: next flush
    }
  }
}
