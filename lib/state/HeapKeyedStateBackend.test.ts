/**
 * HeapKeyedStateBackend: snapshot() + write() → KeyedStateHandle and restore()
 * for every state kind, snapshot isolation (before and during the async
 * write), rescaling 2 → 3 (and 3 → 1) by key-group ranges, corrupt handles →
 * CorruptStateError, typed values through the codec, and size()/keys().
 */
import { CorruptStateError, KeyGroupMismatchError } from '../errors';
import { encodeState } from './codec';
import { HeapKeyedStateBackend, type KeyedStateHandle } from './HeapKeyedStateBackend';
import { assignToKeyGroup, denormalizeKey, KeyGroupRange, normalizeKey, type StateKey } from './KeyGroup';
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from './KeyedState';
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
  type AggregateFunction,
} from './StateDescriptor';

const MAX = 128;
const full = () => new HeapKeyedStateBackend(MAX, KeyGroupRange.forOperator(MAX, 1, 0));

type Acc = { sum: number; count: number };
const average: AggregateFunction<number, Acc, number> = {
  createAccumulator: () => ({ sum: 0, count: 0 }),
  add: (v, acc) => {
    acc.sum += v;
    acc.count += 1;
    return acc;
  },
  getResult: (acc) => acc.sum / acc.count,
};

const D = {
  value: () => new ValueStateDescriptor<{ n: number; s: string }>('value'),
  list: () => new ListStateDescriptor<number>('list'),
  map: () => new MapStateDescriptor<string, number>('map'),
  reducing: () => new ReducingStateDescriptor<number>('reducing', (a, b) => a + b),
  aggregating: () => new AggregatingStateDescriptor('aggregating', average),
};

function states(b: HeapKeyedStateBackend) {
  return {
    value: b.getState(D.value()) as ValueState<{ n: number; s: string }>,
    list: b.getState(D.list()) as ListState<number>,
    map: b.getState(D.map()) as MapState<string, number>,
    reducing: b.getState(D.reducing()) as ReducingState<number>,
    aggregating: b.getState(D.aggregating()) as AggregatingState<number, number>,
  };
}

/** Writes deterministic state of every kind for `key`, derived from `i`. */
function populate(b: HeapKeyedStateBackend, key: StateKey, i: number): void {
  const s = states(b);
  b.setCurrentKey(key);
  s.value.update({ n: i, s: `v${i}` });
  s.list.addAll([i, i + 1]);
  s.list.add(i + 2);
  s.map.put(`a${i}`, i);
  s.map.put('b', 100 - i);
  s.reducing.add(i);
  s.reducing.add(10);
  s.aggregating.add(i);
  s.aggregating.add(i + 2);
}

type Read = { value: unknown; list: unknown; map: unknown; reducing: unknown; aggregating: unknown };
function read(b: HeapKeyedStateBackend, key: StateKey): Read {
  const s = states(b);
  b.setCurrentKey(key);
  return {
    value: s.value.value(),
    list: s.list.get(),
    map: [...s.map.entries()],
    reducing: s.reducing.get(),
    aggregating: s.aggregating.get(),
  };
}
const expectedRead = (i: number): Read => ({
  value: { n: i, s: `v${i}` },
  list: [i, i + 1, i + 2],
  map: [
    [`a${i}`, i],
    ['b', 100 - i],
  ],
  reducing: i + 10,
  aggregating: i + 1,
});
const emptyRead: Read = { value: undefined, list: [], map: [], reducing: undefined, aggregating: undefined };

const KINDS = ['value', 'list', 'map', 'reducing', 'aggregating'] as const;

/** A mix of key types: strings, ints, doubles, booleans, bigints, composites. */
function sampleKeys(n: number): StateKey[] {
  const keys: StateKey[] = [true, false, 0.5, -2.25, 2n ** 64n, -7n, normalizeKey(['c', 1n, false])];
  for (let i = 0; i < n; i++) {
    keys.push(`k${i}`, i * 3 - 50, BigInt(i) * 1000003n, normalizeKey(['user', i]));
  }
  return keys;
}

const sortKeys = (ks: Iterable<StateKey>) => [...ks].map((k) => `${typeof k}:${String(k)}`).sort();

