import type { JobDefinition } from '@vecron/definitions';
import { jobDefinitionVersionKey, type ObjectStorage } from '@vecron/storage';

/** Most definition versions kept in memory by default. */
export const DEFINITION_CACHE_SIZE = 1000;

/**
 * Definition versions (`jobs/{job_id}/versions/{n}.json`) never change once written, so each is
 * read from object storage once per process and kept; beyond `size` versions the one cached
 * first is dropped. Two executions asking for the same missing version at once share one read.
 */
export class DefinitionCache {
  private readonly versions = new Map<string, Promise<JobDefinition>>();
  /** The versions read, for a synchronous look (`peek`). */
  private readonly loaded = new Map<string, JobDefinition>();

  constructor(private readonly storage: ObjectStorage, private readonly size: number = DEFINITION_CACHE_SIZE) {}

  get(jobId: string, version: number): Promise<JobDefinition> {
    const key = jobDefinitionVersionKey(jobId, version);
    const cached = this.versions.get(key);
    if (cached) return cached;
    const loading = this.storage.get(key).then((buf) => {
      const definition = JSON.parse(buf.toString('utf8')) as JobDefinition;
      if (this.versions.get(key) === loading) this.loaded.set(key, definition);
      return definition;
    });
    // A failed read is not kept: the next execution tries again.
    loading.catch(() => this.versions.get(key) === loading && this.versions.delete(key));
    if (this.versions.size >= this.size) {
      const oldest = this.versions.keys().next().value!;
      this.versions.delete(oldest);
      this.loaded.delete(oldest);
    }
    this.versions.set(key, loading);
    return loading;
  }

  /** The version if it has been read already (no I/O, no waiting); undefined otherwise. */
  peek(jobId: string, version: number): JobDefinition | undefined {
    return this.loaded.get(jobDefinitionVersionKey(jobId, version));
  }

  /** Versions held (read or being read). */
  get count(): number {
    return this.versions.size;
  }
}
