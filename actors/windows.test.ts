/**
 * Windows end to end on the actor runtime, through the public API: keyed
 * event-time windows behind a shuffle from a parallel source (the window
 * operator's watermark is the minimum over its channels), late data as a
 * side output, count windows (tumbling and sliding), windowAll at
 * parallelism 1, processing-time windows on the job clock, and the graph
 * checks that reject a window definition before the job runs.
 */
import {
  CollectionSource,
  CountTrigger,
  EventTimeSessionWindows,
  GraphValidationError,
  OutputTag,
  ReducingStateDescriptor,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  Watermark,
  WatermarkStrategy,
  type ProcessWindowFunction,
  type TimeWindow,
  type Trigger,
} from '../index';
import { ManualClock } from '../lib/testing/ManualClock';

interface Sale {
  readonly product: string;
  readonly ts: number;
  readonly amount: number;
}

const sales: Sale[] = [];
for (let i = 0; i < 400; i++) sales.push({ product: `p${(i * 7) % 5}`, ts: i * 3 + ((i * 13) % 11), amount: (i % 9) + 1 });

const byTime = WatermarkStrategy.forBoundedOutOfOrderness<Sale>(10).withTimestampAssigner((s) => s.ts);

/** Sum per product and 100 ms window, computed directly. */
function expectedSums(): string[] {
  const m = new Map<string, number>();
  for (const s of sales) {
    const k = `${s.product}@${Math.floor(s.ts / 100) * 100}`;
    m.set(k, (m.get(k) ?? 0) + s.amount);
  }
  return [...m].map(([k, v]) => `${k}=${v}`).sort();
}

const describeWindow: ProcessWindowFunction<Sale, string, string, TimeWindow> = {
  process: (product, ctx, [total], out) => out.collect(`${product}@${ctx.window.start}=${total.amount}`),
};

test('keyed tumbling event-time windows behind a shuffle from a parallel source fire once each, with every record', async () => {
  const env = StreamExecutionEnvironment.create({ parallelism: 3, bufferTimeoutMs: 1, autoWatermarkIntervalMs: 1 });
  const got = await env
    .fromSource(new CollectionSource(sales), byTime, 'sales')
    .keyBy((s) => s.product)
    .window(TumblingEventTimeWindows.of(100))
    .reduce((a, b) => ({ ...a, amount: a.amount + b.amount }), describeWindow)
    .executeAndCollect();
  expect(got.sort()).toEqual(expectedSums());
});

test('late records go to the side output; the windows they missed are not changed', async () => {
  const env = StreamExecutionEnvironment.create({ parallelism: 1, bufferTimeoutMs: 1 });
  // 50 is late: the watermark passed 99 (its window's end) at the record before it.
  const input: Sale[] = [
    { product: 'a', ts: 10, amount: 1 },
    { product: 'a', ts: 120, amount: 2 },
    { product: 'a', ts: 50, amount: 4 },
    { product: 'a', ts: 130, amount: 8 },
  ];
  const late = new OutputTag<Sale>('late-sales');
  // A punctuated watermark right after each record, so what is late is decided by the input order alone.
  const punctuated = WatermarkStrategy.forGenerator<Sale>(() => {
    let max = Number.NEGATIVE_INFINITY;
    return {
      onEvent(s, _ts, out) {
        max = Math.max(max, s.ts);
        out.emitWatermark(new Watermark(max - 1));
      },
      onPeriodicEmit() {},
    };
  }).withTimestampAssigner((s) => s.ts);
  const w2 = env
    .fromSource(new CollectionSource(input), punctuated, 'sales')
    .keyBy((s) => s.product)
    .window(TumblingEventTimeWindows.of(100))
    .sideOutputLateData(late)
    .reduce((a, b) => ({ ...a, amount: a.amount + b.amount }), describeWindow);
  const got = await w2.union(w2.getSideOutput(late).map((s) => `late ${s.ts}`)).executeAndCollect();
  expect(got.sort()).toEqual(['a@0=1', 'a@100=10', 'late 50']);
});