async function checkpoint(b: HeapKeyedStateBackend): Promise<KeyedStateHandle> {
  return b.snapshot().write();
}

describe('snapshot / write / restore', () => {
  test('restore into a fresh backend with the same range gives identical state for every kind', async () => {
    const src = full();
    const keys = sampleKeys(40);
    keys.forEach((k, i) => populate(src, k, i));
    const handle = await checkpoint(src);

    const dst = full();
    dst.restore([handle]);
    for (const kind of KINDS) {
      expect(dst.size(kind)).toBe(keys.length);
      expect(sortKeys(dst.keys(kind))).toEqual(sortKeys(keys));
    }
    keys.forEach((k, i) => expect(read(dst, k)).toEqual(expectedRead(i)));
    // keys that were never written stay empty, with the right key types
    expect(read(dst, 'nope')).toEqual(emptyRead);
    expect(read(dst, '1')).toEqual(emptyRead); // the number key 1 is not the string '1'
    expect(read(dst, 1000003)).toEqual(emptyRead); // the bigint key 1000003n is not the number
  });

  test('state registered before restore is filled by restore', async () => {
    const src = full();
    populate(src, 'a', 1);
    populate(src, 2, 2);
    const handle = await checkpoint(src);
    const dst = full();
    const s = states(dst); // as open() would
    dst.restore([handle]);
    dst.setCurrentKey('a');
    expect(s.value.value()).toEqual({ n: 1, s: 'v1' });
    expect(read(dst, 2)).toEqual(expectedRead(2));
  });

  test('the written handle: range, state list, one sorted block per non-empty key group', async () => {
    const range = KeyGroupRange.forOperator(MAX, 1, 0);
    const b = new HeapKeyedStateBackend(MAX, range);
    states(b);
    const keys = ['x', 'y', 'z', 1, 2, 3, 4, 5, 6];
    keys.forEach((k, i) => populate(b, k, i));
    const h = await checkpoint(b);
    expect(h.keyGroupRange).toEqual({ start: 0, end: 127 });
    expect(h.states).toEqual(KINDS.map((k) => ({ name: k, kind: k })));
    const expectedGroups = [...new Set(keys.map((k) => assignToKeyGroup(k, MAX)))].sort((a, c) => a - c);
    expect(h.keyGroups.map((g) => g.keyGroup)).toEqual(expectedGroups);
    for (const g of h.keyGroups) expect(g.bytes).toBeInstanceOf(Uint8Array);
  });

  test('an empty backend writes an empty handle that restores to nothing', async () => {
    const h = await checkpoint(full());
    expect(h.keyGroups).toEqual([]);
    expect(h.states).toEqual([]);
    const dst = full();
    dst.restore([h]);
    expect(read(dst, 'k')).toEqual(emptyRead);
  });

  test('cleared state is not written', async () => {
    const src = full();
    populate(src, 'a', 1);
    populate(src, 'b', 2);
    const s = states(src);
    src.setCurrentKey('a');
    for (const kind of KINDS) s[kind].clear();
    const dst = full();
    dst.restore([await checkpoint(src)]);
    for (const kind of KINDS) expect([...dst.keys(kind)]).toEqual(['b']);
    expect(read(dst, 'a')).toEqual(emptyRead);
    expect(read(dst, 'b')).toEqual(expectedRead(2));
  });
});

