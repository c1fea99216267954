/**
 * Interval joins end to end on the actor runtime: two keyed streams of
 * different parallelism joined within inclusive (or exclusive) bounds match
 * a nested-loop reference; exactly once through a failure with checkpoints
 * (buffers and cleanup timers restored); and the API's argument checks.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CollectionSource,
  FileSink,
  GraphValidationError,
  IntervalJoinTimestampError,
  JobExecutionError,
  readCommittedLines,
  RestartStrategies,
  StreamExecutionEnvironment,
  WatermarkStrategy,
  type Collector,
  type ProcessJoinContext,
} from '../index';
import { FaultInjector } from '../lib/testing/FaultInjector';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-intervaljoin-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Ev {
  readonly id: string;
  readonly key: number;
  readonly ts: number;
}

// Out of order by at most 3 ms on each side; the watermarks allow 4.
const lefts: Ev[] = Array.from({ length: 400 }, (_, i) => ({ id: `L${i}`, key: i % 5, ts: i * 3 + ((i * 7) % 5) - 2 }));
const rights: Ev[] = Array.from({ length: 600 }, (_, j) => ({ id: `R${j}`, key: j % 5, ts: j * 2 + ((j * 3) % 4) - 1 }));
const strategy = () => WatermarkStrategy.forBoundedOutOfOrderness<Ev>(4).withTimestampAssigner((e) => e.ts);

function reference(lo: number, hi: number, loInclusive = true, hiInclusive = true): string[] {
  const out: string[] = [];
  for (const l of lefts) {
    for (const r of rights) {
      if (l.key !== r.key) continue;
      const above = loInclusive ? r.ts >= l.ts + lo : r.ts > l.ts + lo;
      const below = hiInclusive ? r.ts <= l.ts + hi : r.ts < l.ts + hi;
      if (above && below) out.push(`${l.id}+${r.id}@${Math.max(l.ts, r.ts)}`);
    }
  }
  return out.sort();
}

const joinFn = {
  processElement(l: Ev, r: Ev, ctx: ProcessJoinContext, out: Collector<string>) {
    out.collect(`${l.id}+${r.id}@${ctx.timestamp}`);
  },
};

function build(env: StreamExecutionEnvironment, lo: number, hi: number, configure: (j: any) => any = (j) => j) {
  const left = env.fromSource(new CollectionSource(lefts), strategy(), 'lefts').uid('lefts').setParallelism(1);
  const right = env.fromSource(new CollectionSource(rights), strategy(), 'rights').uid('rights').setParallelism(1);
  return configure(
    left
      .rebalance()
      .map((e) => e)
      .setParallelism(2)
      .keyBy((e) => e.key)
      .intervalJoin(right.keyBy((e) => e.key))
      .between(lo, hi),
  ).process(joinFn);
}

test('two keyed streams joined within inclusive bounds equal a nested-loop reference', async () => {
  const env = StreamExecutionEnvironment.create({ parallelism: 3, bufferTimeoutMs: 1, autoWatermarkIntervalMs: 1 });
  const out = await build(env, -4, 6).executeAndCollect();
  expect([...out].sort()).toEqual(reference(-4, 6));
});

test('exclusive bounds leave out the pairs exactly at them', async () => {
  const env = StreamExecutionEnvironment.create({ parallelism: 2, bufferTimeoutMs: 1, autoWatermarkIntervalMs: 1 });
  const out = await build(env, -4, 6, (j) => j.lowerBoundExclusive().upperBoundExclusive()).executeAndCollect();
  const expected = reference(-4, 6, false, false);
  expect(expected.length).toBeLessThan(reference(-4, 6).length);
  expect([...out].sort()).toEqual(expected);
});

test('exactly once through a failure: buffers and cleanup timers come back from the checkpoint', async () => {
  const env = StreamExecutionEnvironment.create({
    parallelism: 2,
    bufferTimeoutMs: 1,
    autoWatermarkIntervalMs: 1,
    frameSize: 8,
    // Which subtask owns more keys depends on the key groups: fail both, at different points.
    faults: new FaultInjector([
      { kind: 'fail-at-record', operator: 'join', subtask: 0, record: 150 },
      { kind: 'fail-at-record', operator: 'join', subtask: 1, record: 300 },
    ]),
  });
  env.enableCheckpointing(5, 'exactly-once');
  env.setRestartStrategy(RestartStrategies.fixedDelay(3, 0));
  const files = path.join(dir, 'out');
  const left = env.fromSource(new CollectionSource(lefts), strategy(), 'lefts').uid('lefts');
  const right = env.fromSource(new CollectionSource(rights), strategy(), 'rights').uid('rights');
  left
    .keyBy((e) => e.key)
    .intervalJoin(right.keyBy((e) => e.key))
    .between(-4, 6)
    .process(joinFn)
    .uid('join')
    .sinkTo(new FileSink<string>(files))
    .uid('files');
  const result = await env.execute('interval join');
  expect(result.restarts.length).toBeGreaterThanOrEqual(1);
  expect(readCommittedLines(files).sort()).toEqual(reference(-4, 6));
});

test('records without timestamps fail the job with IntervalJoinTimestampError', async () => {
  const env = StreamExecutionEnvironment.create({ parallelism: 1 });
  const a = env.fromCollection([{ k: 1 }]).keyBy((x) => x.k);
  const b = env.fromCollection([{ k: 1 }]).keyBy((x) => x.k);
  a.intervalJoin(b).between(0, 1).process({ processElement() {} }).sinkTo(() => {});
  const error = await env.execute('no timestamps').then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(JobExecutionError);
  expect((error as JobExecutionError).cause).toBeInstanceOf(IntervalJoinTimestampError);
  expect(String(error)).toMatch(/left record \{"k":1\} has no event timestamp/);
});

test('arguments are checked with GraphValidationError naming the problem', () => {
  const env = StreamExecutionEnvironment.create();
  const a = env.fromCollection([1]).keyBy((x) => x);
  const b = env.fromCollection([2]).keyBy((x) => x);
  expect(() => a.intervalJoin(env.fromCollection([3]) as never)).toThrow(/needs a KeyedStream/);
  expect(() => a.intervalJoin(StreamExecutionEnvironment.create().fromCollection([1]).keyBy((x) => x))).toThrow(/same environment/);
  expect(() => a.intervalJoin(b).between(2, 1)).toThrow(/lower bound 2 is above upper bound 1/);
  expect(() => a.intervalJoin(b).between(0.5, 1)).toThrow(/lower bound must be an integer/);
  expect(() => a.intervalJoin(b).between(0, Infinity)).toThrow(GraphValidationError);
  expect(() => a.intervalJoin(b).between(0, 0).lowerBoundExclusive().process(joinFn as never)).toThrow(/\(0, 0\] holds no whole ms/);
  expect(() => a.intervalJoin(b).between(0, 1).process({} as never)).toThrow(/processElement/);
  expect(() => a.intervalJoin(b).between(0, 1).sideOutputLeftLateData('late' as never)).toThrow(/needs an OutputTag/);
});
