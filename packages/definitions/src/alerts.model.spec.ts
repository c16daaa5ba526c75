import { FakeStepCatalog } from '../test/fake-step-catalog';
import { jobDefinitionJsonSchema } from './job-definition.schema';
import { validateJobDefinition } from './job-definition.validator';

const catalog = new FakeStepCatalog();
const definition = (alerts: unknown): Record<string, unknown> => ({
  name: 'Nightly export',
  steps: [{ id: 'fetch', name: 'Fetch', type: 'ping', config: { method: 'GET', url: 'https://api.example.com/items' } }],
  alerts,
});

describe('job definition: alerts', () => {
  it('accepts a threshold, a reminder interval and one channel of each type', () => {
    const alerts = {
      after_consecutive_failures: 5,
      reminder_interval_minutes: 60,
      channels: [
        { type: 'webhook', url: 'https://ops.example.com/hooks/vecron' },
        { type: 'slack', url: 'https://hooks.slack.com/services/T/B/X' },
        { type: 'email', to: ['ops@example.com', 'oncall@example.com'] },
      ],
    };
    const result = validateJobDefinition(definition(alerts), catalog);
    expect(result.ok && result.definition.alerts).toEqual(alerts);
  });

  it('names each wrong field', () => {
    const result = validateJobDefinition(
      definition({
        after_consecutive_failures: 0,
        channels: [{ type: 'pager' }, { type: 'webhook' }, { type: 'email', to: ['not-an-address'] }, { type: 'slack', url: 'ftp://x' }, { type: 'email', to: ['a@b.co'], extra: 1 }],
      }),
      catalog,
    );
    expect(result.ok).toBe(false);
    const paths = result.ok ? [] : result.errors.map((e) => `${e.path}: ${e.message}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        'alerts.after_consecutive_failures: must be at least 1',
        expect.stringMatching(/^alerts\.channels\[0\]\.type: must be one of/),
        'alerts.channels[1].url: is required',
        'alerts.channels[2].to: must contain e-mail addresses',
        'alerts.channels[3].url: must be an http(s) URL',
        expect.stringMatching(/^alerts\.channels\[4\]\.extra: /),
      ]),
    );
  });

  it('is described by the JSON Schema', () => {
    const schema = JSON.stringify(jobDefinitionJsonSchema(catalog));
    expect(schema).toContain('"alerts"');
    expect(schema).toContain('after_consecutive_failures');
    expect(schema).toContain('"AlertChannel"');
  });
});
