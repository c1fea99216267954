/**
 * KeyedState through HeapKeyedStateBackend.getState: the behaviour of every
 * state kind (Value with a never-shared default, List, Map, Reducing,
 * Aggregating with an average), scoping to the current key, StateAccessError
 * without a current key or on a kind clash, and isolation from snapshots.
 */
import { StateAccessError } from '../errors';
import { HeapKeyedStateBackend } from './HeapKeyedStateBackend';
import { KeyGroupRange, normalizeKey } from './KeyGroup';
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from './KeyedState';
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
  type AggregateFunction,
} from './StateDescriptor';

const newBackend = () => new HeapKeyedStateBackend(128, KeyGroupRange.forOperator(128, 1, 0));

type Acc = { sum: number; count: number };
/** An average that mutates its accumulator in place, as user code often does. */
const average: AggregateFunction<number, Acc, number> = {
  createAccumulator: () => ({ sum: 0, count: 0 }),
  add: (v, acc) => {
    acc.sum += v;
    acc.count += 1;
    return acc;
  },
  getResult: (acc) => acc.sum / acc.count,
};

function expectStateAccessError(f: () => unknown): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(StateAccessError);
  expect((thrown as StateAccessError).code).toBe('STATE_ACCESS');
}

describe('ValueState', () => {
  test('value / update / clear, with a default', () => {
    const b = newBackend();
    const s = b.getState(new ValueStateDescriptor<number>('v', 7)) as ValueState<number>;
    b.setCurrentKey('k');
    expect(s.value()).toBe(7);
    s.update(3);
    expect(s.value()).toBe(3);
    s.update(0);
    expect(s.value()).toBe(0);
    expect(b.size('v')).toBe(1);
    s.clear();
    expect(s.value()).toBe(7);
    expect(b.size('v')).toBe(0);
    s.update(5);
    s.update(undefined);
    expect(s.value()).toBe(7);
    expect(b.size('v')).toBe(0);
  });

  test('without a default, value() is undefined', () => {
    const b = newBackend();
    const s = b.getState(new ValueStateDescriptor<string>('v')) as ValueState<string>;
    b.setCurrentKey(1);
    expect(s.value()).toBeUndefined();
    s.update('x');
    expect(s.value()).toBe('x');
  });

  test('the default value is never shared by reference', () => {
    const b = newBackend();
    const def = { count: 0, tags: ['t'] };
    const d = new ValueStateDescriptor('v', def);
    const s = b.getState(d) as ValueState<{ count: number; tags: string[] }>;
    b.setCurrentKey('a');
    const v1 = s.value()!;
    expect(v1).toEqual({ count: 0, tags: ['t'] });
    expect(v1).not.toBe(def);
    v1.count = 5;
    v1.tags.push('u');
    expect(def).toEqual({ count: 0, tags: ['t'] });
    expect(d.defaultValue).toEqual({ count: 0, tags: ['t'] });
    // mutating a default copy stores nothing
    expect(s.value()).toEqual({ count: 0, tags: ['t'] });
    expect(b.size('v')).toBe(0);
    // another key also gets a fresh copy
    b.setCurrentKey('b');
    const v2 = s.value()!;
    expect(v2).not.toBe(v1);
    expect(v2).toEqual({ count: 0, tags: ['t'] });
    // storing the copy and mutating it does not touch the default either
    v2.count = 9;
    s.update(v2);
    expect(s.value()).toEqual({ count: 9, tags: ['t'] });
    b.setCurrentKey('c');
    expect(s.value()).toEqual({ count: 0, tags: ['t'] });
  });

  test('state is per key', () => {
    const b = newBackend();
    const s = b.getState(new ValueStateDescriptor<number>('v')) as ValueState<number>;
    b.setCurrentKey('a');
    s.update(1);
    b.setCurrentKey('b');
    expect(s.value()).toBeUndefined();
    s.update(2);
    b.setCurrentKey(42);
    s.update(3);
    b.setCurrentKey('a');
    expect(s.value()).toBe(1);
    b.setCurrentKey('b');
    expect(s.value()).toBe(2);
    s.clear();
    b.setCurrentKey('a');
    expect(s.value()).toBe(1);
    b.setCurrentKey(42);
    expect(s.value()).toBe(3);
    expect([...b.keys('v')].sort((x, y) => String(x).localeCompare(String(y)))).toEqual([42, 'a']);
  });

  test('keys of different types are different keys', () => {
    const b = newBackend();
    const s = b.getState(new ValueStateDescriptor<string>('v')) as ValueState<string>;
    b.setCurrentKey(1);
    s.update('number');
    b.setCurrentKey('1');
    s.update('string');
    b.setCurrentKey(1n);
    s.update('bigint');
    b.setCurrentKey(true);
    s.update('boolean');
    b.setCurrentKey(1);
    expect(s.value()).toBe('number');
    b.setCurrentKey('1');
    expect(s.value()).toBe('string');
    b.setCurrentKey(1n);
    expect(s.value()).toBe('bigint');
    b.setCurrentKey(true);
    expect(s.value()).toBe('boolean');
    expect(b.size('v')).toBe(4);
  });
});

