/**
 * Namespaced keyed state through the heap backend: every kind isolated
 * between the namespaces of one key and from the default namespace; clear
 * per namespace; merging list, reducing and aggregating namespaces;
 * snapshots that later writes and merges never change; restore at another
 * parallelism with namespaces; operator-given namespace ids kept across a
 * checkpoint; enumeration; the old checkpoint format (a fixture written
 * before namespaces existed) restoring and re-written byte for byte; and
 * corrupt namespace columns as CorruptStateError.
 */
import { CorruptStateError, StateAccessError } from '../errors';
import { decodeState, encodeState } from './codec';
import { HeapKeyedStateBackend, type KeyedStateHandle } from './HeapKeyedStateBackend';
import type { KeyGroupColumns } from './keyGroupColumns';
import { assignToKeyGroup, KeyGroupRange, normalizeKey, type StateKey } from './KeyGroup';
import type { ListState, MapState, ReducingState, ValueState } from './KeyedState';
import { frozenNamespace, namespaceId, VOID_NAMESPACE, type Namespace } from './namespace';
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
  type AggregateFunction,
} from './StateDescriptor';

const MAX = 128;
const backend = (p = 1, i = 0) => new HeapKeyedStateBackend(MAX, KeyGroupRange.forOperator(MAX, p, i));

type Acc = { sum: number; count: number };
const average: AggregateFunction<number, Acc, number> = {
  createAccumulator: () => ({ sum: 0, count: 0 }),
  add: (v, acc) => ({ sum: acc.sum + v, count: acc.count + 1 }),
  getResult: (acc) => acc.sum / acc.count,
  merge: (a, b) => ({ sum: a.sum + b.sum, count: a.count + b.count }),
};
const { merge: _merge, ...averageWithoutMerge } = average;

const D = {
  value: () => new ValueStateDescriptor<number>('value', -1),
  list: () => new ListStateDescriptor<number>('list'),
  map: () => new MapStateDescriptor<string, number>('map'),
  reducing: () => new ReducingStateDescriptor<number>('reducing', (a, b) => a + b),
  aggregating: () => new AggregatingStateDescriptor('aggregating', average),
};

const W1: Namespace = { type: 'TimeWindow', start: 0, end: 10 };
const W2: Namespace = { type: 'TimeWindow', start: 10, end: 20 };
const W3: Namespace = { type: 'TimeWindow', start: 20, end: 30 };

function internals(b: HeapKeyedStateBackend) {
  return {
    value: b.getInternalState(D.value()),
    list: b.getInternalState(D.list()),
    map: b.getInternalState(D.map()),
    reducing: b.getInternalState(D.reducing()),
    aggregating: b.getInternalState(D.aggregating()),
  };
}
type Internals = ReturnType<typeof internals>;

/** Writes state of every kind for the current key in `ns`, derived from `i`. */
function write(s: Internals, ns: Namespace | typeof VOID_NAMESPACE, i: number): void {
  for (const st of Object.values(s)) st.setCurrentNamespace(ns);
  s.value.update(i);
  s.list.addAll([i, i + 1]);
  s.map.put('a', i);
  s.reducing.add(i);
  s.reducing.add(1);
  s.aggregating.add(i);
  s.aggregating.add(i + 2);
}
function read(s: Internals, ns: Namespace | typeof VOID_NAMESPACE) {
  for (const st of Object.values(s)) st.setCurrentNamespace(ns);
  return { value: s.value.value(), list: s.list.get(), map: [...s.map.entries()], reducing: s.reducing.get(), aggregating: s.aggregating.get() };
}
const expected = (i: number) => ({ value: i, list: [i, i + 1], map: [['a', i]], reducing: i + 1, aggregating: i + 1 });
const empty = { value: -1, list: [], map: [], reducing: undefined, aggregating: undefined };

