/**
 * Event-time windows: a sum per key over 1,000 keys and 1M records with
 * event time 1 ms apart, in the window operator against a hand-written loop
 * doing the same work (a Map of per-key sums per open window, each window
 * emitted and dropped once event time passes its end). Cases: tumbling
 * 10 s windows (aggregate) at parallelism 1 and 2, sliding 10 s / 2 s
 * windows (each record in 5 windows; the loop does the same), tumbling
 * windows with a process function over every element (list state), and
 * session windows (a merging window set per key).
 */
import { EventTimeSessionWindows, SlidingEventTimeWindows, StreamExecutionEnvironment, TumblingEventTimeWindows, WatermarkStrategy, type AggregateFunction } from '../index';
import { GeneratorSource } from '../lib/connectors/GeneratorSource';
import { best, type CaseResult } from './harness';

interface Ev {
  readonly key: string;
  readonly ts: number;
  readonly v: number;
}

const KEYS = 1_000;
const SIZE = 10_000;
const SLIDE = 2_000;
const keyNames = Array.from({ length: KEYS }, (_, i) => `k${i}`);
const generate = (i: number): Ev => ({ key: keyNames[(i * 7919) % KEYS], ts: i, v: i % 10 });

const sum: AggregateFunction<Ev, number, number> = { createAccumulator: () => 0, add: (e, a) => a + e.v, getResult: (a) => a, merge: (a, b) => a + b };

/** The loop: per open window a Map key → sum; a window is emitted and dropped when the timestamp passes its end. */
function loop(records: number, size: number, slide: number, emit: (n: number) => void): void {
  const open = new Map<number, Map<string, number>>();
  for (let i = 0; i < records; i++) {
    const e = generate(i);
    for (const [start, sums] of open) {
      if (start + size <= e.ts) {
        for (const s of sums.values()) emit(s);
        open.delete(start);
      }
    }
    const last = e.ts - (e.ts % slide);
    for (let start = last; start > e.ts - size; start -= slide) {
      let sums = open.get(start);
      if (sums === undefined) open.set(start, (sums = new Map()));
      sums.set(e.key, (sums.get(e.key) ?? 0) + e.v);
    }
  }
  for (const sums of open.values()) for (const s of sums.values()) emit(s);
}

export async function run(records = 1_000_000): Promise<CaseResult> {
  let emitted = 0;
  const sink = (n: number) => {
    emitted += n > -1 ? 1 : 0;
  };
  const strategy = WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts);
  const source = () => new GeneratorSource(records, generate);
  const env = (p: number) => StreamExecutionEnvironment.create({ parallelism: p, autoWatermarkIntervalMs: 50 });

  const tumblingLoop = await best('loop: tumbling 10 s sums', records, 3, () => loop(records, SIZE, SIZE, sink));
  const slidingLoop = await best('loop: sliding 10 s / 2 s sums', records, 3, () => loop(records, SIZE, SLIDE, sink));
  const tumbling = (p: number) =>
    best(`engine: tumbling 10 s aggregate, p=${p}`, records, 3, async () => {
      const e = env(p);
      e.fromSource(source(), strategy, 'events').keyBy((x) => x.key).window(TumblingEventTimeWindows.of(SIZE)).aggregate(sum).sinkTo(sink);
      await e.execute('tumbling');
    });
  const t1 = await tumbling(1);
  const t2 = await tumbling(2);
  const sliding = await best('engine: sliding 10 s / 2 s aggregate, p=1', records, 3, async () => {
    const e = env(1);
    e.fromSource(source(), strategy, 'events').keyBy((x) => x.key).window(SlidingEventTimeWindows.of(SIZE, SLIDE)).aggregate(sum).sinkTo(sink);
    await e.execute('sliding');
  });
  const processed = await best('engine: tumbling 10 s process (every element), p=1', records, 3, async () => {
    const e = env(1);
    e.fromSource(source(), strategy, 'events')
      .keyBy((x) => x.key)
      .window(TumblingEventTimeWindows.of(SIZE))
      .process<number>({ process: (_k, _ctx, els, out) => out.collect(els.reduce((s, x) => s + x.v, 0)) })
      .sinkTo(sink);
    await e.execute('process');
  });
  const sessions = await best('engine: session windows (gap 5 s) aggregate, p=1', records, 3, async () => {
    const e = env(1);
    e.fromSource(source(), strategy, 'events').keyBy((x) => x.key).window(EventTimeSessionWindows.withGap(5_000)).aggregate(sum).sinkTo(sink);
    await e.execute('sessions');
  });
  if (emitted === -1) console.log('');
  return {
    name: `event-time windows, ${KEYS} keys, ${records / 1e6}M records`,
    measurements: [tumblingLoop, t1, t2, processed, sessions, slidingLoop, sliding],
    ratios: {
      'tumbling p=1 / loop': t1.recordsPerSecond / tumblingLoop.recordsPerSecond,
      'tumbling p=2 / loop': t2.recordsPerSecond / tumblingLoop.recordsPerSecond,
      'sliding p=1 / loop': sliding.recordsPerSecond / slidingLoop.recordsPerSecond,
      'process (list) / aggregate': processed.recordsPerSecond / t1.recordsPerSecond,
      'sessions / tumbling': sessions.recordsPerSecond / t1.recordsPerSecond,
    },
    targets: {},
  };
}
