/**
 * Properties: event-time windows in running jobs equal a plain reference
 * model (windowReference.ts), exactly — every fired window (key, window,
 * result) and every late record, nothing more.
 *
 * fast-check generates out-of-order event streams (negative timestamps,
 * duplicate times, a few keys), punctuated watermarks a random lag behind
 * the largest timestamp so far, a window definition (tumbling or sliding
 * with offsets, sessions with fixed and per-record gaps), allowed lateness, the window function (process,
 * reduce or aggregate, each with a process function formatting the
 * window) and the window operator's parallelism. The source runs at
 * parallelism 1 and makes the watermarks itself, so every window subtask
 * sees one ordered stream of records and watermarks: what is late is
 * decided, and equal to the model's.
 *
 * 1. No faults: the collected output equals the model.
 * 2. Faults and rescales: exactly-once checkpoints, window subtasks
 *    failing at random records (restored from the latest checkpoint, with
 *    their watermark), and a stop-with-savepoint mid-stream resumed at
 *    another parallelism; the lines the exactly-once FileSink committed
 *    equal the model — each window fired exactly once per firing.
 *
 * Replay: FC_SEED=<seed> npx jest property-tests/windows.prop.ts
 * Long run: FC_NUM_RUNS=500 npx jest property-tests/windows.prop.ts
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  EventTimeSessionWindows,
  FileSink,
  GeneratorSource,
  OutputTag,
  readCommittedLines,
  RestartStrategies,
  SlidingEventTimeWindows,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  Watermark,
  WatermarkStrategy,
  type DataStream,
  type ProcessWindowFunction,
  type TimeWindow,
  type WindowAssigner,
} from '../index';
import { FaultInjector, type Fault } from '../lib/testing/FaultInjector';
import { formatResult, referenceWindows, type WindowEvent, type WindowJob, type WindowSpec } from './windowReference';

const RUNS = Number(process.env.FC_NUM_RUNS ?? (process.env.CI ? 30 : 20));
const FAULT_RUNS = Math.max(1, Math.round(RUNS / 3));

const specArb: fc.Arbitrary<WindowSpec> = fc.oneof(
  fc.integer({ min: 1, max: 30 }).chain((size) =>
    fc.integer({ min: -(size - 1), max: size - 1 }).map((offset): WindowSpec => ({ kind: 'tumbling', size, offset })),
  ),
  fc
    .integer({ min: 2, max: 30 })
    .chain((size) => fc.integer({ min: 1, max: size }).map((slide) => ({ size, slide })))
    .chain(({ size, slide }) => fc.integer({ min: -(slide - 1), max: slide - 1 }).map((offset): WindowSpec => ({ kind: 'sliding', size, slide, offset }))),
  fc.integer({ min: 1, max: 20 }).map((gap): WindowSpec => ({ kind: 'session', gap })),
  fc.integer({ min: 1, max: 20 }).map((modulo): WindowSpec => ({ kind: 'dynamic-session', modulo })),
);

const jobArb: fc.Arbitrary<WindowJob> = fc.record({
  spec: specArb,
  lateness: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 25 })),
  fn: fc.constantFrom('process' as const, 'reduce' as const, 'aggregate' as const),
});

/** Timestamps rise by 2 per record with ±25 of disorder from −20 on; watermarks lag the largest timestamp so far. */
const eventsArb = (minLength: number): fc.Arbitrary<WindowEvent[]> =>
  fc
  .record({
    keys: fc.integer({ min: 1, max: 5 }),
    raw: fc.array(
      fc.record({ key: fc.nat(), jitter: fc.integer({ min: -25, max: 25 }), v: fc.integer({ min: 0, max: 9 }), emit: fc.boolean(), lag: fc.integer({ min: 0, max: 30 }) }),
      { minLength, maxLength: 160, size: 'max' },
    ),
  })
  .map(({ keys, raw }) => {
    let max = Number.NEGATIVE_INFINITY;
    return raw.map((r, id) => {
      const ts = id * 2 - 20 + r.jitter;
      max = Math.max(max, ts);
      return { id, key: r.key % keys, ts, v: r.v, ...(r.emit ? { wm: max - r.lag } : {}) };
    });
  });

function assigner(spec: WindowSpec): WindowAssigner<any, TimeWindow> {
  switch (spec.kind) {
    case 'tumbling':
      return TumblingEventTimeWindows.of(spec.size, spec.offset);
    case 'sliding':
      return SlidingEventTimeWindows.of(spec.size, spec.slide, spec.offset);
    case 'session':
      return EventTimeSessionWindows.withGap(spec.gap);
    case 'dynamic-session': {
      const modulo = spec.modulo;
      return EventTimeSessionWindows.withDynamicGap((e: WindowEvent) => 1 + (e.v % modulo));
    }
  }
}