describe('namespaces of one key', () => {
  test('every kind is isolated between namespaces and from the default namespace', () => {
    const b = backend();
    const s = internals(b);
    b.setCurrentKey('k');
    write(s, VOID_NAMESPACE, 1);
    write(s, W1, 10);
    write(s, W2, 20);
    b.setCurrentKey('other');
    write(s, W1, 30);
    b.setCurrentKey('k');
    expect(read(s, VOID_NAMESPACE)).toEqual(expected(1));
    expect(read(s, W1)).toEqual(expected(10));
    expect(read(s, { end: 20, start: 10, type: 'TimeWindow' })).toEqual(expected(20)); // equal namespace, other field order
    expect(read(s, W3)).toEqual(empty);
    b.setCurrentKey('other');
    expect(read(s, W1)).toEqual(expected(30));
    expect(read(s, VOID_NAMESPACE)).toEqual(empty);
    // the user-facing objects see the default namespace, whatever the internal ones are set to
    for (const st of Object.values(s)) st.setCurrentNamespace(W1);
    b.setCurrentKey('k');
    expect((b.getState(D.value()) as ValueState<number>).value()).toBe(1);
    expect((b.getState(D.list()) as ListState<number>).get()).toEqual([1, 2]);
    expect(b.size('value')).toBe(1);
    expect([...b.keys('value')]).toEqual(['k']);
  });

  test('clear() clears the current (key, namespace) only', () => {
    const b = backend();
    const s = internals(b);
    b.setCurrentKey('k');
    for (const [ns, i] of [[VOID_NAMESPACE, 1], [W1, 10], [W2, 20]] as const) write(s, ns, i);
    for (const st of Object.values(s)) {
      st.setCurrentNamespace(W1);
      st.clear();
    }
    expect(read(s, W1)).toEqual(empty);
    expect(read(s, W2)).toEqual(expected(20));
    expect(read(s, VOID_NAMESPACE)).toEqual(expected(1));
    // a map state emptied by remove() leaves no entry behind
    s.map.setCurrentNamespace(W2);
    s.map.remove('a');
    expect(s.map.isEmpty()).toBe(true);
    expect([...b.keysAndNamespaces('map')].map(([k, ns]) => [k, ns])).toEqual([['k', VOID_NAMESPACE]]);
  });

  test('a user-facing state stays in the default namespace', () => {
    const b = backend();
    const user = b.getState(D.list()) as ListState<number> & { setCurrentNamespace(ns: unknown): void };
    expect(() => user.setCurrentNamespace(W1)).toThrow(StateAccessError);
    expect(b.getInternalState(D.list())).toBe(b.getInternalState(D.list()));
    expect(b.getInternalState(D.list())).not.toBe(user);
    expect(() => b.getInternalState(new ValueStateDescriptor('list'))).toThrow(StateAccessError);
  });

  test('a namespace that is not plain data is a TypeError, also with an id given (at the first write)', () => {
    const b = backend();
    const v = b.getInternalState(D.value());
    b.setCurrentKey('k');
    expect(() => v.setCurrentNamespace(new Map() as unknown as Namespace)).toThrow(TypeError);
    v.setCurrentNamespace(new Date(0) as unknown as Namespace, 'd0');
    expect(() => v.update(1)).toThrow(TypeError);
  });

  test('a namespace object changed after use does not change the stored namespace', async () => {
    const b = backend();
    const v = b.getInternalState(D.value());
    b.setCurrentKey('k');
    const ns = { start: 0, end: 10 };
    v.setCurrentNamespace(ns);
    v.update(5);
    ns.start = 99;
    const [[, stored]] = [...b.keysAndNamespaces('value')];
    expect(stored).toEqual({ start: 0, end: 10 });
    expect(Object.isFrozen(stored)).toBe(true);
  });
});

