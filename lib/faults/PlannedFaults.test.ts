/** validateFaults: a plan that arrived as data is accepted as it is, or refused naming the fault and field. */
import { ConfigurationError } from '../errors';
import type { Fault } from './Fault';
import { validateFaults } from './PlannedFaults';

test('every fault kind passes as written', () => {
  const plan: Fault[] = [
    { kind: 'fail-at-record', operator: 'sum', subtask: 1, record: 5 },
    { kind: 'fail-at-time', operator: 'sum', subtask: 0, atMs: 40, attempt: 'any' },
    { kind: 'fail-during-snapshot', operator: 'sum', subtask: 0, checkpoint: 3 },
    { kind: 'fail-during-notify', operator: 'sink', subtask: 0 },
    { kind: 'fail-during-restore', operator: 'sum', subtask: 1, attempt: 3 },
    { kind: 'delay-channel', from: { operator: 'src', subtask: 0 }, to: { operator: 'sum', subtask: 1 }, what: 'credit', delayMs: 50, count: 2 },
    { kind: 'drop-channel', from: { operator: 'src', subtask: 0 }, to: { operator: 'sum', subtask: 1 }, what: 'data' },
  ];
  expect(validateFaults(JSON.parse(JSON.stringify(plan)))).toEqual(plan);
});

test.each([
  [{}, 'faults', 'must be an array'],
  [[null], 'faults[0]', 'must be an object'],
  [[{ kind: 'explode' }], 'faults[0].kind', 'must be one of'],
  [[{ kind: 'fail-at-record', operator: 'a', subtask: 0, record: -1 }], 'faults[0].record', 'non-negative integer'],
  [[{ kind: 'fail-at-time', operator: 3, subtask: 0, atMs: 1 }], 'faults[0].operator', 'operator uid'],
  [[{ kind: 'drop-channel', from: { operator: 'a' }, to: { operator: 'b', subtask: 0 }, what: 'data' }], 'faults[0].from', 'operator: uid'],
  [[{ kind: 'delay-channel', from: { operator: 'a', subtask: 0 }, to: { operator: 'b', subtask: 0 }, what: 'both', delayMs: 1 }], 'faults[0].what', "'data' or 'credit'"],
])('%j is refused at %s', (plan, option, message) => {
  const e = (() => {
    try {
      validateFaults(plan);
    } catch (err) {
      return err;
    }
    return undefined;
  })();
  expect(e).toBeInstanceOf(ConfigurationError);
  expect((e as ConfigurationError).option).toBe(option);
  expect((e as Error).message).toContain(message);
});
