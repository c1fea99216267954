/**
 * Event time end to end on the actor runtime: timestamps and watermarks from
 * a WatermarkStrategy (at the source or after it), watermarks through
 * network shuffles (the minimum over a task's inputs) and async I/O, the
 * final watermark of bounded input, and KeyedProcessFunction timers — event
 * time and processing time, checkpointed and restored at another
 * parallelism from a savepoint, exactly once with a failure in between.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AsyncDataStream,
  CollectionSource,
  GeneratorSource,
  GraphValidationError,
  RestartStrategies,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  WatermarkStrategy,
  type Collector,
  type KeyedProcessContext,
  type KeyedProcessFunction,
  type OnTimerContext,
  type RuntimeContext,
  type ValueState,
} from '../index';
import { FaultInjector } from '../lib/testing/FaultInjector';
import { ManualClock } from '../lib/testing/ManualClock';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-eventtime-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Ev {
  readonly key: string;
  readonly ts: number;
}

/** Per key: counts events, and at each event-time timer (end of the 10 ms bucket) emits the bucket's count. */
class BucketCount implements KeyedProcessFunction<string, Ev, string> {
  private counts!: ValueState<Record<string, number>>;
  open(ctx: RuntimeContext): void {
    this.counts = ctx.getState(new ValueStateDescriptor<Record<string, number>>('counts', {}));
  }
  processElement(e: Ev, ctx: KeyedProcessContext<string>, _out: Collector<string>): void {
    const end = Math.floor(e.ts / 10) * 10 + 9;
    const counts = { ...(this.counts.value() ?? {}) };
    counts[end] = (counts[end] ?? 0) + 1;
    this.counts.update(counts);
    ctx.timerService().registerEventTimeTimer(end);
  }
  onTimer(timestamp: number, ctx: OnTimerContext<string>, out: Collector<string>): void {
    const counts = { ...(this.counts.value() ?? {}) };
    out.collect(`${ctx.getCurrentKey()}@${timestamp}:${counts[timestamp]}:${ctx.timeDomain()}:${ctx.timestamp}`);
    delete counts[timestamp];
    this.counts.update(counts);
  }
}

function events(n: number, keys = 3): Ev[] {
  // Out of order by up to 5 ms.
  return Array.from({ length: n }, (_, i) => ({ key: `k${i % keys}`, ts: i + ((i * 7) % 6) - 3 }));
}

function expectedBuckets(evs: readonly Ev[]): string[] {
  const counts = new Map<string, number>();
  for (const e of evs) {
    const id = `${e.key}@${Math.floor(e.ts / 10) * 10 + 9}`;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return [...counts].map(([id, n]) => `${id}:${n}:EVENT_TIME:${id.split('@')[1]}`).sort();
}

test.each([
  ['at the source', true],
  ['after the source', false],
] as const)('event-time timers fire once per key and bucket with the timer time as the timestamp; strategy %s', async (_how, atSource) => {
  const evs = events(600);
  const env = StreamExecutionEnvironment.create({ parallelism: 3, bufferTimeoutMs: 1, autoWatermarkIntervalMs: 5 });
  const strategy = WatermarkStrategy.forBoundedOutOfOrderness<Ev>(6).withTimestampAssigner((e) => e.ts);
  const input = atSource
    ? env.fromSource(new CollectionSource(evs), strategy, 'events')
    : env.fromCollection(evs).rebalance().assignTimestampsAndWatermarks(strategy);
  const out = await input.keyBy((e) => e.key).process(new BucketCount()).executeAndCollect();
  expect([...out].sort()).toEqual(expectedBuckets(evs));
});

test('a watermark is the minimum over a task\'s inputs: a subtask far ahead in event time does not make the other one late', async () => {
  // Two source subtasks (the collection is dealt round-robin): one reads events at 1000.., the other at 0...
  const env = StreamExecutionEnvironment.create({ parallelism: 2, bufferTimeoutMs: 1, autoWatermarkIntervalMs: 1 });
  const evs: Ev[] = [];
  for (let i = 0; i < 300; i++) evs.push({ key: 'fast', ts: 1000 + i }, { key: 'slow', ts: i });
  let late = 0;
  const watermarks: number[] = [];
  env
    .fromSource(new CollectionSource(evs), WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts), 'events')
    .keyBy(() => 'all')
    .process({
      processElement(e: Ev, ctx: KeyedProcessContext<string>) {
        const wm = ctx.timerService().currentWatermark();
        watermarks.push(wm);
        if (e.ts <= wm) late++;
      },
    })
    .sinkTo(() => {});
  await env.execute('min watermark');
  expect(late).toBe(0);
  expect(Math.max(...watermarks)).toBeLessThan(300); // never the fast subtask's
});