describe('ListState', () => {
  test('get / add / addAll / update / clear', () => {
    const b = newBackend();
    const s = b.getState(new ListStateDescriptor<number>('l')) as ListState<number>;
    b.setCurrentKey('k');
    expect(s.get()).toEqual([]);
    s.add(1);
    s.add(2);
    expect(s.get()).toEqual([1, 2]);
    s.addAll([3, 4]);
    expect(s.get()).toEqual([1, 2, 3, 4]);
    s.addAll([]);
    expect(s.get()).toEqual([1, 2, 3, 4]);
    s.update([9, 8]);
    expect(s.get()).toEqual([9, 8]);
    s.clear();
    expect(s.get()).toEqual([]);
    expect(b.size('l')).toBe(0);
    s.addAll([5, 6]);
    expect(s.get()).toEqual([5, 6]);
    s.update([]);
    expect(s.get()).toEqual([]);
    expect(b.size('l')).toBe(0);
    s.addAll([]);
    expect(b.size('l')).toBe(0);
  });

  test('arrays passed to addAll / update are not aliased', () => {
    const b = newBackend();
    const s = b.getState(new ListStateDescriptor<number>('l')) as ListState<number>;
    b.setCurrentKey('k');
    const xs = [1, 2];
    s.addAll(xs);
    xs.push(3);
    expect(s.get()).toEqual([1, 2]);
    s.add(10);
    expect(xs).toEqual([1, 2, 3]);
    const ys = [7];
    s.update(ys);
    ys.push(8);
    expect(s.get()).toEqual([7]);
    s.add(9);
    expect(ys).toEqual([7, 8]);
  });

  test('per key', () => {
    const b = newBackend();
    const s = b.getState(new ListStateDescriptor<string>('l')) as ListState<string>;
    b.setCurrentKey('a');
    s.add('a1');
    b.setCurrentKey('b');
    s.addAll(['b1', 'b2']);
    b.setCurrentKey('a');
    s.add('a2');
    expect(s.get()).toEqual(['a1', 'a2']);
    b.setCurrentKey('b');
    expect(s.get()).toEqual(['b1', 'b2']);
    b.setCurrentKey('c');
    expect(s.get()).toEqual([]);
  });
});

