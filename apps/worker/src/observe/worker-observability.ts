import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import type { Queue } from 'bull';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import { AlertStateRepository, Database, ExecutionLogsRepository } from '@vecron/db';
import type { AlertChannel } from '@vecron/definitions';
import type { AnyStepExecutor } from '@vecron/executors';
import { EXECUTIONS_QUEUE } from '@vecron/queue';
import { createMetricsRegistry, startMetricsServer, WorkerMetrics, type MetricsServer, type Registry } from '@vecron/telemetry';
import { AlertSender } from '../alerts/alert-channels';
import { AlertService } from '../alerts/alert.service';
import { WORKER_CONFIG, type WorkerEnv } from '../config/worker.env';
import { EXECUTION_OBSERVER } from './execution-observer';
import { ExecutionLogWriter } from './execution-log.writer';
import { observeExecutors } from './observed-executors';
import { WorkerObserver } from './worker-observer';

/** Injection token of the worker's prom-client Registry. */
export const WORKER_METRICS_REGISTRY = Symbol('WORKER_METRICS_REGISTRY');

/** The global alert channels the ALERT_* variables configure. */
export function globalAlertChannels(config: WorkerEnv): AlertChannel[] {
  const channels: AlertChannel[] = [];
  if (config.ALERT_WEBHOOK_URL) channels.push({ type: 'webhook', url: config.ALERT_WEBHOOK_URL });
  if (config.ALERT_SLACK_WEBHOOK_URL) channels.push({ type: 'slack', url: config.ALERT_SLACK_WEBHOOK_URL });
  if (config.ALERT_EMAIL_TO) channels.push({ type: 'email', to: config.ALERT_EMAIL_TO.split(',').map((s) => s.trim()) });
  return channels;
}

/** The alert service the ALERT_* variables configure, and its sender (closed at shutdown). */
export function createAlertService(
  config: WorkerEnv,
  states: AlertStateRepository,
  logger: Logger,
  metrics: WorkerMetrics,
): { alerts: AlertService; sender: AlertSender } {
  const sender = new AlertSender({ webhookSecret: config.ALERT_WEBHOOK_SECRET, smtpUrl: config.ALERT_SMTP_URL, emailFrom: config.ALERT_EMAIL_FROM, timeoutMs: config.ALERT_TIMEOUT_MS });
  const alerts = new AlertService(
    states,
    sender,
    {
      afterConsecutiveFailures: config.ALERT_AFTER_CONSECUTIVE_FAILURES,
      reminderIntervalMinutes: config.ALERT_REMINDER_INTERVAL_MINUTES,
      channels: globalAlertChannels(config),
      executionUrl: config.ALERT_EXECUTION_URL,
      retryAttempts: config.ALERT_RETRY_ATTEMPTS,
      retryBaseMs: config.ALERT_RETRY_BASE_MS,
    },
    logger,
    metrics,
  );
  return { alerts, sender };
}

/**
 * Starts the worker's observability once its stores are up: connects the observer to the log
 * writer and the alert service, flushes them every OBSERVE_FLUSH_MS (the runner's `idle()` flushes
 * at shutdown), and serves `/metrics` and `/health` on WORKER_METRICS_PORT when set.
 */
@Injectable()
export class WorkerObservability implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private server?: MetricsServer;
  private sender?: AlertSender;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerEnv,
    @Inject(EXECUTION_OBSERVER) private readonly observer: WorkerObserver,
    @Inject(WORKER_METRICS_REGISTRY) private readonly registry: Registry,
    private readonly db: Database,
    @InjectQueue(EXECUTIONS_QUEUE) private readonly queue: Queue,
    @InjectPinoLogger(WorkerObservability.name) private readonly logger: PinoLogger,
  ) {}

  get metricsPort(): number | undefined {
    return this.server?.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    const config = this.config;
    const log = this.logger.logger;
    const { alerts, sender } = createAlertService(config, new AlertStateRepository(this.db), log, this.observer.metrics);
    this.sender = sender;
    this.observer.connect({ logs: new ExecutionLogWriter(new ExecutionLogsRepository(this.db), log), alerts });
    this.timer = setInterval(() => {
      this.observer.tick().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'observability flush failed'));
    }, config.OBSERVE_FLUSH_MS);
    this.timer.unref();
    if (config.WORKER_METRICS_PORT > 0) {
      this.server = await startMetricsServer({
        registry: this.registry,
        port: config.WORKER_METRICS_PORT,
        host: config.METRICS_HOST,
        health: async () => {
          const [postgresql, redis] = await Promise.allSettled([this.db.ping(), this.queue.client.ping()]);
          const ok = postgresql.status === 'fulfilled' && redis.status === 'fulfilled';
          return { ok, body: { status: ok ? 'ok' : 'degraded', components: { postgresql: postgresql.status === 'fulfilled' ? 'up' : 'down', redis: redis.status === 'fulfilled' ? 'up' : 'down' } } };
        },
      });
      log.info({ url: `http://${config.METRICS_HOST}:${this.server.port}/metrics` }, 'worker metrics listening');
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.server?.close();
    this.sender?.close();
  }
}

/** The worker's metrics registry and observer, made when the module is defined (the executors are wrapped then). */
export interface WorkerObservabilityParts {
  registry: Registry;
  observer: WorkerObserver;
  /** Providers for WorkerModule: the registry, the observer (EXECUTION_OBSERVER) and WorkerObservability. */
  providers: Provider[];
  /** The executors, each attempt observed (span, duration, retries). */
  observeExecutors(executors: readonly AnyStepExecutor[]): AnyStepExecutor[];
}

export function createWorkerObservability(config: WorkerEnv, logger: Logger): WorkerObservabilityParts {
  const registry = createMetricsRegistry();
  const holder: { observer?: WorkerObserver } = {};
  const metrics = new WorkerMetrics(registry, { slots: config.WORKER_CONCURRENCY, busy: () => holder.observer?.activeCount ?? 0 });
  const observer = new WorkerObserver({ metrics, maxLogLines: config.EXECUTION_LOG_MAX_LINES, logger });
  holder.observer = observer;
  return {
    registry,
    observer,
    observeExecutors: (executors) => observeExecutors(executors, observer),
    providers: [{ provide: WORKER_METRICS_REGISTRY, useValue: registry }, { provide: EXECUTION_OBSERVER, useValue: observer }, WorkerObservability],
  };
}