test('count windows: tumbling every n records of a key, sliding the last n every m', async () => {
  const env = StreamExecutionEnvironment.create({ parallelism: 2, bufferTimeoutMs: 1 });
  const numbers = env.fromCollection(Array.from({ length: 20 }, (_, i) => i));
  const tumbling = numbers
    .keyBy((n) => n % 2)
    .countWindow(3)
    .reduce((a, b) => a + b)
    .map((s) => `t${s}`);
  const sliding = numbers
    .keyBy((n) => n % 2)
    .countWindow(3, 2)
    .process<string>({ process: (key, _ctx, els, out) => out.collect(`s${key}:${els.join(',')}`) });
  const got = await tumbling.union(sliding).executeAndCollect();
  // evens 0..18: [0,2,4] [6,8,10] [12,14,16] (18 waits); odds: [1,3,5] [7,9,11] [13,15,17]
  expect(got.filter((g) => g.startsWith('t')).sort()).toEqual(['t6', 't24', 't42', 't9', 't27', 't45'].sort());
  // sliding fires at every 2nd record of a key with the last 3
  expect(got.filter((g) => g.startsWith('s0')).sort()).toEqual(
    ['s0:0,2', 's0:2,4,6', 's0:6,8,10', 's0:10,12,14', 's0:14,16,18'].sort(),
  );
});

test('windowAll sees the whole stream at parallelism 1, and refuses another parallelism', async () => {
  const env = StreamExecutionEnvironment.create({ parallelism: 3, bufferTimeoutMs: 1, autoWatermarkIntervalMs: 1 });
  const top = env
    .fromSource(new CollectionSource(sales), byTime, 'sales')
    .windowAll(TumblingEventTimeWindows.of(200))
    .process<string>({
      process(ctx, els, out) {
        const best = [...els].sort((a, b) => b.amount - a.amount || a.ts - b.ts)[0];
        out.collect(`${ctx.window.start}:${els.length}:${best.ts}`);
      },
    });
  expect(top.transformation.parallelism).toBe(1);
  expect(() => top.setParallelism(2)).toThrow(GraphValidationError);
  const got = await top.executeAndCollect();
  const windows = new Map<number, Sale[]>();
  for (const s of sales) windows.set(Math.floor(s.ts / 200) * 200, [...(windows.get(Math.floor(s.ts / 200) * 200) ?? []), s]);
  const want = [...windows].map(([start, els]) => `${start}:${els.length}:${[...els].sort((a, b) => b.amount - a.amount || a.ts - b.ts)[0].ts}`);
  expect(got.sort()).toEqual(want.sort());
  const counts = await StreamExecutionEnvironment.create({ parallelism: 2 })
    .fromCollection([1, 2, 3, 4, 5, 6, 7])
    .countWindowAll(3)
    .reduce((a, b) => a + b)
    .executeAndCollect();
  expect(counts).toEqual([6, 15]);
});

test('processing-time windows fire on the job clock', async () => {
  const clock = new ManualClock(0);
  const env = StreamExecutionEnvironment.create({ parallelism: 1, clock, bufferTimeoutMs: 0 });
  let seen = 0;
  const out: string[] = [];
  env
    .fromGenerator('unbounded', (i) => ({ product: 'a', ts: 0, amount: i }), { ratePerSecond: 100 })
    .map((s) => (seen++, s))
    .keyBy((s) => s.product)
    .window(TumblingProcessingTimeWindows.of(1_000))
    .process<string>({ process: (k, ctx, els, o) => o.collect(`${k}[${ctx.window.start},${ctx.window.end}) ${els.map((e) => e.amount).join(',')}`) })
    .sinkTo((line: string) => void out.push(line));
  const job = env.executeAsync('processing-time windows');
  const until = async (cond: () => boolean) => {
    for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
    expect(cond()).toBe(true);
  };
  try {
    await until(() => seen >= 1);
    clock.advance(10);
    await until(() => seen >= 2);
    expect(out).toEqual([]);
    clock.advance(989); // 999: the window's maxTimestamp
    await until(() => out.length === 1);
    expect(out).toEqual(['a[0,1000) 0,1']);
  } finally {
    await job.cancel();
  }
});