describe('snapshot isolation', () => {
  test('writes after snapshot() never show in the written handle', async () => {
    const b = full();
    for (let i = 0; i < 30; i++) populate(b, `k${i}`, i);
    const snap = b.snapshot();
    const s = states(b);
    for (let i = 0; i < 30; i++) {
      b.setCurrentKey(`k${i}`);
      if (i % 3 === 0) {
        for (const kind of KINDS) s[kind].clear();
      } else {
        s.value.value()!.n = -1; // in-place mutation of a value read for update
        s.value.update({ n: 999, s: 'new' });
        (s.list.get() as number[]).push(77);
        s.list.add(88);
        s.map.put('b', 1234);
        s.map.remove(`a${i}`);
        s.reducing.add(1000);
        s.aggregating.add(1000);
      }
    }
    for (let i = 30; i < 40; i++) populate(b, `k${i}`, i); // new keys
    states(b); // no new registrations, but a new one would not matter either
    b.getState(new ValueStateDescriptor<number>('late'));
    const late = b.getState(new ValueStateDescriptor<number>('late')) as ValueState<number>;
    b.setCurrentKey('k0');
    late.update(1);

    const h = await snap.write();
    expect(h.states.map((x) => x.name)).toEqual([...KINDS]);
    const dst = full();
    dst.restore([h]);
    for (let i = 0; i < 30; i++) expect(read(dst, `k${i}`)).toEqual(expectedRead(i));
    for (let i = 30; i < 40; i++) expect(read(dst, `k${i}`)).toEqual(emptyRead);
    expect(dst.size('late')).toBe(0);
    // the live backend kept every later write
    expect(read(b, 'k0')).toEqual(emptyRead);
    expect(read(b, 'k1')).toEqual({
      value: { n: 999, s: 'new' },
      list: [1, 2, 3, 77, 88],
      map: [['b', 1234]],
      reducing: 1011,
      aggregating: (1 + 3 + 1000) / 3,
    });
  });

  test('writes interleaved with an in-progress asynchronous write() never show in it', async () => {
    const b = full();
    const v = b.getState(new ValueStateDescriptor<{ n: number }>('v')) as ValueState<{ n: number }>;
    const l = b.getState(new ListStateDescriptor<number>('l')) as ListState<number>;
    const N = 6000; // more than the write's yield interval, over all 128 key groups
    for (let i = 0; i < N; i++) {
      b.setCurrentKey(i);
      v.update({ n: i });
      l.add(i);
    }
    const snap = b.snapshot();
    let done = false;
    const written = snap.write().finally(() => {
      done = true;
    });
    let round = 0;
    while (!done) {
      // mutate a slice of keys every event-loop turn while the write runs
      for (let i = round % 7; i < N; i += 7) {
        b.setCurrentKey(i);
        if (i % 2 === 0) {
          v.value()!.n = -i;
          l.add(-1);
        } else {
          v.clear();
          l.update([]);
        }
      }
      b.setCurrentKey(N + round);
      v.update({ n: -1 });
      round++;
      await new Promise((r) => setImmediate(r));
    }
    const h = await written;
    expect(round).toBeGreaterThan(1); // the write really was interleaved
    const dst = full();
    dst.restore([h]);
    expect(dst.size('v')).toBe(N);
    expect(dst.size('l')).toBe(N);
    const dv = dst.getState(new ValueStateDescriptor<{ n: number }>('v')) as ValueState<{ n: number }>;
    const dl = dst.getState(new ListStateDescriptor<number>('l')) as ListState<number>;
    const bad: number[] = [];
    for (let i = 0; i < N; i++) {
      dst.setCurrentKey(i);
      const val = dv.value();
      const list = dl.get();
      if (val?.n !== i || list.length !== 1 || list[0] !== i) bad.push(i);
    }
    expect(bad).toEqual([]);
  });

  test('release() without write, then more snapshots, keeps the live state right', async () => {
    const b = full();
    populate(b, 'a', 1);
    const s1 = b.snapshot();
    populate(b, 'b', 2);
    s1.release();
    s1.release();
    const h = await checkpoint(b);
    const dst = full();
    dst.restore([h]);
    expect(read(dst, 'a')).toEqual(expectedRead(1));
    expect(read(dst, 'b')).toEqual(expectedRead(2));
    expect(read(b, 'a')).toEqual(expectedRead(1));
  });
});

