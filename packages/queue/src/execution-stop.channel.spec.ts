import { decodeExecutionStop, encodeExecutionStop, executionStopChannel } from './execution-stop.channel';

describe('execution stop channel', () => {
  it('is named under the queue prefix', () => {
    expect(executionStopChannel('vecron')).toBe('vecron:execution-stop');
  });

  it('round-trips a message', () => {
    const m = { execution_id: 'e1', requested_at: '2026-01-01T00:00:00.000Z', requested_by: 'api', requested_by_user_id: null };
    expect(decodeExecutionStop(encodeExecutionStop(m))).toEqual(m);
  });

  it('refuses what is not a stop announcement', () => {
    expect(decodeExecutionStop('not json')).toBeNull();
    expect(decodeExecutionStop('null')).toBeNull();
    expect(decodeExecutionStop(JSON.stringify({ execution_id: 'e1' }))).toBeNull();
    expect(decodeExecutionStop(JSON.stringify({ execution_id: 'e1', requested_at: 'yesterday', requested_by: 'api' }))).toBeNull();
  });
});
