/**
 * Built-in keyed aggregations: sum/min/max on a field keep the other fields of
 * the key's first record, accumulate in an object of their own, emit copies
 * of it and never mutate inputs; tuple (array) fields;
 * minBy/maxBy keep the first record on ties; a missing or non-number field
 * throws TypeError. Checked on the reduce functions and on the operators that
 * KeyedStream.sum/min/max/minBy/maxBy build (driven directly, no runtime).
 */
import { OperatorStateStore } from '../state/OperatorStateStore';
import { StreamExecutionEnvironment } from '../api/StreamExecutionEnvironment';
import { UserFunctionError } from '../errors';
import type { KeyedStream } from '../api/KeyedStream';
import type { SingleOutputStreamOperator } from '../api/DataStream';
import { HeapKeyedStateBackend } from '../state/HeapKeyedStateBackend';
import { KeyGroupRange } from '../state/KeyGroup';
import { ManualClock } from '../testing/ManualClock';
import { createRuntimeContext } from './StreamingRuntimeContext';
import { byAggregator, fieldAccumulator, max, min, sum } from './aggregations';

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/** Builds the keyed operator a KeyedStream method creates and feeds it records; returns what it emits. */
function runKeyed<T, O>(input: T[], build: (ks: KeyedStream<T, any>) => SingleOutputStreamOperator<O>, key: (v: T) => any): O[] {
  const env = StreamExecutionEnvironment.create();
  build(env.fromCollection(input).keyBy(key)).sinkTo(() => {});
  const node = env.getStreamGraph().nodes[1];
  expect(node.stateKeySelector).toBeDefined();
  const op = node.operatorFactory!();
  const location = { operator: node.name, uid: node.uid, subtaskIndex: 0, parallelism: 1 };
  const backend = new HeapKeyedStateBackend(128, KeyGroupRange.forOperator(128, 1, 0));
  const out: O[] = [];
  op.open(
    {
      location,
      jobId: 'test-job',
      attemptNumber: 1,
      maxParallelism: 128,
      clock: new ManualClock(),
      keyedStateBackend: backend,
      runtimeContext: createRuntimeContext(location, 128, backend, new OperatorStateStore(), new ManualClock()),
      mailbox: { execute: () => { throw new Error('no mailbox in these tests'); } },
      objectReuse: false,
      defer: () => {
        throw new Error('unexpected defer');
      },
      sendOperatorEvent: () => {},
    },
    { processElement: (v: O) => void out.push(v) },
  );
  for (const r of input) op.processElement(r, undefined);
  return out;
}

/** The operator may report a user-data failure wrapped in a UserFunctionError; the root cause must be a TypeError. */
function expectTypeError(fn: () => unknown): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeDefined();
  const root = err instanceof UserFunctionError ? err.cause : err;
  expect(root).toBeInstanceOf(TypeError);
}

describe('combine functions', () => {
  test('sum, min, max', () => {
    expect(sum(2, 3)).toBe(5);
    expect(min(2, 3)).toBe(2);
    expect(min(3, 2)).toBe(2);
    expect(max(2, 3)).toBe(3);
    expect(max(3, 2)).toBe(3);
    expect(min(-1, -5)).toBe(-5);
    expect(max(-1, -5)).toBe(-1);
  });
});