describe('rescaling', () => {
  function owner(key: StateKey, backends: HeapKeyedStateBackend[]): number {
    const g = assignToKeyGroup(key, MAX);
    const owners = backends.map((b, i) => (b.keyGroupRange.contains(g) ? i : -1)).filter((i) => i >= 0);
    expect(owners.length).toBe(1);
    return owners[0];
  }

  async function rescale(from: number, to: number) {
    const keys = sampleKeys(60);
    const old = Array.from({ length: from }, (_, i) => new HeapKeyedStateBackend(MAX, KeyGroupRange.forOperator(MAX, from, i)));
    keys.forEach((k, i) => populate(old[owner(k, old)], k, i));
    // every old backend holds only its own key groups
    old.forEach((b, bi) => {
      for (const k of b.keys('value')) expect(owner(k, old)).toBe(bi);
    });
    const handles = await Promise.all(old.map((b) => checkpoint(b)));
    const neu = Array.from({ length: to }, (_, i) => new HeapKeyedStateBackend(MAX, KeyGroupRange.forOperator(MAX, to, i)));
    for (const b of neu) b.restore(handles);

    let total = 0;
    neu.forEach((b, bi) => {
      for (const kind of KINDS) {
        for (const k of b.keys(kind)) expect(owner(k, neu)).toBe(bi);
      }
      total += b.size('value');
      for (const kind of KINDS) expect(b.size(kind)).toBe(b.size('value'));
    });
    expect(total).toBe(keys.length); // none lost, none duplicated
    keys.forEach((k, i) => {
      const o = owner(k, neu);
      expect(read(neu[o], k)).toEqual(expectedRead(i));
      neu.forEach((b, bi) => {
        if (bi !== o) expect(() => read(b, k)).toThrow(KeyGroupMismatchError); // not its key group: refused
      });
    });
    return neu;
  }

  test('parallelism 2 → 3 (maxParallelism 128): each key lands in exactly the backend owning its key group', async () => {
    const neu = await rescale(2, 3);
    expect(neu.map((b) => [b.keyGroupRange.start, b.keyGroupRange.end])).toEqual([
      [0, 42],
      [43, 85],
      [86, 127],
    ]);
    for (const b of neu) expect(b.size('value')).toBeGreaterThan(0);
  });

  test('parallelism 3 → 1 and 1 → 4', async () => {
    await rescale(3, 1);
    await rescale(1, 4);
  });

  test('a handle whose range does not overlap restores nothing', async () => {
    const left = new HeapKeyedStateBackend(MAX, KeyGroupRange.forOperator(MAX, 2, 0));
    const right = new HeapKeyedStateBackend(MAX, KeyGroupRange.forOperator(MAX, 2, 1));
    const keys = sampleKeys(20).filter((k) => left.keyGroupRange.contains(assignToKeyGroup(k, MAX)));
    expect(keys.length).toBeGreaterThan(10);
    keys.forEach((k, i) => populate(left, k, i));
    right.restore([await checkpoint(left)]);
    for (const kind of KINDS) expect(right.size(kind)).toBe(0);
  });
});

