/** OperatorStateStore: list state per subtask, snapshots isolated by copy, restore keeps only its own prefixed lists. */
import { OPERATOR_STATE_PREFIX, OperatorStateStore } from './OperatorStateStore';
import { ListStateDescriptor } from './StateDescriptor';

test('lists by name; a snapshot holds deep copies of the non-empty ones, prefixed', () => {
  const store = new OperatorStateStore();
  const a = store.getListState(new ListStateDescriptor<{ n: number }>('a'));
  const b = store.getListState(new ListStateDescriptor<number>('b'));
  a.add({ n: 1 });
  a.addAll([{ n: 2 }]);
  b.update([]);
  const snap = store.snapshot()!;
  expect(snap).toEqual({ [`${OPERATOR_STATE_PREFIX}a`]: [{ n: 1 }, { n: 2 }] });
  (a.get()[0] as { n: number }).n = 99;
  a.add({ n: 3 });
  expect(snap[`${OPERATOR_STATE_PREFIX}a`]).toEqual([{ n: 1 }, { n: 2 }]);
  a.clear();
  b.clear();
  expect(store.snapshot()).toBeUndefined();
});

test('restore takes the prefixed lists and ignores an operator’s own lists', () => {
  const store = new OperatorStateStore({ [`${OPERATOR_STATE_PREFIX}count`]: [5, 7], committables: ['x'] });
  expect(store.getListState(new ListStateDescriptor<number>('count')).get()).toEqual([5, 7]);
  expect(store.getListState(new ListStateDescriptor<string>('committables')).get()).toEqual([]);
});