describe('fieldAccumulator', () => {
  test('sum on an object field updates the accumulator in place, keeping its other fields; the value is untouched', () => {
    const f = fieldAccumulator<{ k: string; v: number; tag: string }>('v', sum);
    const acc = { k: 'a', v: 1, tag: 'first' };
    const b = deepFreeze({ k: 'a', v: 2, tag: 'second' });
    f(acc, b);
    expect(acc).toEqual({ k: 'a', v: 3, tag: 'first' });
    expect(b).toEqual({ k: 'a', v: 2, tag: 'second' });
  });

  test('min and max on a field', () => {
    const lo = fieldAccumulator<{ v: number; n: string }>('v', min);
    const hi = fieldAccumulator<{ v: number; n: string }>('v', max);
    const b = deepFreeze({ v: 2, n: 'b' });
    const a1 = { v: 5, n: 'a' };
    lo(a1, b);
    expect(a1).toEqual({ v: 2, n: 'a' });
    const a2 = { v: 5, n: 'a' };
    hi(a2, b);
    expect(a2).toEqual({ v: 5, n: 'a' });
  });

  test('tuple (array) fields: the position is replaced, the shape kept', () => {
    const acc: [string, number, number] = ['k', 10, 100];
    const b = deepFreeze(['k', 5, 200] as [string, number, number]);
    fieldAccumulator<[string, number, number]>(1, sum)(acc, b);
    expect(acc).toEqual(['k', 15, 100]);
    fieldAccumulator<[string, number, number]>(2, max)(acc, b);
    expect(acc).toEqual(['k', 15, 200]);
    expect(acc).toHaveLength(3);
  });

  test('a missing field throws TypeError naming it', () => {
    const f = fieldAccumulator<any>('v', sum);
    expect(() => f({ v: 1 }, { w: 2 })).toThrow(TypeError);
    expect(() => f({ v: 1 }, { w: 2 })).toThrow(/'v'.*missing/);
    expect(() => f({}, { v: 2 })).toThrow(TypeError);
    expect(() => fieldAccumulator<any>(3, sum)([1, 2], [1, 2])).toThrow(TypeError);
  });

  test('a non-number field throws TypeError and leaves the accumulator as it was', () => {
    const f = fieldAccumulator<any>('v', sum);
    const acc = { v: 1 };
    expect(() => f(acc, { v: '2' })).toThrow(TypeError);
    expect(() => f(acc, { v: '2' })).toThrow(/not a number \(string\)/);
    expect(acc).toEqual({ v: 1 });
    expect(() => f({ v: 1n }, { v: 2 })).toThrow(TypeError);
    expect(() => f({ v: null }, { v: 2 })).toThrow(TypeError);
  });
});

describe('byAggregator (minBy / maxBy)', () => {
  const minBy = byAggregator<{ v: number; id: string }>('v', (c, cur) => c < cur);
  const maxBy = byAggregator<{ v: number; id: string }>('v', (c, cur) => c > cur);

  test('returns the whole record holding the extreme, by identity, without copying or mutating', () => {
    const a = deepFreeze({ v: 3, id: 'a' });
    const b = deepFreeze({ v: 1, id: 'b' });
    expect(minBy(a, b)).toBe(b);
    expect(maxBy(a, b)).toBe(a);
  });

  test('first record wins on ties', () => {
    const a = deepFreeze({ v: 2, id: 'a' });
    const b = deepFreeze({ v: 2, id: 'b' });
    expect(minBy(a, b)).toBe(a);
    expect(maxBy(a, b)).toBe(a);
  });

  test('missing or non-number field throws TypeError', () => {
    expect(() => minBy({ v: 1, id: 'a' }, { id: 'b' } as any)).toThrow(TypeError);
    expect(() => maxBy({ v: 'x', id: 'a' } as any, { v: 1, id: 'b' })).toThrow(TypeError);
  });
});