describe('corrupt handles', () => {
  async function validHandle(): Promise<KeyedStateHandle> {
    const b = full();
    const v = b.getState(new ValueStateDescriptor<number>('v')) as ValueState<number>;
    b.setCurrentKey('hello'); // key group 35 at maxParallelism 128
    v.update(1);
    return checkpoint(b);
  }
  const withBytes = (h: KeyedStateHandle, bytes: Uint8Array): KeyedStateHandle => ({
    ...h,
    keyGroups: [{ keyGroup: h.keyGroups[0].keyGroup, bytes }],
  });
  function expectCorrupt(h: KeyedStateHandle): void {
    let thrown: unknown;
    try {
      full().restore([h]);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(CorruptStateError);
    expect((thrown as CorruptStateError).code).toBe('CORRUPT_STATE');
  }

  test('the valid handle restores (control)', async () => {
    const h = await validHandle();
    expect(h.keyGroups.map((g) => g.keyGroup)).toEqual([35]);
    const b = full();
    b.restore([h]);
    expect([...b.keys('v')]).toEqual(['hello']);
  });

  test('truncated bytes', async () => {
    const h = await validHandle();
    expectCorrupt(withBytes(h, h.keyGroups[0].bytes.slice(0, h.keyGroups[0].bytes.length - 3)));
    expectCorrupt(withBytes(h, new Uint8Array(0)));
  });

  test('bytes that are not an entry list', async () => {
    const h = await validHandle();
    expectCorrupt(withBytes(h, new Uint8Array([0xc1])));
    expectCorrupt(withBytes(h, encodeState(5)));
    expectCorrupt(withBytes(h, encodeState({ a: 1 })));
  });

  test('an entry list whose entries are not [index, key, value] triples', async () => {
    const h = await validHandle();
    expectCorrupt(withBytes(h, encodeState([1, 2, 3])));
  });

  test('an unknown state index', async () => {
    const h = await validHandle();
    expectCorrupt(withBytes(h, encodeState([[7, 'hello', 1]])));
  });

  test('a key that belongs to another key group', async () => {
    const h = await validHandle();
    expect(assignToKeyGroup('a', MAX)).not.toBe(35);
    expectCorrupt(withBytes(h, encodeState([[0, 'a', 1]])));
  });

  test('a state checkpointed as one kind but registered as another', async () => {
    const h = await validHandle();
    const b = full();
    b.getState(new ListStateDescriptor<number>('v'));
    expect(() => b.restore([h])).toThrow(CorruptStateError);
  });

  test('every single-byte corruption either restores or throws CorruptStateError', async () => {
    const src = full();
    populate(src, 'hello', 3);
    const h = await checkpoint(src);
    const bytes = h.keyGroups[0].bytes;
    const wrongErrors: string[] = [];
    for (let i = 0; i < bytes.length; i++) {
      for (const x of [0xff, 0x01]) {
        const c = bytes.slice();
        c[i] ^= x;
        try {
          full().restore([withBytes(h, c)]);
        } catch (e) {
          if (!(e instanceof CorruptStateError)) wrongErrors.push(`byte ${i} ^ ${x}: ${(e as Error).name}: ${(e as Error).message}`);
        }
      }
    }
    expect(wrongErrors).toEqual([]);
  });
});

describe('values round-trip with their types (codec)', () => {
  test('Map, Set, Date, bigint, typed arrays and nested objects', async () => {
    const src = full();
    const v = src.getState(new ValueStateDescriptor<unknown>('v')) as ValueState<unknown>;
    const m = src.getState(new MapStateDescriptor<unknown, unknown>('m')) as MapState<unknown, unknown>;
    const value = {
      map: new Map<unknown, unknown>([
        ['a', 1],
        [2, new Set(['x', 3n])],
      ]),
      set: new Set([1, 'two', 3n]),
      date: new Date(Date.UTC(2024, 1, 29, 12, 30, 15, 250)),
      big: 2n ** 100n,
      negBig: -123n,
      small: 5n,
      nested: { a: [1, { b: [new Date(0), null, true] }], c: { d: { e: 'deep' } } },
      bytes: new Uint8Array([1, 2, 255]),
      float: -0.125,
      empty: {},
      emptyArr: [],
    };
    src.setCurrentKey('k');
    v.update(value);
    m.put(1n, new Map([[new Date(1).getTime(), 'one']]));
    m.put('s', new Set([new Date(2)]));
    const dst = full();
    dst.restore([await checkpoint(src)]);
    const dv = dst.getState(new ValueStateDescriptor<unknown>('v')) as ValueState<unknown>;
    const dm = dst.getState(new MapStateDescriptor<unknown, unknown>('m')) as MapState<unknown, unknown>;
    dst.setCurrentKey('k');
    const got = dv.value() as typeof value;
    expect(got).toEqual(value);
    expect(got.map).toBeInstanceOf(Map);
    expect(got.map.get(2)).toBeInstanceOf(Set);
    expect([...(got.map.get(2) as Set<unknown>)]).toEqual(['x', 3n]);
    expect(got.set).toBeInstanceOf(Set);
    expect([...got.set]).toEqual([1, 'two', 3n]);
    expect(got.date).toBeInstanceOf(Date);
    expect(got.date.toISOString()).toBe('2024-02-29T12:30:15.250Z');
    expect(typeof got.big).toBe('bigint');
    expect(got.big).toBe(2n ** 100n);
    expect(got.negBig).toBe(-123n);
    expect(typeof got.small).toBe('bigint');
    expect(got.small).toBe(5n);
    expect((got.nested.a[1] as { b: unknown[] }).b[0]).toBeInstanceOf(Date);
    expect(got.bytes).toBeInstanceOf(Uint8Array);
    expect([...got.bytes]).toEqual([1, 2, 255]);
    expect(dm.get(1n)).toBeInstanceOf(Map);
    expect([...(dm.get(1n) as Map<unknown, unknown>)]).toEqual([[1, 'one']]);
    expect(dm.get('s')).toBeInstanceOf(Set);
    expect([...(dm.get('s') as Set<Date>)][0]).toBeInstanceOf(Date);
    expect([...dm.keys()]).toEqual([1n, 's']);
  });

  test('keys keep their types: bigint, double, boolean, composite, large integers', async () => {
    const keys: StateKey[] = [5n, -(2n ** 70n), 1.25, 2 ** 40, -(2 ** 53) + 1, true, false, '', normalizeKey([1, 'a', 2n])];
    const src = full();
    keys.forEach((k, i) => populate(src, k, i));
    const dst = full();
    dst.restore([await checkpoint(src)]);
    expect(sortKeys(dst.keys('value'))).toEqual(sortKeys(keys));
    for (const k of dst.keys('value')) expect(keys.some((x) => Object.is(x, k))).toBe(true);
    keys.forEach((k, i) => expect(read(dst, k)).toEqual(expectedRead(i)));
  });
});

describe('size() and keys()', () => {
  test('count and list the keys of one state, live', async () => {
    const b = full();
    expect(b.size('nothing')).toBe(0);
    expect([...b.keys('nothing')]).toEqual([]);
    const v = b.getState(new ValueStateDescriptor<number>('v')) as ValueState<number>;
    const l = b.getState(new ListStateDescriptor<number>('l')) as ListState<number>;
    expect(b.size('v')).toBe(0);
    for (const k of ['a', 'b', 'c']) {
      b.setCurrentKey(k);
      v.update(1);
    }
    b.setCurrentKey('z');
    l.add(1);
    expect(b.size('v')).toBe(3);
    expect(b.size('l')).toBe(1);
    expect([...b.keys('v')].sort()).toEqual(['a', 'b', 'c']);
    expect([...b.keys('l')]).toEqual(['z']);
    // while a snapshot is live, the live view still counts correctly
    const snap = b.snapshot();
    b.setCurrentKey('b');
    v.clear();
    b.setCurrentKey('d');
    v.update(2);
    expect(b.size('v')).toBe(3);
    expect([...b.keys('v')].sort()).toEqual(['a', 'c', 'd']);
    const h = await snap.write();
    expect(b.size('v')).toBe(3);
    expect([...b.keys('v')].sort()).toEqual(['a', 'c', 'd']);
    const dst = full();
    dst.restore([h]);
    expect([...dst.keys('v')].sort()).toEqual(['a', 'b', 'c']);
  });
});

describe('the key-group check of setCurrentKey', () => {
  test('a key of another subtask is refused with its key group and this range; keys of the range pass', () => {
    const range = KeyGroupRange.forOperator(MAX, 2, 0);
    const b = new HeapKeyedStateBackend(MAX, range);
    const keys = sampleKeys(200);
    const mine = keys.filter((k) => range.contains(assignToKeyGroup(k, MAX)));
    const foreign = keys.filter((k) => !range.contains(assignToKeyGroup(k, MAX)));
    expect(mine.length).toBeGreaterThan(0);
    expect(foreign.length).toBeGreaterThan(0);
    for (const k of mine) expect(() => b.setCurrentKey(k)).not.toThrow();
    const k = foreign[0];
    let err: unknown;
    try {
      b.setCurrentKey(k);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KeyGroupMismatchError);
    const m = err as KeyGroupMismatchError;
    expect(m.code).toBe('KEY_GROUP_MISMATCH');
    expect(m.keyGroup).toBe(assignToKeyGroup(k, MAX));
    expect(m.keyGroupRange).toEqual({ start: range.start, end: range.end });
    expect(m.key).toEqual(denormalizeKey(k));
    // the refused key did not become current: state stays scoped to the last accepted key
    expect(b.currentKey()).toBe(mine[mine.length - 1]);
  });

  test('a composite key is reported as the array the selector returned', () => {
    const b = new HeapKeyedStateBackend(MAX, KeyGroupRange.of(0, -1)); // owns nothing
    try {
      b.setCurrentKey(normalizeKey(['eu', 7n]));
      throw new Error('expected a refusal');
    } catch (e) {
      expect((e as KeyGroupMismatchError).key).toEqual(['eu', 7n]);
      expect((e as Error).message).toContain('key ["eu",7n] belongs to key group');
    }
  });
});
