import type { JobRecord } from '@vecron/db';
import type { JobDefinition } from '@vecron/definitions';
import type { WebhookInfoDto } from '../webhooks/dto/webhook.dto';

/** A job as the API returns it: metadata, and the definition when asked for one job. */
export interface JobView {
  id: string;
  name: string;
  description: string | null;
  enabled: boolean;
  version: number;
  definition_path: string;
  schedule_type: string | null;
  timezone: string | null;
  next_run_at: string | null;
  last_run_at: string | null;
  created_at: string;
  updated_at: string;
  /** Who created the job and who last changed it (user ids; null before users existed). */
  created_by: string | null;
  updated_by: string | null;
  definition?: JobDefinition;
  /** The webhook URL and settings (the secret only in the answer that issued it). */
  webhook?: WebhookInfoDto | null;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function presentJob(job: JobRecord, definition?: JobDefinition, webhook?: WebhookInfoDto | null): JobView {
  return {
    id: job.id,
    name: job.name,
    description: job.description,
    enabled: job.enabled,
    version: job.current_version,
    definition_path: job.definition_path,
    schedule_type: job.schedule_type,
    timezone: job.timezone,
    next_run_at: iso(job.next_run_at),
    last_run_at: iso(job.last_run_at),
    created_at: job.created_at.toISOString(),
    updated_at: job.updated_at.toISOString(),
    created_by: job.created_by ?? null,
    updated_by: job.updated_by ?? null,
    ...(definition ? { definition } : {}),
    ...(webhook !== undefined ? { webhook } : {}),
  };
}
