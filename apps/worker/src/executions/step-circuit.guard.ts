import type { Logger } from 'pino';
import type { CircuitBreakers, CircuitPermit } from '@vecron/queue';
import { CircuitOpenError, isTargetFailure, StepAbortedError, type ExecutorRegistry } from '@vecron/executors';

/**
 * Runs a step attempt through the circuit breaker of its target (the executor's
 * `circuitTarget`), shared by every worker through Redis. An open breaker fails the attempt at
 * once with CircuitOpenError (`circuit open for <target>`, retryable). Only failures that say
 * the target is unhealthy count (`isTargetFailure`); an aborted step teaches nothing; any other
 * end means the target answered. If Redis cannot be reached the step runs without a breaker
 * (a warning is logged): breakers protect targets, they must not stop work on their own.
 */
export class StepCircuitGuard {
  constructor(
    private readonly breakers: CircuitBreakers,
    private readonly registry: ExecutorRegistry,
  ) {}

  async run<T>(type: string, config: unknown, log: Logger, call: () => Promise<T>): Promise<T> {
    const target = this.registry.circuitTarget(type, config);
    if (!target) return call();
    let permit: CircuitPermit;
    try {
      const r = await this.breakers.acquire(target, log);
      if ('denied' in r) throw new CircuitOpenError(target, r.denied.retry_at === null ? null : new Date(r.denied.retry_at));
      permit = r.permit;
    } catch (err) {
      if (err instanceof CircuitOpenError) throw err;
      log.warn({ circuit_target: target, err: (err as Error).message }, 'circuit breaker unavailable: the step runs without it');
      return call();
    }
    let result: T;
    try {
      result = await call();
    } catch (err) {
      const outcome = isTargetFailure(err) ? 'failure' : err instanceof StepAbortedError ? 'neutral' : 'success';
      await this.record(permit, outcome, log, (err as Error).message.slice(0, 200));
      throw err;
    }
    await this.record(permit, 'success', log);
    return result;
  }

  private async record(permit: CircuitPermit, outcome: 'success' | 'failure' | 'neutral', log: Logger, detail = ''): Promise<void> {
    try {
      await this.breakers.record(permit, outcome, log, detail);
    } catch (err) {
      log.warn({ circuit_target: permit.target, err: (err as Error).message }, 'circuit breaker not updated');
    }
  }
}