describe('MapState', () => {
  test('put / get / remove / contains / entries / keys / values / isEmpty / clear / putAll', () => {
    const b = newBackend();
    const s = b.getState(new MapStateDescriptor<string, number>('m')) as MapState<string, number>;
    b.setCurrentKey('k');
    expect(s.isEmpty()).toBe(true);
    expect(s.get('x')).toBeUndefined();
    expect(s.contains('x')).toBe(false);
    expect([...s.entries()]).toEqual([]);
    expect([...s.keys()]).toEqual([]);
    expect([...s.values()]).toEqual([]);
    s.remove('x'); // removing from nothing is fine
    expect(b.size('m')).toBe(0);

    s.put('x', 1);
    s.put('y', 2);
    s.put('x', 3);
    expect(s.isEmpty()).toBe(false);
    expect(s.get('x')).toBe(3);
    expect(s.get('y')).toBe(2);
    expect(s.contains('x')).toBe(true);
    expect(s.contains('z')).toBe(false);
    expect([...s.entries()]).toEqual([
      ['x', 3],
      ['y', 2],
    ]);
    expect([...s.keys()]).toEqual(['x', 'y']);
    expect([...s.values()]).toEqual([3, 2]);

    s.putAll([
      ['z', 26],
      ['y', 20],
    ]);
    expect([...s.entries()]).toEqual([
      ['x', 3],
      ['y', 20],
      ['z', 26],
    ]);

    s.remove('x');
    expect(s.contains('x')).toBe(false);
    expect(s.get('x')).toBeUndefined();
    expect([...s.keys()]).toEqual(['y', 'z']);
    s.remove('y');
    s.remove('z');
    expect(s.isEmpty()).toBe(true);
    expect(b.size('m')).toBe(0); // the emptied map is dropped for the key

    s.put('a', 1);
    expect(b.size('m')).toBe(1);
    s.clear();
    expect(s.isEmpty()).toBe(true);
    expect(s.get('a')).toBeUndefined();
    expect(b.size('m')).toBe(0);
  });

  test('per key', () => {
    const b = newBackend();
    const s = b.getState(new MapStateDescriptor<string, number>('m')) as MapState<string, number>;
    b.setCurrentKey(normalizeKey(['user', 1]));
    s.put('a', 1);
    b.setCurrentKey(normalizeKey(['user', 2]));
    expect(s.isEmpty()).toBe(true);
    s.put('a', 2);
    s.put('b', 3);
    b.setCurrentKey(normalizeKey(['user', 1]));
    expect([...s.entries()]).toEqual([['a', 1]]);
    b.setCurrentKey(normalizeKey(['user', 2]));
    expect([...s.entries()]).toEqual([
      ['a', 2],
      ['b', 3],
    ]);
  });
});

describe('ReducingState', () => {
  test('get / add / clear with a sum', () => {
    const b = newBackend();
    const reduce = jest.fn((a: number, c: number) => a + c);
    const s = b.getState(new ReducingStateDescriptor<number>('r', reduce)) as ReducingState<number>;
    b.setCurrentKey('k');
    expect(s.get()).toBeUndefined();
    s.add(5);
    expect(reduce).not.toHaveBeenCalled(); // the first value is stored as is
    expect(s.get()).toBe(5);
    s.add(-5);
    expect(s.get()).toBe(0);
    s.add(10);
    expect(s.get()).toBe(10);
    expect(reduce.mock.calls).toEqual([
      [5, -5],
      [0, 10],
    ]);
    b.setCurrentKey('other');
    expect(s.get()).toBeUndefined();
    s.add(1);
    expect(s.get()).toBe(1);
    b.setCurrentKey('k');
    expect(s.get()).toBe(10);
    s.clear();
    expect(s.get()).toBeUndefined();
    s.add(2);
    expect(s.get()).toBe(2);
  });

  test('reducing non-commutatively keeps the order', () => {
    const b = newBackend();
    const s = b.getState(new ReducingStateDescriptor<string>('r', (a, c) => a + c)) as ReducingState<string>;
    b.setCurrentKey(1);
    for (const x of ['a', 'b', 'c']) s.add(x);
    expect(s.get()).toBe('abc');
  });
});

describe('AggregatingState', () => {
  test('average: get / add / clear', () => {
    const b = newBackend();
    const s = b.getState(new AggregatingStateDescriptor('avg', average)) as AggregatingState<number, number>;
    b.setCurrentKey('k');
    expect(s.get()).toBeUndefined();
    s.add(2);
    expect(s.get()).toBe(2);
    s.add(4);
    s.add(9);
    expect(s.get()).toBe(5);
    b.setCurrentKey('j');
    expect(s.get()).toBeUndefined();
    s.add(1);
    expect(s.get()).toBe(1);
    b.setCurrentKey('k');
    expect(s.get()).toBe(5);
    s.clear();
    expect(s.get()).toBeUndefined();
    s.add(3);
    expect(s.get()).toBe(3);
    expect(b.size('avg')).toBe(2);
  });
});