describe('mergeNamespaces', () => {
  function filled() {
    const b = backend();
    const s = internals(b);
    b.setCurrentKey('k');
    write(s, W1, 10);
    write(s, W2, 20);
    write(s, W3, 30);
    b.setCurrentKey('other');
    write(s, W2, 40);
    b.setCurrentKey('k');
    return { b, s };
  }

  test('list: target elements first, then the sources in order; sources cleared; other keys untouched', () => {
    const { b, s } = filled();
    s.list.setCurrentNamespace(W3);
    s.list.mergeNamespaces(W1, [W2, W3]);
    expect(s.list.currentNamespace()).toBe(W3); // unchanged by the merge
    expect(s.list.get()).toEqual([]);
    s.list.setCurrentNamespace(W1);
    expect(s.list.get()).toEqual([10, 11, 20, 21, 30, 31]);
    s.list.setCurrentNamespace(W2);
    expect(s.list.get()).toEqual([]);
    b.setCurrentKey('other');
    expect(s.list.get()).toEqual([40, 41]);
  });

  test('reducing and aggregating; into an empty target; missing sources skipped; the default namespace as target', () => {
    const { s } = filled();
    const W4 = { type: 'TimeWindow', start: 40, end: 50 };
    s.reducing.mergeNamespaces(W4, [W1, { nothing: 'here' }, W2]);
    s.reducing.setCurrentNamespace(W4);
    expect(s.reducing.get()).toBe(11 + 21);
    s.aggregating.mergeNamespaces(VOID_NAMESPACE, [W1, W2, W3]);
    s.aggregating.setCurrentNamespace(VOID_NAMESPACE);
    expect(s.aggregating.get()).toBe(21); // mean of 10, 12, 20, 22, 30, 32
    for (const ns of [W1, W2, W3]) {
      s.aggregating.setCurrentNamespace(ns);
      expect(s.aggregating.get()).toBeUndefined();
    }
    // merging nothing changes nothing
    s.reducing.mergeNamespaces(W1, [W2]);
    s.reducing.setCurrentNamespace(W1);
    expect(s.reducing.get()).toBeUndefined();
  });

  test('with the operator\'s id scheme', () => {
    const b = backend();
    const l = b.getInternalState(D.list());
    const id = (ns: Namespace) => `tw:${(ns as { start: number }).start}:${(ns as { end: number }).end}`;
    b.setCurrentKey('k');
    for (const [ns, v] of [[W1, 1], [W2, 2]] as const) {
      l.setCurrentNamespace(ns, id(ns));
      l.add(v);
    }
    l.mergeNamespaces(W2, [W1], id);
    l.setCurrentNamespace(W2, id(W2));
    expect(l.get()).toEqual([2, 1]);
    expect([...b.keysAndNamespaces('list')]).toEqual([['k', W2, 'tw:10:20']]);
  });

  test('an aggregate function without merge() is refused before anything changes', () => {
    const b = backend();
    const a = b.getInternalState(new AggregatingStateDescriptor('avg', averageWithoutMerge));
    b.setCurrentKey('k');
    a.setCurrentNamespace(W1);
    a.add(4);
    expect(() => a.mergeNamespaces(W2, [W1])).toThrow(StateAccessError);
    expect(a.get()).toBe(4);
  });

  test('a user-facing state cannot merge', () => {
    const b = backend();
    const l = b.getState(D.list()) as ListState<number> & { mergeNamespaces(t: unknown, s: unknown[]): void };
    expect(() => l.mergeNamespaces(W1, [W2])).toThrow(StateAccessError);
  });
});

