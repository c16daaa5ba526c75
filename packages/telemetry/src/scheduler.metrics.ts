import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LAG_BUCKETS } from './metrics.registry';

/** What one scheduler tick did (SchedulerService.tick's result). */
export interface TickOutcome {
  leader: boolean;
  fired: number;
  skipped: number;
}

/** The scheduler's metrics: tick duration, leadership, fires. */
export class SchedulerMetrics {
  readonly tickDuration: Histogram;
  readonly leader: Gauge;
  readonly fires: Counter;
  readonly skippedFires: Counter;
  readonly tickErrors: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.tickDuration = new Histogram({ name: 'vecron_scheduler_tick_duration_seconds', help: 'Duration of one scheduler tick', buckets: LAG_BUCKETS, registers });
    this.leader = new Gauge({ name: 'vecron_scheduler_leader', help: '1 when this scheduler holds the leader lock', registers });
    this.fires = new Counter({ name: 'vecron_scheduler_fires_total', help: 'Executions created by scheduled fires', registers });
    this.skippedFires = new Counter({ name: 'vecron_scheduler_skipped_fires_total', help: 'Fires not run (misfire policy, recorded in schedule_skips)', registers });
    this.tickErrors = new Counter({ name: 'vecron_scheduler_tick_errors_total', help: 'Ticks that failed', registers });
    this.leader.set(0);
  }

  /** Records a finished tick (`outcome` null when it threw). */
  tick(seconds: number, outcome: TickOutcome | null): void {
    this.tickDuration.observe(seconds);
    if (!outcome) {
      this.tickErrors.inc();
      return;
    }
    this.leader.set(outcome.leader ? 1 : 0);
    if (outcome.fired) this.fires.inc(outcome.fired);
    if (outcome.skipped) this.skippedFires.inc(outcome.skipped);
  }
}