describe('registration and errors', () => {
  test('the same name and kind gives the same state object', () => {
    const b = newBackend();
    const s1 = b.getState(new ValueStateDescriptor<number>('v'));
    const s2 = b.getState(new ValueStateDescriptor<number>('v', 3));
    expect(s2).toBe(s1);
  });

  test('two names are two independent states', () => {
    const b = newBackend();
    const s1 = b.getState(new ValueStateDescriptor<number>('one')) as ValueState<number>;
    const s2 = b.getState(new ValueStateDescriptor<number>('two')) as ValueState<number>;
    b.setCurrentKey('k');
    s1.update(1);
    expect(s2.value()).toBeUndefined();
    s2.update(2);
    expect(s1.value()).toBe(1);
  });

  test('registering a name with another kind throws StateAccessError', () => {
    const b = newBackend();
    b.getState(new ValueStateDescriptor<number>('s'));
    expectStateAccessError(() => b.getState(new ListStateDescriptor<number>('s')));
    expectStateAccessError(() => b.getState(new MapStateDescriptor<string, number>('s')));
    expectStateAccessError(() => b.getState(new ReducingStateDescriptor<number>('s', (a, c) => a + c)));
    expectStateAccessError(() => b.getState(new AggregatingStateDescriptor('s', average)));
    b.getState(new MapStateDescriptor<string, number>('m'));
    expectStateAccessError(() => b.getState(new ValueStateDescriptor<number>('m')));
    // the original registration still works
    const v = b.getState(new ValueStateDescriptor<number>('s')) as ValueState<number>;
    b.setCurrentKey('k');
    v.update(1);
    expect(v.value()).toBe(1);
  });

  test('every state operation without a current key throws StateAccessError', () => {
    const b = newBackend();
    const v = b.getState(new ValueStateDescriptor<number>('v', 1)) as ValueState<number>;
    const l = b.getState(new ListStateDescriptor<number>('l')) as ListState<number>;
    const m = b.getState(new MapStateDescriptor<string, number>('m')) as MapState<string, number>;
    const r = b.getState(new ReducingStateDescriptor<number>('r', (a, c) => a + c)) as ReducingState<number>;
    const a = b.getState(new AggregatingStateDescriptor('a', average)) as AggregatingState<number, number>;
    expectStateAccessError(() => b.currentKey());
    const ops: (() => unknown)[] = [
      () => v.value(),
      () => v.update(2),
      () => v.clear(),
      () => l.get(),
      () => l.add(1),
      () => l.addAll([1]),
      () => l.update([1]),
      () => l.clear(),
      () => m.get('x'),
      () => m.put('x', 1),
      () => m.putAll([['x', 1]]),
      () => m.remove('x'),
      () => m.contains('x'),
      () => m.entries(),
      () => m.keys(),
      () => m.values(),
      () => m.isEmpty(),
      () => m.clear(),
      () => r.get(),
      () => r.add(1),
      () => r.clear(),
      () => a.get(),
      () => a.add(1),
      () => a.clear(),
    ];
    for (const op of ops) expectStateAccessError(op);
    for (const name of ['v', 'l', 'm', 'r', 'a']) expect(b.size(name)).toBe(0);
  });
});

describe('values handed out vs snapshots', () => {
  test('mutating values read after a snapshot does not change the written snapshot', async () => {
    const b = newBackend();
    const v = b.getState(new ValueStateDescriptor<{ n: number }>('v')) as ValueState<{ n: number }>;
    const l = b.getState(new ListStateDescriptor<number>('l')) as ListState<number>;
    const m = b.getState(new MapStateDescriptor<string, number>('m')) as MapState<string, number>;
    const a = b.getState(new AggregatingStateDescriptor('a', average)) as AggregatingState<number, number>;
    b.setCurrentKey('k');
    v.update({ n: 1 });
    l.add(1);
    m.put('x', 1);
    a.add(10);
    const snap = b.snapshot();
    v.value()!.n = 2;
    l.add(2);
    (l.get() as number[]).push(3);
    m.put('x', 2);
    m.put('y', 3);
    a.add(20);

    const restored = newBackend();
    restored.restore([await snap.write()]);
    restored.setCurrentKey('k');
    expect((restored.getState(new ValueStateDescriptor<{ n: number }>('v')) as ValueState<{ n: number }>).value()).toEqual({ n: 1 });
    expect((restored.getState(new ListStateDescriptor<number>('l')) as ListState<number>).get()).toEqual([1]);
    expect([...(restored.getState(new MapStateDescriptor<string, number>('m')) as MapState<string, number>).entries()]).toEqual([['x', 1]]);
    expect((restored.getState(new AggregatingStateDescriptor('a', average)) as AggregatingState<number, number>).get()).toBe(10);
    // and the live state has all the later changes
    expect(v.value()).toEqual({ n: 2 });
    expect(l.get()).toEqual([1, 2, 3]);
    expect([...m.entries()]).toEqual([
      ['x', 2],
      ['y', 3],
    ]);
    expect(a.get()).toBe(15);
  });
});
