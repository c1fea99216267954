/**
 * Emitted records never change afterwards, and the caller's input is never
 * modified (issue 6, case 11). Functions may change the records they receive
 * and emit them; a reduce may change and return its accumulator; a process
 * function may change what it read from state, update it and emit it. Weir
 * copies where it would otherwise hand out an object it keeps (items of
 * fromCollection, what stateful operators emit) — unless `objectReuse`.
 */
import {
  FaultInjector,
} from '../testing';
import {
  RestartStrategies,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  type Collector,
  type KeyedProcessContext,
  type RuntimeContext,
  type ValueState,
} from '../index';

interface Count {
  n: number;
}

const ones = (): Count[] => [{ n: 1 }, { n: 1 }, { n: 1 }];

test('a reduce that changes and returns its accumulator emits 1, 2, 3 (not 3, 3, 3)', async () => {
  const out = await StreamExecutionEnvironment.create()
    .fromCollection(ones())
    .keyBy(() => 'k')
    .reduce((acc, v) => {
      acc.n += v.n;
      return acc;
    })
    .executeAndCollect();
  expect(out).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
});

test('a keyed process function that changes the object it read from state, updates and emits it', async () => {
  class Tally {
    private tally!: ValueState<Count>;
    open(ctx: RuntimeContext) {
      this.tally = ctx.getState(new ValueStateDescriptor<Count>('tally', { n: 0 }));
    }
    processElement(r: Count, _ctx: KeyedProcessContext<string>, out: Collector<Count>) {
      const t = this.tally.value()!;
      t.n += r.n;
      this.tally.update(t);
      out.collect(t);
    }
  }
  const out = await StreamExecutionEnvironment.create().fromCollection(ones()).keyBy(() => 'k').process(new Tally()).executeAndCollect();
  expect(out).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
});

test('a process function that keeps an object in a field and changes it after emitting it', async () => {
  const out = await StreamExecutionEnvironment.create()
    .fromCollection(ones())
    .process({
      running: { n: 0 },
      processElement(r: Count, _ctx: unknown, out: Collector<Count>) {
        this.running.n += r.n;
        out.collect(this.running);
      },
    } as { running: Count; processElement(r: Count, ctx: unknown, out: Collector<Count>): void })
    .executeAndCollect();
  expect(out).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
});

test('changing what a sum emitted does not change the running sum', async () => {
  const out = await StreamExecutionEnvironment.create()
    .fromCollection([
      { k: 'a', n: 1, tags: ['x'] },
      { k: 'a', n: 1, tags: ['y'] },
      { k: 'a', n: 1, tags: ['z'] },
    ])
    .keyBy((r) => r.k)
    .sum('n')
    .map((r) => {
      r.n *= 100; // chained after the sum: the same call stack
      r.tags.push('seen');
      return r;
    })
    .executeAndCollect();
  expect(out).toEqual([
    { k: 'a', n: 100, tags: ['x', 'seen'] },
    { k: 'a', n: 200, tags: ['x', 'seen'] },
    { k: 'a', n: 300, tags: ['x', 'seen'] },
  ]);
});

test("the caller's array and its objects are never modified by a mutating map", async () => {
  const input = [{ v: 1, nested: { w: [1] } }, { v: 2, nested: { w: [2] } }];
  const before = structuredClone(input);
  const out = await StreamExecutionEnvironment.create()
    .fromCollection(input)
    .map((r) => {
      r.v *= 10;
      r.nested.w.push(0);
      return r;
    })
    .executeAndCollect();
  expect(input).toEqual(before);
  expect(out).toEqual([
    { v: 10, nested: { w: [1, 0] } },
    { v: 20, nested: { w: [2, 0] } },
  ]);
});

