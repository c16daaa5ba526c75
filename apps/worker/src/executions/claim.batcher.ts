import type { ClaimedExecution, ExecutionsRepository } from '@vecron/db';

/** Most claims in one statement. */
export const CLAIM_BATCH_MAX = 500;

interface PendingClaim {
  id: string;
  currentStep: string | null;
  resolve: (claimed: ClaimedExecution | null) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit of claims. The claims a worker asks for in the same turn of the event loop (a
 * burst of fires due at one instant arrives together) share one conditional statement and one
 * commit (`claimManyWithVariables`) instead of one round trip and one commit each. A claim
 * alone goes through the one-row statement, as before. When the shared statement fails as a
 * whole (another exclusive run of one of the jobs, a serialization failure, a lost connection)
 * every claim of the batch is made again on its own, so that each gets its own outcome or error.
 * The claim stays conditional either way: of several deliveries of one execution, one wins.
 */
export class ClaimBatcher {
  private readonly waiting = new Map<string, PendingClaim[]>();

  constructor(private readonly executions: ExecutionsRepository) {}

  claim(id: string, workerId: string, currentStep: string | null): Promise<ClaimedExecution | null> {
    return new Promise((resolve, reject) => {
      let list = this.waiting.get(workerId);
      if (!list) {
        list = [];
        this.waiting.set(workerId, list);
        setImmediate(() => {
          this.waiting.delete(workerId);
          void this.flush(list!, workerId);
        });
      }
      list.push({ id, currentStep, resolve, reject });
    });
  }

  private async flush(list: PendingClaim[], workerId: string): Promise<void> {
    for (let i = 0; i < list.length; i += CLAIM_BATCH_MAX) {
      const batch = list.slice(i, i + CLAIM_BATCH_MAX);
      if (batch.length === 1) {
        await this.one(batch[0]!, workerId);
        continue;
      }
      let claimed: Map<string, ClaimedExecution>;
      try {
        claimed = await this.executions.claimManyWithVariables(batch, workerId);
      } catch {
        await Promise.all(batch.map((c) => this.one(c, workerId)));
        continue;
      }
      // The same execution asked for twice (two deliveries): the statement claimed it once, for one of them.
      for (const c of batch) {
        const row = claimed.get(c.id) ?? null;
        claimed.delete(c.id);
        c.resolve(row);
      }
    }
  }

  private async one(c: PendingClaim, workerId: string): Promise<void> {
    try {
      c.resolve(await this.executions.claimWithVariables(c.id, workerId, undefined, true, c.currentStep));
    } catch (err) {
      c.reject(err);
    }
  }
}
