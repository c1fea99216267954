/**
 * Properties of async I/O (AsyncDataStream): results equal the synchronous
 * reference, and stay exactly-once across crashes with calls in flight.
 *
 * 1. The operator alone, on a ManualClock (fast, many cases): random inputs
 *    and timestamps, frames of random sizes fed as a task feeds them (only
 *    while the operator defers nothing), a simulated service whose latency
 *    is a seeded function of the input, random capacity, 0..n results per
 *    call, some calls slower than the timeout (the timeout handler's
 *    fallback stands in, at once or — after the late result — a little
 *    later). Up to two crashes: a snapshot at a random moment
 *    (encoded and decoded as a checkpoint would be), the run going on a
 *    little (its later output is lost with it), then a new operator restored
 *    from the snapshot and fed from the frame after it. The output before
 *    each snapshot plus the last run's output equals the reference — in
 *    order (ordered) or as a multiset (unordered), timestamps included —
 *    and no run ever has more than `capacity` calls in flight.
 * 2. Whole jobs on the actor runtime with real timers: a rate-limited
 *    source (p 1–2), the async operator (p 1–3) on a simulated service of
 *    random latency, checkpoints at a random interval, a crash of one async
 *    subtask when a checkpoint completes (and maybe another at a record of
 *    the next attempt), the exactly-once collect sink. The output holds
 *    every input's result exactly once; ordered mode keeps the order of each
 *    channel (source subtask → async subtask). Across the cases, crashes
 *    struck with calls in flight.
 *
 * Replay: FC_SEED=<seed> npx jest property-tests/asyncIo.prop.ts
 */
import fc from 'fast-check';
import { AsyncDataStream, CollectSink, MemoryCheckpointStorage, RestartStrategies, StreamExecutionEnvironment, type AsyncFunctionContext, type RichAsyncFunction } from '../index';
import { ASYNC_ELEMENTS_STATE, AsyncWaitOperator } from '../lib/operators/AsyncWaitOperator';
import type { AsyncOutputMode } from '../lib/operators/StreamElementQueue';
import { decodeState, encodeState } from '../lib/state/codec';
import { FaultInjector, type Fault } from '../lib/testing/FaultInjector';
import { ManualClock } from '../lib/testing/ManualClock';
import { OperatorHarness, type EmittedRecord } from '../lib/testing/OperatorHarness';
import { SimulatedService } from '../lib/testing/SimulatedService';
import { sleep } from '../lib/time/Clock';

const RUNS = Number(process.env.FC_NUM_RUNS ?? (process.env.CI ? 200 : 100));
const JOB_RUNS = Number(process.env.FC_NUM_RUNS ?? (process.env.CI ? 10 : 6));

const TIMEOUT_MS = 30;

interface OperatorScenario {
  readonly mode: AsyncOutputMode;
  readonly capacity: number;
  readonly input: readonly number[];
  readonly timestamps: boolean;
  readonly frameSizes: readonly number[];
  readonly framesPerTick: number;
  readonly seed: number;
  readonly withTimeouts: boolean;
  readonly crashes: readonly { readonly snapshotAtMs: number; readonly crashAfterMs: number }[];
}

/** Latency of the call for x: a seeded function of the input; with timeouts, some calls are slower than TIMEOUT_MS. */
function latency(sc: OperatorScenario, x: number): number {
  const h = Math.imul(x ^ sc.seed, 0x9e3779b1) >>> 0;
  if (sc.withTimeouts && h % 7 === 0) return TIMEOUT_MS + 5 + (h % 11);
  return h % 20;
}

/** 0, 1 or 2 results per input. */
const respond = (x: number): number | number[] => (x % 3 === 0 ? [] : x % 3 === 1 ? x * 2 : [x, x + 0.5]);
const fallback = (x: number) => -x - 1;
const asList = (r: number | number[]) => (Array.isArray(r) ? r : [r]);

function reference(sc: OperatorScenario): EmittedRecord<number>[] {
  return sc.input.flatMap((x, i) =>
    (latency(sc, x) < TIMEOUT_MS || !sc.withTimeouts ? asList(respond(x)) : [fallback(x)]).map((value) => ({ value, timestamp: sc.timestamps ? i * 10 : undefined })),
  );
}

function framesOf(sc: OperatorScenario): { values: number[]; timestamps: number[] | undefined }[] {
  const frames: { values: number[]; timestamps: number[] | undefined }[] = [];
  for (let i = 0, f = 0; i < sc.input.length; f++) {
    const size = sc.frameSizes[f % sc.frameSizes.length];
    const idx = Array.from({ length: Math.min(size, sc.input.length - i) }, (_, j) => i + j);
    frames.push({ values: idx.map((k) => sc.input[k]), timestamps: sc.timestamps ? idx.map((k) => k * 10) : undefined });
    i += idx.length;
  }
  return frames;
}

