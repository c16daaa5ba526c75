import type Redis from 'ioredis';

const DAY_MINUTES = 1440;

// One hash per job: a counter per minute ("m:<epoch minute>"), the last call's time and status.
// Fields older than a day are pruned when the hash grows past a day and a bit of minutes.
const RECORD = `
redis.replicate_commands()
local t = redis.call('TIME')
local minute = math.floor(tonumber(t[1]) / 60)
redis.call('HINCRBY', KEYS[1], 'm:' .. minute, 1)
redis.call('HSET', KEYS[1], 'last_at', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), 'last_status', ARGV[1])
if redis.call('HLEN', KEYS[1]) > ${DAY_MINUTES + 60} then
  for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
    if string.sub(f, 1, 2) == 'm:' and tonumber(string.sub(f, 3)) <= minute - ${DAY_MINUTES} then redis.call('HDEL', KEYS[1], f) end
  end
end
redis.call('PEXPIRE', KEYS[1], 90000000)
return 1`;

export interface WebhookCallStats {
  last_call_at: string | null;
  last_call_status: number | null;
  calls_24h: number;
}

/** Requests received per webhook (any outcome), kept in Redis so that every replica counts. */
export class WebhookCallStatsStore {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private key(jobId: string): string {
    return `${this.prefix}:webhook:calls:${jobId}`;
  }

  async record(jobId: string, status: number): Promise<void> {
    await this.redis.eval(RECORD, 1, this.key(jobId), status);
  }

  async read(jobIds: string[]): Promise<Map<string, WebhookCallStats>> {
    const out = new Map<string, WebhookCallStats>();
    if (jobIds.length === 0) return out;
    const [seconds] = await this.redis.time();
    const since = Math.floor(Number(seconds) / 60) - DAY_MINUTES;
    const pipeline = this.redis.pipeline();
    for (const id of jobIds) pipeline.hgetall(this.key(id));
    const results = (await pipeline.exec()) ?? [];
    jobIds.forEach((id, i) => {
      const [err, hash] = results[i] ?? [null, {}];
      const h = (err ? {} : hash) as Record<string, string>;
      let calls = 0;
      for (const [f, v] of Object.entries(h)) if (f.startsWith('m:') && Number(f.slice(2)) > since) calls += Number(v);
      out.set(id, {
        last_call_at: h['last_at'] ? new Date(Number(h['last_at'])).toISOString() : null,
        last_call_status: h['last_status'] ? Number(h['last_status']) : null,
        calls_24h: calls,
      });
    });
    return out;
  }
}
