import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Queue } from 'bull';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { Database, ExecutionsRepository } from '@vecron/db';
import { EXECUTIONS_QUEUE, type ExecutionJobData } from '@vecron/queue';
import { withTraceCarrier } from '@vecron/telemetry';
import { WORKER_CONFIG, type WorkerEnv } from '../config/worker.env';
import { ExecutionRunner } from './execution-runner.service';

/**
 * Takes executions from the Bull queue with the configured concurrency. On shutdown it stops
 * taking work, lets in-flight executions finish within the grace period, then aborts the rest
 * (they end `failed`, never left `running`).
 */
@Injectable()
export class ExecutionProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private heartbeat?: NodeJS.Timeout;

  constructor(
    @InjectQueue(EXECUTIONS_QUEUE) private readonly queue: Queue<ExecutionJobData>,
    private readonly runner: ExecutionRunner,
    private readonly db: Database,
    private readonly executions: ExecutionsRepository,
    @Inject(WORKER_CONFIG) private readonly config: WorkerEnv,
    @InjectPinoLogger(ExecutionProcessor.name) private readonly logger: PinoLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Connections ready before the first burst (pg would otherwise open them one by one under
    // load), each with the claim statements prepared (a claim is the first thing after due).
    await this.db.warmUp(Math.min(this.config.WORKER_CONCURRENCY, 50), (client) =>
      this.executions.prepareClaims(client).catch((err: unknown) => this.logger.warn({ err: (err as Error).message }, 'claim statements not prepared ahead')),
    );
    this.heartbeat = setInterval(() => {
      this.runner.heartbeat().catch((err: unknown) => this.logger.warn({ err: (err as Error).message }, 'heartbeat failed'));
    }, this.config.WORKER_HEARTBEAT_MS);
    void this.queue.process(this.config.WORKER_CONCURRENCY, async (job) => {
      try {
        // The trigger's trace context (from the api) is the parent of the execution's span.
        await withTraceCarrier(job.data.trace, () => (job.data.resume
            ? this.runner.resume(job.data.execution_id, job.data.next_attempt_at)
            : this.runner.run(job.data.execution_id, { jobId: job.data.job_id, definitionVersion: job.data.definition_version, dueAt: job.data.due_at })));
      } catch (err) {
        // The claim or the finish could not reach the system database: Bull records the failure.
        this.logger.error({ execution_id: job.data.execution_id, err }, 'execution delivery failed');
        throw err;
      }
    });
    this.logger.info({ concurrency: this.config.WORKER_CONCURRENCY, worker_id: this.runner.workerId }, 'worker taking executions');
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.logger.info({ in_flight: this.runner.activeCount }, 'shutting down: no new executions');
    await this.queue.pause(true, true);
    const grace = this.config.WORKER_SHUTDOWN_GRACE_MS;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      this.runner.idle().then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), grace))),
    ]);
    clearTimeout(timer);
    if (!finished) {
      this.logger.warn({ in_flight: this.runner.activeCount, grace_ms: grace }, 'grace period over: aborting in-flight executions');
      this.runner.abortAll('shutdown', `worker shut down after a ${grace} ms grace period`);
      await this.runner.idle();
    }
    await this.queue.close();
    clearInterval(this.heartbeat);
    this.logger.info({ worker_id: this.runner.workerId }, 'worker stopped');
  }
}