interface RunOutcome {
  readonly output: EmittedRecord<number>[];
  readonly awaitedAtOnce: number;
  /** Set when the run crashed: its snapshot, the frame to resume from, and its output before the snapshot. */
  readonly crash?: { readonly state: Record<string, unknown[]>; readonly fromFrame: number; readonly committed: number };
}

/** Runs the operator as a task would, from `fromFrame`, restored from `state`; crashes per `crash` if the run lasts that long. */
async function runOperator(
  sc: OperatorScenario,
  state: Record<string, unknown[]> | undefined,
  fromFrame: number,
  crash: OperatorScenario['crashes'][number] | undefined,
): Promise<RunOutcome> {
  const frames = framesOf(sc);
  const clock = new ManualClock();
  const service = new SimulatedService({ latencyMs: (_r, x: number) => latency(sc, x), respond, clock });
  // Odd inputs get their fallback asynchronously, 12 ms later: the late result may come first and must be ignored.
  const timeout = (x: number) => (x % 2 === 0 ? fallback(x) : sleep(clock, 12).then(() => fallback(x)));
  const fn: RichAsyncFunction<number, number> = sc.withTimeouts ? { asyncInvoke: service.call, timeout } : { asyncInvoke: service.call };
  const h = new OperatorHarness<number, number>(
    new AsyncWaitOperator<number, number>(fn, { mode: sc.mode, capacity: sc.capacity, timeoutMs: sc.withTimeouts ? TIMEOUT_MS : Infinity }),
    clock,
  );
  h.open(state);
  let next = fromFrame;
  let ended = false;
  let snapshot: RunOutcome['crash'] | undefined;
  for (let t = 0; t < 100_000; t++) {
    if (crash && snapshot === undefined && t === crash.snapshotAtMs) {
      // As a checkpoint stores it: encoded, decoded.
      const stored = decodeState<Record<string, unknown[]>>(encodeState(h.snapshot()), 'async state');
      snapshot = { state: stored, fromFrame: next, committed: h.output.length };
    }
    if (snapshot && t === crash!.snapshotAtMs + crash!.crashAfterMs) {
      h.close();
      return { output: h.output, awaitedAtOnce: awaitedAtOnce(service, sc), crash: snapshot };
    }
    for (let k = 0; k < sc.framesPerTick && !h.blocked; k++) {
      if (next < frames.length) h.processFrame(frames[next].values, frames[next].timestamps);
      else if (!ended) {
        h.endInput();
        ended = true;
      }
      next = Math.min(next + 1, frames.length);
    }
    if (ended && !h.blocked) {
      expect(h.snapshot()).toEqual({ [ASYNC_ELEMENTS_STATE]: [] });
      h.close();
      return { output: h.output, awaitedAtOnce: awaitedAtOnce(service, sc) };
    }
    await h.advance(1);
  }
  throw new Error('the operator did not finish');
}

/**
 * Most calls the operator awaited at once: at each call's start, the calls
 * started less than the timeout before and not yet settled (a call that
 * timed out is abandoned — its slot is free again — though the service may
 * still be working on it).
 */
function awaitedAtOnce(service: SimulatedService<number, number | number[]>, sc: OperatorScenario): number {
  const horizon = sc.withTimeouts ? TIMEOUT_MS : Infinity;
  let most = 0;
  for (const c of service.log) {
    const t = c.startedAt;
    const awaited = service.log.filter((d) => d.startedAt <= t && d.startedAt > t - horizon && (d.settledAt === undefined || d.settledAt > t));
    most = Math.max(most, awaited.length);
  }
  return most;
}

const operatorScenario: fc.Arbitrary<OperatorScenario> = fc.record({
  mode: fc.constantFrom<AsyncOutputMode>('ordered', 'unordered'),
  capacity: fc.integer({ min: 1, max: 12 }),
  input: fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 150, size: 'medium' }),
  timestamps: fc.boolean(),
  frameSizes: fc.array(fc.integer({ min: 1, max: 24 }), { minLength: 1, maxLength: 6 }),
  framesPerTick: fc.integer({ min: 1, max: 3 }),
  seed: fc.integer(),
  withTimeouts: fc.boolean(),
  crashes: fc.array(fc.record({ snapshotAtMs: fc.integer({ min: 0, max: 60 }), crashAfterMs: fc.integer({ min: 0, max: 20 }) }), { maxLength: 2, size: 'max' }),
});

function sortRecords(rs: readonly EmittedRecord<number>[]): EmittedRecord<number>[] {
  return [...rs].sort((a, b) => a.value - b.value || (a.timestamp ?? -1) - (b.timestamp ?? -1));
}