describe('snapshots with namespaces', () => {
  test('writes, clears and merges after snapshot() never reach it', async () => {
    const b = backend();
    const s = internals(b);
    b.setCurrentKey('k');
    write(s, VOID_NAMESPACE, 1);
    write(s, W1, 10);
    write(s, W2, 20);
    const snap = b.snapshot();
    // mutate everything in place and move things around
    write(s, W1, 100);
    s.list.mergeNamespaces(W1, [W2]);
    s.reducing.mergeNamespaces(VOID_NAMESPACE, [W1]);
    s.value.setCurrentNamespace(W2);
    s.value.clear();
    write(s, W3, 30);
    const h = await snap.write();
    const r = backend();
    r.restore([h]);
    const rs = internals(r);
    r.setCurrentKey('k');
    expect(read(rs, VOID_NAMESPACE)).toEqual(expected(1));
    expect(read(rs, W1)).toEqual(expected(10));
    expect(read(rs, W2)).toEqual(expected(20));
    expect(read(rs, W3)).toEqual(empty);
    // and the live state is what was written after the snapshot
    expect(read(s, W2).list).toEqual([]);
    expect(read(s, W1).list).toEqual([10, 11, 100, 101, 20, 21]);
  });

  test('writes, clears, merges and new namespaces interleaved with an in-progress asynchronous write() never show in it', async () => {
    const b = backend();
    const l = b.getInternalState(D.list());
    const r = b.getInternalState(D.reducing());
    const id = (ns: Namespace) => `tw:${(ns as { start: number }).start}`;
    const N = 3000; // two namespaces of N keys: more than the write's yield interval
    for (let i = 0; i < N; i++) {
      b.setCurrentKey(i);
      for (const ns of [W1, W2]) {
        l.setCurrentNamespace(ns, id(ns));
        l.add(i);
        r.setCurrentNamespace(ns, id(ns));
        r.add(i);
      }
    }
    const snap = b.snapshot();
    let done = false;
    const written = snap.write().finally(() => {
      done = true;
    });
    let round = 0;
    while (!done) {
      for (let i = round % 5; i < N; i += 5) {
        b.setCurrentKey(i);
        l.setCurrentNamespace(W1, id(W1));
        l.clear(); // W1 empties (and is dropped) over the rounds
        (l.get() as number[]).length; // a read of the emptied namespace
        l.setCurrentNamespace(W2, id(W2));
        (l.get() as number[]).push(-1); // in place, in a value read for update
        l.mergeNamespaces(W3, [W2], id);
        r.setCurrentNamespace(W2, id(W2));
        r.add(1000);
        r.setCurrentNamespace(W1, id(W1));
        r.clear();
        r.setCurrentNamespace({ type: 'TimeWindow', start: 1000 + round, end: 0 }, `tw:${1000 + round}`);
        r.add(1);
      }
      round++;
      await new Promise((res) => setImmediate(res));
    }
    const h = await written;
    expect(round).toBeGreaterThan(1); // the write really was interleaved
    const dst = backend();
    dst.restore([h]);
    const got = [...dst.keysAndNamespaces('list'), ...dst.keysAndNamespaces('reducing')];
    expect(got).toHaveLength(4 * N);
    const dl = dst.getInternalState(D.list());
    const dr = dst.getInternalState(D.reducing());
    const bad: number[] = [];
    for (let i = 0; i < N; i++) {
      dst.setCurrentKey(i);
      for (const ns of [W1, W2]) {
        dl.setCurrentNamespace(ns, id(ns));
        dr.setCurrentNamespace(ns, id(ns));
        if (JSON.stringify(dl.get()) !== `[${i}]` || dr.get() !== i) bad.push(i);
      }
    }
    expect(bad).toEqual([]);
    // the live state kept what was written meanwhile: W1 gone everywhere, W2's lists merged into W3
    expect([...b.keys('list', W1, id(W1))]).toEqual([]);
    expect([...b.keys('reducing', W1, id(W1))]).toEqual([]);
    expect([...b.keys('list', W2, id(W2))]).toEqual([]);
    b.setCurrentKey(7);
    l.setCurrentNamespace(W3, id(W3));
    expect(l.get()).toEqual([7, -1]);
  });

  test('keys 1 and \'1\' are distinct in a namespace, through a checkpoint', async () => {
    const b = backend();
    const r = b.getInternalState(D.reducing());
    r.setCurrentNamespace(W1);
    b.setCurrentKey(1);
    r.add(5);
    b.setCurrentKey('1');
    r.add(7);
    const dst = backend();
    dst.restore([await b.snapshot().write()]);
    const dr = dst.getInternalState(D.reducing());
    dr.setCurrentNamespace(W1);
    for (const x of [b, dst]) {
      const s = x === b ? r : dr;
      x.setCurrentKey(1);
      expect(s.get()).toBe(5);
      x.setCurrentKey('1');
      expect(s.get()).toBe(7);
    }
  });

  test('restore 1 → 3 at 128 key groups: every (key, namespace) exactly once, on its owner', async () => {
    const src = backend();
    const s = internals(src);
    const keys: StateKey[] = [];
    for (let i = 0; i < 150; i++) keys.push(`k${i}`, i, BigInt(i) * 7919n, normalizeKey(['c', i]));
    keys.forEach((k, i) => {
      src.setCurrentKey(k);
      write(s, VOID_NAMESPACE, i);
      write(s, { type: 'TimeWindow', start: i % 3, end: 10 }, i + 1);
      write(s, 'global', i + 2);
    });
    const h = await src.snapshot().write();
    const seen = new Map<string, number>();
    for (let sub = 0; sub < 3; sub++) {
      const dst = backend(3, sub);
      dst.restore([h]);
      const ds = internals(dst);
      for (const [k, ns] of dst.keysAndNamespaces('list')) {
        expect(dst.keyGroupRange.contains(assignToKeyGroup(k, MAX))).toBe(true);
        const id = `${typeof k}:${String(k)}|${ns === VOID_NAMESPACE ? 'void' : namespaceId(ns)}`;
        seen.set(id, (seen.get(id) ?? 0) + 1);
      }
      keys.forEach((k, i) => {
        if (!dst.keyGroupRange.contains(assignToKeyGroup(k, MAX))) return;
        dst.setCurrentKey(k);
        expect(read(ds, VOID_NAMESPACE)).toEqual(expected(i));
        expect(read(ds, { type: 'TimeWindow', start: i % 3, end: 10 })).toEqual(expected(i + 1));
        expect(read(ds, 'global')).toEqual(expected(i + 2));
      });
    }
    expect(seen.size).toBe(keys.length * 3);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
  });

  test('an operator-given id is kept across a checkpoint; entries() matches by id or by value', async () => {
    const b = backend();
    const v = b.getInternalState(D.value());
    b.setCurrentKey('k');
    v.setCurrentNamespace(W1, 'tw:0:10');
    v.update(7);
    const r = backend();
    r.restore([await b.snapshot().write()]);
    const rv = r.getInternalState(D.value());
    r.setCurrentKey('k');
    rv.setCurrentNamespace(W1, 'tw:0:10');
    expect(rv.value()).toBe(7);
    rv.setCurrentNamespace(W1); // another id scheme is another namespace: one scheme per state
    expect(rv.value()).toBe(-1);
    expect([...r.entries('value', W1, 'tw:0:10')]).toEqual([['k', 7]]);
    expect([...r.entries('value', { end: 10, start: 0, type: 'TimeWindow' })]).toEqual([['k', 7]]);
    expect([...r.entries('value')]).toEqual([]);
  });
});

