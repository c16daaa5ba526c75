import { validateJobDefinition } from './job-definition.validator';
const show = (x: unknown) => console.log(JSON.stringify(validateJobDefinition(x), null, 1));
it('x', () => {
  show({ name: 'a', schedule: { type: 'cron', expression: '0 0 1 * * ?' }, steps: [{ id: 'fetch', name: 'F', type: 'http', config: { method: 'GET', url: 'https://x.y/z', headers: { 'X-A': 'b' }, body: { constructor: 1, a: [1, { b: 2 }] } } }] });
  show({ name: '', foo: 1, toString: 2, schedule: { type: 'cronx', expression: 5, zzz: 1 }, steps: [1, { id: 'fetch', name: 'F', type: 'http', condition: 'steps.later.output == (', config: { method: 'GETX', url: '{{steps.later.output.body.url}}', headers: { 'X-A': 1 }, auth: { type: 'bearer' } } }, { id: 'fetch', name: 'x', type: 'nope', config: { a: 1 } }, {id: 'later', name: 'l', type: 'database', config: {database_type: 'postgresql', connection_string: 'x', query_type: 'stored_procedure'}}] });
  show({ name: 'a', steps: [] });
  show({ name: 'a', steps: [[{}]], triggers: { webhook: { secret_key: 'short' } } });
});
