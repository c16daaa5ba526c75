import { Allow, IsString } from 'class-validator';
import { randomUUID } from 'crypto';
import type { ExecutionsRepository, JobsRepository } from '@vecron/db';
import { type ResolveTemplates, type StepExecutor, type StepRunContext } from '@vecron/executors';
import { executionContextKey, jobDefinitionVersionKey, type InMemoryObjectStorage } from '@vecron/storage';
import type { ExecutionRunner } from '../src/executions/execution-runner.service';
import { createRunnerFixture, type RunnerFixture } from './runner.fixture';

class RawConfig {
  /** Kept raw by resolveConfig, resolved by the executor itself. */
  @IsString()
  text!: string;

  @Allow()
  other?: unknown;
}

/** Like the database step: keeps `text` raw and resolves its one template through run.resolveTemplate. */
class RawFieldExecutor implements StepExecutor<RawConfig, unknown> {
  readonly type = 'raw';
  readonly configClass = RawConfig;

  resolveConfig(raw: unknown, resolve: ResolveTemplates): unknown {
    const { text, ...rest } = raw as { text: unknown };
    return { ...(resolve(rest) as object), text };
  }

  async execute(config: RawConfig, run: StepRunContext): Promise<unknown> {
    return { text: config.text, other: config.other, value: run.resolveTemplate?.(config.text) };
  }
}

describe('ExecutionRunner: executors that resolve some config fields themselves', () => {
  let storage: InMemoryObjectStorage;
  let jobs: JobsRepository;
  let executions: ExecutionsRepository;
  let runner: ExecutionRunner;
  let fixture: RunnerFixture;

  beforeAll(async () => {
    fixture = await createRunnerFixture('vecron_test_worker_raw', [new RawFieldExecutor()], {}, 2);
    ({ jobs, executions, storage, runner } = fixture);
  });
  afterAll(() => fixture.close());

  it('leaves the raw field unresolved in the config and gives the executor a resolver bound to the step scope', async () => {
    const jobId = randomUUID();
    const steps = [{ id: 'r', name: 'r', type: 'raw', condition: null, config: { text: '{{execution_id}}', other: '{{job_id}}' } }];
    const definition = { name: 't', schedule: null, triggers: { scheduled: false, manual: true }, steps, timeout_seconds: 60, max_retries: 0, allow_concurrent: false, enabled: true };
    await jobs.insert(jobId, {
      name: 't', description: null, enabled: true, definition_path: `jobs/${jobId}/definition.json`, schedule: null, schedule_type: null,
      timezone: null, scheduled_trigger: false, manual_trigger: true, webhook_enabled: false, allow_concurrent: false, next_run_at: null,
    });
    await storage.put(jobDefinitionVersionKey(jobId, 1), JSON.stringify(definition));
    const id = randomUUID();
    await executions.insertPending({ id, job_id: jobId, idempotency_key: `manual:${id}`, trigger_source: 'manual', definition_version: 1, context_path: executionContextKey(jobId, id) });

    expect(await runner.run(id)).toBe('success');
    const e = (await executions.findById(id))!;
    const ctx = JSON.parse((await storage.get(e.context_path!)).toString()) as { steps: Record<string, { output: unknown }> };
    expect(ctx.steps.r!.output).toEqual({ text: '{{execution_id}}', other: jobId, value: id });
  });
});