describe('KeyedStream aggregation operators', () => {
  type Ev = { k: string; v: number; note: string };
  const events: Ev[] = deepFreeze([
    { k: 'a', v: 3, note: 'a1' },
    { k: 'b', v: 10, note: 'b1' },
    { k: 'a', v: 1, note: 'a2' },
    { k: 'a', v: 5, note: 'a3' },
    { k: 'b', v: 10, note: 'b2' },
    { k: 'a', v: 1, note: 'a4' },
  ]);
  const snapshot = JSON.stringify(events);

  afterEach(() => expect(JSON.stringify(events)).toBe(snapshot));

  test("sum('v') emits the running sum per key with the first record's other fields", () => {
    expect(runKeyed(events, (ks) => ks.sum('v'), (e) => e.k)).toEqual([
      { k: 'a', v: 3, note: 'a1' },
      { k: 'b', v: 10, note: 'b1' },
      { k: 'a', v: 4, note: 'a1' },
      { k: 'a', v: 9, note: 'a1' },
      { k: 'b', v: 20, note: 'b1' },
      { k: 'a', v: 10, note: 'a1' },
    ]);
  });

  test("min('v') and max('v') replace only the field", () => {
    expect(runKeyed(events, (ks) => ks.min('v'), (e) => e.k).map((e) => [e.v, e.note])).toEqual([
      [3, 'a1'],
      [10, 'b1'],
      [1, 'a1'],
      [1, 'a1'],
      [10, 'b1'],
      [1, 'a1'],
    ]);
    expect(runKeyed(events, (ks) => ks.max('v'), (e) => e.k).map((e) => [e.v, e.note])).toEqual([
      [3, 'a1'],
      [10, 'b1'],
      [3, 'a1'],
      [5, 'a1'],
      [10, 'b1'],
      [5, 'a1'],
    ]);
  });

  test("minBy('v') / maxBy('v') keep the whole record, the first one on ties", () => {
    expect(runKeyed(events, (ks) => ks.minBy('v'), (e) => e.k).map((e) => e.note)).toEqual(['a1', 'b1', 'a2', 'a2', 'b1', 'a2']);
    expect(runKeyed(events, (ks) => ks.maxBy('v'), (e) => e.k).map((e) => e.note)).toEqual(['a1', 'b1', 'a1', 'a3', 'b1', 'a3']);
  });

  test('sum on a tuple position', () => {
    const tuples = deepFreeze([
      ['x', 1, 'first'],
      ['x', 2, 'second'],
      ['y', 7, 'y'],
      ['x', 3, 'third'],
    ] as [string, number, string][]);
    expect(runKeyed(tuples, (ks) => ks.sum(1), (t) => t[0])).toEqual([
      ['x', 1, 'first'],
      ['x', 3, 'first'],
      ['y', 7, 'y'],
      ['x', 6, 'first'],
    ]);
  });

  test('sum() of numbers and sum(selector) → { key, value }', () => {
    expect(runKeyed([1, 2, 3, 4, 5], (ks) => ks.sum(), (n) => n % 2)).toEqual([1, 2, 4, 6, 9]);
    expect(runKeyed(events, (ks) => ks.max((e: Ev) => e.v * 2), (e) => e.k)).toEqual([
      { key: 'a', value: 6 },
      { key: 'b', value: 20 },
      { key: 'a', value: 6 },
      { key: 'a', value: 10 },
      { key: 'b', value: 20 },
      { key: 'a', value: 10 },
    ]);
  });

  test('a missing or non-number field fails with TypeError in the operator', () => {
    const bad = [{ k: 'a', v: 1 }, { k: 'a' }] as any[];
    expectTypeError(() => runKeyed(bad, (ks) => ks.sum('v'), (e) => e.k));
    expectTypeError(() => runKeyed(['1', '2'], (ks) => ks.sum(), () => 'k'));
    expectTypeError(() => runKeyed([{ k: 'a', v: 'x' }] as any[], (ks) => ks.sum((e: any) => e.v), (e: any) => e.k));
  });

  test("the first record of a key is checked too: sum('v') on { v: '5' } throws instead of emitting it", () => {
    // sum() and sum(selector) check every record, the first included; sum(field) must not let a
    // non-number field through just because it is the first record of its key.
    const bad = [{ k: 'a', v: '5' }] as any[];
    expectTypeError(() => runKeyed(bad, (ks) => ks.sum('v'), (e) => e.k));
    expectTypeError(() => runKeyed([{ k: 'a' }] as any[], (ks) => ks.max('v'), (e) => e.k));
  });
});
