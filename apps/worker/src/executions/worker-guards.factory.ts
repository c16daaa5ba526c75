import type { Queue } from 'bull';
import type { Logger } from 'pino';
import type { ExecutionsRepository, ExecutionWaitsRepository, JobsRepository } from '@vecron/db';
import { CircuitBreakers, encodeExecutionStop, executionJobOptions, executionStopChannel, type CircuitRedisClient, type ExecutionJobData } from '@vecron/queue';
import type { WorkerEnv } from '../config/worker.env';
import type { DefinitionCache } from './definition.cache';
import { ExecutionWaitService } from './execution-wait.service';

/** The worker's circuit breakers (state in Redis under QUEUE_PREFIX), from its env. */
export function createCircuitBreakers(redis: CircuitRedisClient, cfg: WorkerEnv, logger: Logger): CircuitBreakers {
  return new CircuitBreakers({
    redis,
    prefix: cfg.QUEUE_PREFIX,
    logger,
    settings: {
      failureThreshold: cfg.CIRCUIT_BREAKER_FAILURE_THRESHOLD,
      windowMs: cfg.CIRCUIT_BREAKER_WINDOW_MS,
      openMs: cfg.CIRCUIT_BREAKER_OPEN_MS,
      probeTimeoutMs: cfg.CIRCUIT_BREAKER_PROBE_TIMEOUT_MS,
    },
  });
}

export interface ExecutionWaitServiceParts {
  executions: ExecutionsRepository;
  waits: ExecutionWaitsRepository;
  jobs: JobsRepository;
  definitions: DefinitionCache;
  queue: Queue<ExecutionJobData>;
  logger: Logger;
  config: WorkerEnv;
}

/**
 * The overlap / max_concurrent waits, wired to the executions queue: a waiting execution is
 * delivered again as a Bull job of its own id (`{execution}:wake:{ended}` or
 * `{execution}:recheck:{time}`), and stops go out on the same Redis channel as the api's.
 */
export function createExecutionWaitService(p: ExecutionWaitServiceParts): ExecutionWaitService {
  const channel = executionStopChannel(p.config.QUEUE_PREFIX);
  return new ExecutionWaitService({
    executions: p.executions,
    waits: p.waits,
    jobs: p.jobs,
    definition: (jobId, version) => p.definitions.get(jobId, version),
    enqueue: async (executionId, jobId, key, delayMs) => {
      await p.queue.add({ execution_id: executionId, job_id: jobId }, { ...executionJobOptions(executionId, delayMs), jobId: key });
    },
    publishStop: async (request) => {
      await p.queue.client.publish(
        channel,
        encodeExecutionStop({
          execution_id: request.execution_id,
          requested_at: request.requested_at.toISOString(),
          requested_by: request.requested_by,
          requested_by_user_id: request.requested_by_user_id,
        }),
      );
    },
    recheckMs: p.config.WORKER_WAIT_RECHECK_MS,
    logger: p.logger,
  });
}