/** The window results (`key|start|end|result`) and the late records (`late|id`) of the job, as one stream. */
function buildJob(env: StreamExecutionEnvironment, events: readonly WindowEvent[], job: WindowJob, ratePerSecond?: number): DataStream<string> {
  const strategy = WatermarkStrategy.forGenerator<WindowEvent>(() => ({
    onEvent(e, _ts, out) {
      if (e.wm !== undefined) out.emitWatermark(new Watermark(e.wm));
    },
    onPeriodicEmit() {},
  })).withTimestampAssigner((e) => e.ts);
  const source = env
    .fromSource(new GeneratorSource(events.length, (i) => events[i], ratePerSecond ? { ratePerSecond } : {}), strategy, 'events')
    .uid('events')
    .setParallelism(1);
  const late = new OutputTag<WindowEvent>('late');
  const windowed = source.keyBy((e) => e.key).window(assigner(job.spec)).allowedLateness(job.lateness).sideOutputLateData(late);
  const format = <T>(result: (elements: readonly T[]) => string): ProcessWindowFunction<T, string, number, TimeWindow> => ({
    process: (key, ctx, elements, out) => out.collect(`${key}|${ctx.window.start}|${ctx.window.end}|${result(elements)}`),
  });
  const fired =
    job.fn === 'process'
      ? windowed.process(format<WindowEvent>((els) => formatResult('process', els)))
      : job.fn === 'reduce'
        ? windowed.reduce((a, b) => ({ ...a, v: a.v + b.v }), format<WindowEvent>(([sum]) => String(sum.v)))
        : windowed.aggregate(
            {
              createAccumulator: () => ({ n: 0, s: 0 }),
              add: (e: WindowEvent, acc: { n: number; s: number }) => ({ n: acc.n + 1, s: acc.s + e.v }),
              getResult: (acc: { n: number; s: number }) => `${acc.n}:${acc.s}`,
              merge: (a: { n: number; s: number }, b: { n: number; s: number }) => ({ n: a.n + b.n, s: a.s + b.s }),
            },
            format<string>(([r]) => r),
          );
  fired.uid('window');
  return fired.union(fired.getSideOutput(late).map((e) => `late|${e.id}`));
}

function expected(events: readonly WindowEvent[], job: WindowJob): string[] {
  const ref = referenceWindows(events, job);
  return [...ref.fired, ...ref.late.map((id) => `late|${id}`)].sort();
}

describe('windows against the reference model', () => {
  test('random streams, watermarks, windows, lateness, functions and parallelism: the same fired windows and late records', async () => {
    await fc.assert(
      fc.asyncProperty(eventsArb(1), jobArb, fc.integer({ min: 1, max: 4 }), async (events, job, parallelism) => {
        const env = StreamExecutionEnvironment.create({ parallelism, bufferTimeoutMs: 1, frameSize: 16 });
        const got = await buildJob(env, events, job).executeAndCollect('windows');
        expect(got.sort()).toEqual(expected(events, job));
      }),
      { numRuns: RUNS },
    );
  });

  test('with failures, restores and a savepoint rescale: the committed output equals the model, exactly once', async () => {
    const faultsArb = fc.record({
      before: fc.integer({ min: 1, max: 4 }),
      after: fc.integer({ min: 1, max: 4 }),
      stopAfterMs: fc.option(fc.integer({ min: 5, max: 40 }), { nil: undefined }),
      failures: fc.array(fc.record({ subtask: fc.nat(), record: fc.integer({ min: 1, max: 60 }), attempt: fc.integer({ min: 1, max: 2 }) }), { maxLength: 2 }),
    });
    await fc.assert(
      fc.asyncProperty(eventsArb(80), jobArb, faultsArb, async (events, job, f) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-windows-prop-'));
        try {
          const out = path.join(dir, 'out');
          const run = (parallelism: number, faults: Fault[], savepointPath?: string) => {
            const env = StreamExecutionEnvironment.create({ parallelism, bufferTimeoutMs: 1, frameSize: 16, faults: new FaultInjector(faults), savepointPath });
            env.enableCheckpointing(4, 'exactly-once');
            env.setCheckpointStorage(path.join(dir, 'checkpoints'));
            env.setRestartStrategy(RestartStrategies.fixedDelay(5, 0));
            buildJob(env, events, job, 4000).sinkTo(new FileSink<string>(out)).uid('files').setParallelism(2);
            return env.executeAsync('windows with faults');
          };
          const faults = (p: number): Fault[] =>
            f.failures.map((x) => ({ kind: 'fail-at-record', operator: 'window', subtask: x.subtask % p, record: x.record, attempt: x.attempt }));
          const first = run(f.before, faults(f.before));
          let resumeFrom: string | undefined;
          if (f.stopAfterMs !== undefined) {
            await new Promise((r) => setTimeout(r, f.stopAfterMs));
            try {
              resumeFrom = await first.stopWithSavepoint(path.join(dir, 'savepoints'));
            } catch {
              // finished before the savepoint: nothing to resume
            }
          }
          const firstResult = await first.result();
          if (resumeFrom !== undefined && firstResult.savepoint !== undefined) {
            await run(f.after, faults(f.after), path.dirname(resumeFrom)).result();
          }
          expect(readCommittedLines(out).sort()).toEqual(expected(events, job));
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: FAULT_RUNS },
    );
  });
});