test('watermarks pass async I/O behind the results of earlier inputs, so no result is late', async () => {
  const evs = events(300);
  const env = StreamExecutionEnvironment.create({ parallelism: 2, bufferTimeoutMs: 1, autoWatermarkIntervalMs: 2 });
  const timed = env.fromSource(new CollectionSource(evs), WatermarkStrategy.forBoundedOutOfOrderness<Ev>(6).withTimestampAssigner((e) => e.ts), 'events');
  const enriched = AsyncDataStream.unorderedWait(timed, (e: Ev) => new Promise<Ev>((r) => setTimeout(() => r(e), (e.ts * 13) % 7)), { timeoutMs: 10_000, capacity: 20 });
  let late = 0;
  const out = await enriched
    .keyBy((e) => e.key)
    .process({
      processElement(e: Ev, ctx: KeyedProcessContext<string>, o: Collector<Ev>) {
        if (e.ts <= ctx.timerService().currentWatermark()) late++;
        o.collect(e);
      },
    })
    .executeAndCollect();
  expect(out).toHaveLength(300);
  expect(late).toBe(0);
});

test('processing-time timers fire on the job clock, under their key, without an event timestamp', async () => {
  const clock = new ManualClock(1_000);
  const env = StreamExecutionEnvironment.create({ parallelism: 1, clock, bufferTimeoutMs: 0 });
  const stream = env.fromGenerator('unbounded', (i) => ({ key: `d${i % 2}`, ts: i }), { ratePerSecond: 100 }).uid('devices');
  const alerts: string[] = [];
  let seen = 0;
  stream
    .keyBy((e) => e.key)
    .process({
      processElement(e: Ev, ctx: KeyedProcessContext<string>) {
        seen++;
        if (e.ts < 2) ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + 500);
      },
      onTimer(t: number, ctx: OnTimerContext<string>) {
        alerts.push(`${ctx.getCurrentKey()}@${t}:${ctx.timeDomain()}:${String(ctx.timestamp)}`);
      },
    })
    .sinkTo(() => {});
  const job = env.executeAsync('processing time');
  try {
    // The generator's rate limiter runs on the same clock: one record now, the next 10 ms later.
    await until(() => seen >= 1);
    clock.advance(10);
    await until(() => seen >= 2);
    expect(alerts).toEqual([]);
    clock.advance(489);
    await new Promise((r) => setTimeout(r, 50));
    expect(alerts).toEqual([]);
    clock.advance(600);
    await until(() => alerts.length === 2);
    expect(alerts.sort()).toEqual(['d0@1500:PROCESSING_TIME:undefined', 'd1@1510:PROCESSING_TIME:undefined']);
  } finally {
    await job.cancel();
  }
});

test('timers survive a failure and a savepoint restored at another parallelism: each fires exactly once', async () => {
  const evs = events(900, 7);
  const source = () => new CollectionSource(evs);
  const strategy = WatermarkStrategy.forBoundedOutOfOrderness<Ev>(6).withTimestampAssigner((e) => e.ts);
  const build = (env: StreamExecutionEnvironment) => {
    env.enableCheckpointing(5);
    env.setRestartStrategy(RestartStrategies.fixedDelay(3, 0));
    return env.fromSource(source(), strategy, 'events').uid('events').keyBy((e) => e.key).process(new BucketCount()).uid('buckets');
  };
  const env = StreamExecutionEnvironment.create({
    parallelism: 2,
    bufferTimeoutMs: 1,
    autoWatermarkIntervalMs: 1,
    faults: new FaultInjector([{ kind: 'fail-at-record', operator: 'buckets', subtask: 1, record: 200 }]),
  });
  const out = await build(env).executeAndCollect();
  expect([...out].sort()).toEqual(expectedBuckets(evs));

  // Stop half-way with a savepoint, resume at parallelism 3: timers registered before the stop fire after it.
  const slow = StreamExecutionEnvironment.create({ parallelism: 2, bufferTimeoutMs: 1, autoWatermarkIntervalMs: 1 });
  slow.enableCheckpointing(20);
  const collected: string[] = [];
  const run = (e: StreamExecutionEnvironment, rate?: number) =>
    e
      .fromSource(rate ? new GeneratorSource(evs.length, (i) => evs[i], { ratePerSecond: rate }) : new GeneratorSource(evs.length, (i) => evs[i]), strategy, 'events')
      .uid('events')
      .keyBy((x) => x.key)
      .process(new BucketCount())
      .uid('buckets')
      .sinkTo((s: string) => void collected.push(s))
      .uid('sink');
  run(slow, 2000);
  const a = slow.executeAsync('first half');
  await until(() => collected.length > 20);
  const savepoint = await a.stopWithSavepoint(path.join(dir, 'sp'));
  await a.result();
  const resumed = StreamExecutionEnvironment.create({ parallelism: 3, savepointPath: savepoint, bufferTimeoutMs: 1, autoWatermarkIntervalMs: 1 });
  run(resumed);
  await resumed.execute('second half');
  // The sink here is not exactly-once across the stop, but a stop commits everything before its barrier:
  // every bucket fired exactly once over both runs.
  expect([...collected].sort()).toEqual(expectedBuckets(evs));
});

test('assignTimestampsAndWatermarks needs a WatermarkStrategy', () => {
  const env = StreamExecutionEnvironment.create();
  expect(() => env.fromCollection([1]).assignTimestampsAndWatermarks({} as never)).toThrow(GraphValidationError);
});

async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}