describe('async I/O', () => {
  test('the operator: results equal the synchronous reference across snapshots and crashes; capacity bounds calls in flight', async () => {
    await fc.assert(
      fc.asyncProperty(operatorScenario, async (sc) => {
        const out: EmittedRecord<number>[] = [];
        let state: Record<string, unknown[]> | undefined;
        let fromFrame = 0;
        let finished = false;
        for (const crash of [...sc.crashes, undefined]) {
          const run = await runOperator(sc, state, fromFrame, crash);
          expect(run.awaitedAtOnce).toBeLessThanOrEqual(sc.capacity);
          if (run.crash === undefined) {
            out.push(...run.output);
            finished = true;
            break;
          }
          out.push(...run.output.slice(0, run.crash.committed));
          state = run.crash.state;
          fromFrame = run.crash.fromFrame;
        }
        expect(finished).toBe(true);
        const expected = reference(sc);
        if (sc.mode === 'ordered') expect(out).toEqual(expected);
        else expect(sortRecords(out)).toEqual(sortRecords(expected));
      }),
      { numRuns: RUNS },
    );
  });

  interface Tagged {
    readonly id: number;
    readonly value: number;
    readonly subtask: number;
  }

  class Tagger implements RichAsyncFunction<number, Tagged> {
    private subtask = -1;
    constructor(private readonly service: SimulatedService<number, number>) {}
    open(ctx: AsyncFunctionContext) {
      this.subtask = ctx.indexOfThisSubtask;
    }
    async asyncInvoke(id: number): Promise<Tagged> {
      return { id, value: await this.service.call(id), subtask: this.subtask };
    }
  }

  const jobScenario = fc.record({
    mode: fc.constantFrom<AsyncOutputMode>('ordered', 'unordered'),
    n: fc.integer({ min: 500, max: 3000 }),
    sourceP: fc.integer({ min: 1, max: 2 }),
    asyncP: fc.integer({ min: 1, max: 3 }),
    capacity: fc.integer({ min: 1, max: 40 }),
    maxLatencyMs: fc.integer({ min: 1, max: 8 }),
    seed: fc.integer({ min: 0, max: 1000 }),
    intervalMs: fc.integer({ min: 5, max: 20 }),
    crashSubtask: fc.nat(),
    crashAtCheckpoint: fc.integer({ min: 1, max: 3 }),
    secondCrashAtRecord: fc.option(fc.integer({ min: 1, max: 400 }), { nil: undefined }),
  });

  let crashesWithCallsInFlight = 0;

  test('jobs: exactly-once output across crashes with calls in flight; ordered mode keeps each channel in order', async () => {
    await fc.assert(
      fc.asyncProperty(jobScenario, async (sc) => {
        const target = { operator: 'lookup', subtask: sc.crashSubtask % sc.asyncP };
        const faults: Fault[] = [{ kind: 'fail-during-notify', ...target, checkpoint: sc.crashAtCheckpoint }];
        if (sc.secondCrashAtRecord !== undefined) faults.push({ kind: 'fail-at-record', ...target, record: sc.secondCrashAtRecord, attempt: 2 });
        const injector = new FaultInjector(faults);
        const env = StreamExecutionEnvironment.create({ bufferTimeoutMs: 2, frameSize: 64, faults: injector });
        env.enableCheckpointing(sc.intervalMs, 'exactly-once', { tolerableFailedCheckpoints: 1000 });
        env.setCheckpointStorage(new MemoryCheckpointStorage());
        env.setRestartStrategy(RestartStrategies.fixedDelay(5, 0));
        const service = new SimulatedService({ latencyMs: (r) => r * sc.maxLatencyMs, seed: sc.seed, respond: (x: number) => x * 2 + 1 });
        const input = env.fromGenerator(sc.n, (i) => i, { ratePerSecond: 20_000 }).uid('source').setParallelism(sc.sourceP);
        const wait = sc.mode === 'ordered' ? AsyncDataStream.orderedWait : AsyncDataStream.unorderedWait;
        wait(input, new Tagger(service), { timeoutMs: 60_000, capacity: sc.capacity })
          .uid('lookup')
          .setParallelism(sc.asyncP)
          .sinkTo(new CollectSink<Tagged>())
          .uid('collect')
          .setParallelism(1);
        const result = await env.execute('async job');
        const out = result.sinkResults['collect'] as Tagged[];

        expect(out.map((o) => o.id).sort((a, b) => a - b)).toEqual(Array.from({ length: sc.n }, (_, i) => i));
        for (const o of out) expect(o.value).toBe(o.id * 2 + 1);
        if (sc.mode === 'ordered') {
          const channels = new Map<string, number[]>();
          for (const o of out) {
            const c = `${o.id % sc.sourceP}->${o.subtask}`;
            channels.set(c, [...(channels.get(c) ?? []), o.id]);
          }
          for (const ids of channels.values()) expect(ids).toEqual([...ids].sort((a, b) => a - b));
        }
        for (const f of result.faults) if (service.inFlightAt(f.at).length > 0) crashesWithCallsInFlight++;
      }),
      { numRuns: JOB_RUNS },
    );
    expect(crashesWithCallsInFlight).toBeGreaterThan(0);
  });
});