describe('the checkpoint format', () => {
  /** Written by the backend before namespaces existed (commit 3ebf48b): value, list, map and reducing state of four keys. */
  const OLD: KeyedStateHandle = {
    keyGroupRange: { start: 0, end: 127 },
    states: [
      { name: 'value', kind: 'value' },
      { name: 'list', kind: 'list' },
      { name: 'map', kind: 'map' },
      { name: 'reducing', kind: 'reducing' },
    ],
    keyGroups: [
      [10, '1HJAlKFzoWuhdqF0lAABAgOUqgBrWyJldSIsMV2qAGtbImV1IiwxXaoAa1siZXUiLDFdqgBrWyJldSIsMV2U1HJBk6FupHdoZW6jYnVmqgBrWyJldSIsMV3W/wAAAADUckKSpQB0eXBlpQBkYXRhq3dlaXI6QnVmZmVyxAF4kgECgaF4qgBrWyJldSIsMV0HkQA='],
      [81, '1HJAlKFzoWuhdqF0lAABAgOUoWGhYaFhoWGU1HJBk6FupHdoZW6jYnVmoWHW/wAAAADUckKSpQB0eXBlpQBkYXRhq3dlaXI6QnVmZmVyxAF4kgECgaF4oWEHkQA='],
      [113, '1HJAlKFzoWuhdqF0lAABAgOUBwcHB5TUckGToW6kd2hlbqNidWahN9b/AAAAANRyQpKlAHR5cGWlAGRhdGGrd2VpcjpCdWZmZXLEAXiSAQKBoXihNweRAA=='],
      [126, '1HJAlKFzoWuhdqF0lAABAgOU0wAAAAAAAAAF0wAAAAAAAAAF0wAAAAAAAAAF0wAAAAAAAAAFlNRyQZOhbqR3aGVuo2J1ZqE11v8AAAAA1HJCkqUAdHlwZaUAZGF0Yat3ZWlyOkJ1ZmZlcsQBeJIBAoGheKE1B5EA'],
    ].map(([keyGroup, b64]) => ({ keyGroup: keyGroup as number, bytes: new Uint8Array(Buffer.from(b64 as string, 'base64')) })),
  };
  const KEYS: StateKey[] = ['a', 7, 5n, normalizeKey(['eu', 1])];

  test('a handle written before namespaces existed restores into the default namespace', () => {
    const b = backend();
    b.restore([OLD]);
    const v = b.getState(new ValueStateDescriptor<{ n: string; when: Date; buf: Buffer }>('value')) as ValueState<{ n: string; when: Date; buf: Buffer }>;
    const l = b.getState(new ListStateDescriptor<number>('list')) as ListState<number>;
    const m = b.getState(new MapStateDescriptor<string, string>('map')) as MapState<string, string>;
    const r = b.getState(new ReducingStateDescriptor<number>('reducing', (x, y) => x + y)) as ReducingState<number>;
    for (const k of KEYS) {
      b.setCurrentKey(k);
      const got = v.value()!;
      expect(got.n).toBe(String(k));
      expect(got.when).toEqual(new Date(0));
      expect(Buffer.isBuffer(got.buf) && got.buf.toString()).toBe('x');
      expect(l.get()).toEqual([1, 2]);
      expect([...m.entries()]).toEqual([['x', String(k)]]);
      expect(r.get()).toBe(7);
    }
    expect([...b.keysAndNamespaces('list')].every(([, ns]) => ns === VOID_NAMESPACE)).toBe(true);
  });

  test('state that never left the default namespace is re-written byte for byte in the old format', async () => {
    const b = backend();
    b.restore([OLD]);
    const h = await b.snapshot().write();
    expect(h.keyGroups.map((g) => [g.keyGroup, Buffer.from(g.bytes).toString('base64')])).toEqual(
      OLD.keyGroups.map((g) => [g.keyGroup, Buffer.from(g.bytes).toString('base64')]),
    );
  });

  test('namespace columns appear only in key groups with a namespaced entry, each namespace once', async () => {
    const b = backend();
    const v = b.getInternalState(D.value());
    const l = b.getInternalState(D.list());
    const nsKey = 'hello'; // key group 35
    const plainKey = 'a'; // key group 81
    b.setCurrentKey(plainKey);
    v.update(1);
    b.setCurrentKey(nsKey);
    v.update(2);
    l.setCurrentNamespace(W1, 'tw:0:10');
    l.add(3);
    v.setCurrentNamespace(W1, 'tw:0:10');
    v.update(4);
    const h = await b.snapshot().write();
    const cols = new Map(h.keyGroups.map((g) => [g.keyGroup, decodeState<KeyGroupColumns>(g.bytes, 'test')]));
    expect(Object.keys(cols.get(81)!).sort()).toEqual(['k', 's', 'v']);
    const c = cols.get(35)!;
    expect(c.k).toEqual(['hello', 'hello', 'hello']);
    expect(c.n).toEqual([0, 1, 1]);
    expect(c.ni).toEqual(['tw:0:10']);
    expect(c.nv).toEqual([W1]);
  });

  describe('corrupt namespace columns are CorruptStateError', () => {
    const block = (extra: Partial<KeyGroupColumns>): KeyedStateHandle => ({
      keyGroupRange: { start: 0, end: 127 },
      states: [{ name: 'v', kind: 'value' }],
      keyGroups: [{ keyGroup: 35, bytes: encodeState({ s: [0], k: ['hello'], v: [1], ...extra }) }],
    });
    test.each([
      ['n out of range', { n: [2], ni: ['x'], nv: ['x'] }],
      ['n of the wrong length', { n: [1, 1], ni: ['x'], nv: ['x'] }],
      ['n without namespaces', { n: [1] }],
      ['namespaces without n', { ni: ['x'], nv: ['x'] }],
      ['an id that is not a string', { n: [1], ni: [5 as unknown as string], nv: ['x'] }],
      ['ids and values of different lengths', { n: [1], ni: ['x', 'y'], nv: ['x'] }],
      ['a namespace that is not plain data', { n: [1], ni: ['x'], nv: [new Map() as unknown as Namespace] }],
    ])('%s', (_, extra) => {
      expect(() => backend().restore([block(extra)])).toThrow(CorruptStateError);
    });
    test('control: a well-formed block restores', () => {
      const b = backend();
      b.restore([block({ n: [1], ni: ['x'], nv: [frozenNamespace({ w: 1 })] })]);
      expect([...b.keysAndNamespaces('v')]).toEqual([['hello', { w: 1 }, 'x']]);
    });
  });
});