test('a replay after a failure sees the items unchanged, so a mutating map stays exactly-once', async () => {
  const input = Array.from({ length: 2000 }, (_, i) => ({ v: i }));
  const faults = new FaultInjector([{ kind: 'fail-at-record', operator: 'bump', subtask: 0, record: 1500 }]);
  const env = StreamExecutionEnvironment.create({ faults, frameSize: 64 });
  env.enableCheckpointing(5);
  env.setRestartStrategy(RestartStrategies.fixedDelay(1, 0));
  const out = await env
    .fromCollection(input)
    .map((r) => {
      r.v += 1;
      return r;
    })
    .uid('bump')
    .executeAndCollect();
  expect(faults.timeline).toHaveLength(1);
  expect(out.map((r) => r.v)).toEqual(input.map((_, i) => i + 1));
});

test('objectReuse: true turns the copies off (the items themselves reach the sink)', async () => {
  const input = [{ v: 1 }, { v: 2 }];
  const seen: unknown[] = [];
  const reuse = StreamExecutionEnvironment.create({ objectReuse: true });
  reuse.fromCollection(input).sinkTo((r) => void seen.push(r));
  await reuse.execute();
  expect(seen[0]).toBe(input[0]);
  expect(seen[1]).toBe(input[1]);

  const copies: unknown[] = [];
  const plain = StreamExecutionEnvironment.create();
  plain.fromCollection(input).sinkTo((r) => void copies.push(r));
  await plain.execute();
  expect(copies).toEqual(input);
  expect(copies[0]).not.toBe(input[0]);
});

test('objectReuse reaches the operators: a process function emits its own object, not a copy', async () => {
  const kept = { n: 0 };
  const seen: unknown[] = [];
  const env = StreamExecutionEnvironment.create({ objectReuse: true });
  env
    .fromCollection([1])
    .process({
      processElement(_x: number, _ctx: unknown, out: Collector<Count>) {
        out.collect(kept);
      },
    })
    .sinkTo((r) => void seen.push(r));
  await env.execute();
  expect(seen[0]).toBe(kept);
});

test('built-in aggregations emit copies even with objectReuse: their state object changes in place', async () => {
  const out = await StreamExecutionEnvironment.create({ objectReuse: true })
    .fromCollection([
      { k: 'a', n: 1 },
      { k: 'a', n: 2 },
    ])
    .keyBy((r) => r.k)
    .sum('n')
    .executeAndCollect();
  expect(out).toEqual([
    { k: 'a', n: 1 },
    { k: 'a', n: 3 },
  ]);
});

test('objectReuse must be a boolean', () => {
  expect(() => StreamExecutionEnvironment.create({ objectReuse: 'yes' as never })).toThrow(/'objectReuse': must be a boolean/);
});

// A record sent to several consumers: each gets its own object (copies for all but one), unless objectReuse.
test('a chained fan-out: a mutating branch does not change what the other branch received', async () => {
  const env = StreamExecutionEnvironment.create();
  const seen: { n: number }[] = [];
  const s = env.fromCollection([1, 2]).map((n) => ({ n }));
  s.sinkTo((r) => void seen.push(r));
  s.map((r) => {
    r.n *= 100;
    return r;
  }).sinkTo(() => {});
  await env.execute();
  expect(seen).toEqual([{ n: 1 }, { n: 2 }]);
});

test('a broadcast: a mutating consumer subtask does not change what the other subtasks received', async () => {
  const env = StreamExecutionEnvironment.create({ parallelism: 2 });
  const seen: { n: number }[] = [];
  env
    .fromCollection([1, 2])
    .map((n) => ({ n }))
    .setParallelism(1)
    .broadcast()
    .process({
      processElement(r: { n: number }, _ctx: unknown, out: { collect(v: { n: number }): void }) {
        out.collect({ ...r });
        r.n = -1; // this subtask's own business — unless another subtask holds the same object
      },
    })
    .sinkTo((r) => void seen.push(r));
  await env.execute();
  expect(seen.map((r) => r.n).sort()).toEqual([1, 1, 2, 2]);
});