test('a custom trigger with its own per-window state: early firings every 3 records, then the final one', async () => {
  const count = new ReducingStateDescriptor<number>('early-count', (a, b) => a + b);
  const early: Trigger<Sale, TimeWindow> = {
    onElement(_s, _ts, window, ctx) {
      const c = ctx.getPartitionedState(count);
      c.add(1);
      ctx.registerEventTimeTimer(window.maxTimestamp());
      if ((c.get() ?? 0) % 3 === 0) return 'FIRE';
      return 'CONTINUE';
    },
    onEventTime: (time, window) => (time === window.maxTimestamp() ? 'FIRE' : 'CONTINUE'),
    onProcessingTime: () => 'CONTINUE',
    canMerge: () => false,
    onMerge() {},
    clear(window, ctx) {
      ctx.getPartitionedState(count).clear();
      ctx.deleteEventTimeTimer(window.maxTimestamp());
    },
    toString: () => 'EarlyEvery3',
  };
  const env = StreamExecutionEnvironment.create({ parallelism: 2, bufferTimeoutMs: 1 });
  const input: Sale[] = [1, 2, 3, 4, 5, 6, 7, 120].map((ts) => ({ product: 'a', ts, amount: 1 }));
  const got = await env
    .fromSource(new CollectionSource(input), WatermarkStrategy.forMonotonousTimestamps<Sale>().withTimestampAssigner((s) => s.ts), 'sales')
    .keyBy((s) => s.product)
    .window(TumblingEventTimeWindows.of(100))
    .trigger(early)
    .process<string>({ process: (_k, ctx, els, out) => out.collect(`${ctx.window.start}:${els.length}`) })
    .executeAndCollect();
  // [0,100): early at 3 and 6 elements, final with 7; [100,200): final with 1
  expect(got).toEqual(['0:3', '0:6', '0:7', '100:1']);
});

test('field aggregations per window: sum, min, max keep the first record with the field replaced; minBy, maxBy keep the record', async () => {
  const env = StreamExecutionEnvironment.create({ parallelism: 2, bufferTimeoutMs: 1 });
  const input: Sale[] = [
    { product: 'a', ts: 1, amount: 5 },
    { product: 'a', ts: 2, amount: 2 },
    { product: 'a', ts: 3, amount: 9 },
    { product: 'b', ts: 4, amount: 7 },
    { product: 'a', ts: 150, amount: 1 },
  ];
  const stream = env.fromSource(new CollectionSource(input), WatermarkStrategy.forMonotonousTimestamps<Sale>().withTimestampAssigner((s) => s.ts), 'sales');
  const windowed = () => stream.keyBy((s) => s.product).window(TumblingEventTimeWindows.of(100));
  const tag = (name: string) => (s: Sale) => `${name} ${s.product} ts=${s.ts} amount=${s.amount}`;
  const got = await windowed()
    .sum('amount')
    .map(tag('sum'))
    .union(
      windowed().min('amount').map(tag('min')),
      windowed().max('amount').map(tag('max')),
      windowed().minBy('amount').map(tag('minBy')),
      windowed().maxBy('amount').map(tag('maxBy')),
      stream.windowAll(TumblingEventTimeWindows.of(100)).sum('amount').map(tag('all')),
    )
    .executeAndCollect();
  expect(got.sort()).toEqual(
    [
      'sum a ts=1 amount=16',
      'sum b ts=4 amount=7',
      'sum a ts=150 amount=1',
      'min a ts=1 amount=2',
      'min b ts=4 amount=7',
      'min a ts=150 amount=1',
      'max a ts=1 amount=9',
      'max b ts=4 amount=7',
      'max a ts=150 amount=1',
      'minBy a ts=2 amount=2',
      'minBy b ts=4 amount=7',
      'minBy a ts=150 amount=1',
      'maxBy a ts=3 amount=9',
      'maxBy b ts=4 amount=7',
      'maxBy a ts=150 amount=1',
      'all a ts=1 amount=23',
      'all a ts=150 amount=1',
    ].sort(),
  );
});

describe('window definitions the graph refuses', () => {
  const keyed = () =>
    StreamExecutionEnvironment.create()
      .fromCollection([1, 2, 3])
      .keyBy((n) => n % 2);
  test('a trigger that cannot merge, with session windows', () => {
    const noMerge = Object.assign(Object.create(CountTrigger.of(2)) as object, { canMerge: () => false, toString: () => 'FirstOnly' }) as Trigger<number, TimeWindow>;
    expect(() => keyed().window(EventTimeSessionWindows.withGap(10)).trigger(noMerge)).toThrow(/FirstOnly cannot merge windows/);
  });
  test('an aggregate without merge, with session windows', () => {
    expect(() =>
      keyed()
        .window(EventTimeSessionWindows.withGap(10))
        .aggregate({ createAccumulator: () => 0, add: (v: number, a: number) => a + v, getResult: (a: number) => a }),
    ).toThrow(/needs merge\(a, b\)/);
  });
  test('negative lateness, a missing assigner, a window function without process', () => {
    expect(() => keyed().window(TumblingEventTimeWindows.of(10)).allowedLateness(-1)).toThrow(GraphValidationError);
    expect(() => keyed().window(undefined as never)).toThrow(/window\(\) needs a window assigner/);
    expect(() => keyed().window(TumblingEventTimeWindows.of(10)).process({} as never)).toThrow(/process\(key, context, elements, out\)/);
  });
});
