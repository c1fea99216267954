/** OperatorStateStore: list state per subtask, snapshots isolated by copy, restore keeps only its own prefixed lists. */
import { UnknownStateTypeError } from '../errors';
import { OPERATOR_STATE_PREFIX, OperatorStateStore } from './OperatorStateStore';
import { ListStateDescriptor } from './StateDescriptor';
import { UnresolvedStateValue } from './taggedForm';

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

test('restored items of a type registered by the list’s descriptor are resolved when the list is first used', () => {
  class Offset {
    constructor(readonly at = 0) {}
    next(): number {
      return this.at + 1;
    }
  }
  const item = new UnresolvedStateValue({ '\u0000type': 'store.Offset', '\u0000data': { at: 41 } }, 'store.Offset');
  const store = new OperatorStateStore({ [`${OPERATOR_STATE_PREFIX}offsets`]: [item, 7] });
  expect(() => store.getListState(new ListStateDescriptor('offsets'))).toThrow(UnknownStateTypeError);
  const list = store.getListState(new ListStateDescriptor<Offset | number>('offsets', { types: [{ type: Offset, name: 'store.Offset' }] }));
  expect((list.get()[0] as Offset).next()).toBe(42);
  expect(list.get()[1]).toBe(7);
});
