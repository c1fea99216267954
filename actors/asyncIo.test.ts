/**
 * Async I/O end to end, on the actor runtime with real timers and a
 * simulated service: ordered and unordered results equal the synchronous
 * reference (at several parallelisms, on a keyed stream, chained with a
 * source and behind a network edge); the capacity bounds calls in flight per
 * subtask; a timeout fails the job with AsyncTimeoutError or takes the
 * fallback; a rejected call fails it with a UserFunctionError naming the
 * operator and the record; a crash while calls are in flight, and a
 * stop-with-savepoint with calls in flight resumed at another parallelism,
 * keep the output exactly-once. A trap fails the file on any unhandled
 * rejection.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AsyncDataStream,
  AsyncTimeoutError,
  CollectSink,
  FileSink,
  JobExecutionError,
  MemoryCheckpointStorage,
  readCommittedLines,
  RestartStrategies,
  StreamExecutionEnvironment,
  UserFunctionError,
  type AsyncFunctionContext,
  type RichAsyncFunction,
} from '../index';
import { FaultInjector } from '../lib/testing/FaultInjector';
import { SimulatedService } from '../lib/testing/SimulatedService';

let unhandled: unknown[] = [];
const trap = (e: unknown) => void unhandled.push(e);
beforeAll(() => process.on('unhandledRejection', trap));
afterAll(() => void process.off('unhandledRejection', trap));
beforeEach(() => (unhandled = []));
afterEach(async () => {
  await new Promise((r) => setTimeout(r, 30)); // late settlements of abandoned calls
  expect(unhandled).toEqual([]);
});

interface Tagged {
  readonly id: number;
  readonly sq: number;
  readonly subtask: number;
}

/** Answers with the square of the id and the subtask that called; counts calls in flight per subtask. */
class Squares implements RichAsyncFunction<number, Tagged> {
  static maxInFlight = new Map<number, number>();
  private subtask = -1;
  private inFlight = 0;
  constructor(private readonly service: SimulatedService<number, number>) {}
  open(ctx: AsyncFunctionContext) {
    this.subtask = ctx.indexOfThisSubtask;
  }
  async asyncInvoke(id: number): Promise<Tagged> {
    this.inFlight++;
    Squares.maxInFlight.set(this.subtask, Math.max(Squares.maxInFlight.get(this.subtask) ?? 0, this.inFlight));
    try {
      return { id, sq: await this.service.call(id), subtask: this.subtask };
    } finally {
      this.inFlight--;
    }
  }
}

const squares = (seed: number, maxLatencyMs = 4) =>
  new SimulatedService({ latencyMs: (r) => r * maxLatencyMs, seed, respond: (x: number) => x * x });

/**
 * Input order kept per subtask: the ids one async subtask got from one
 * source subtask (the generator gives source subtask s the ids i ≡ s mod p)
 * come out increasing.
 */
function expectOrderedPerSubtask(out: readonly Tagged[], sourceP: number): void {
  const byChannel = new Map<string, number[]>();
  for (const o of out) {
    const channel = `${o.id % sourceP}->${o.subtask}`;
    byChannel.set(channel, [...(byChannel.get(channel) ?? []), o.id]);
  }
  for (const ids of byChannel.values()) expect(ids).toEqual([...ids].sort((a, b) => a - b));
}

describe('async I/O results equal the synchronous reference', () => {
  test.each([
    ['ordered', 1, 1],
    ['ordered', 2, 3],
    ['unordered', 1, 1],
    ['unordered', 3, 2],
  ] as const)('%s, source p=%i, async p=%i', async (mode, sourceP, asyncP) => {
    const n = 3000;
    const env = StreamExecutionEnvironment.create({ bufferTimeoutMs: 2, frameSize: 64 });
    const input = env.fromGenerator(n, (i) => i).setParallelism(sourceP);
    const fn = new Squares(squares(sourceP * 10 + asyncP));
    const wait = mode === 'ordered' ? AsyncDataStream.orderedWait : AsyncDataStream.unorderedWait;
    const out = await wait(input, fn, { timeoutMs: 10_000, capacity: 20 }).uid('lookup').name('Lookup').setParallelism(asyncP).executeAndCollect();
    expect(out.map((o) => o.id).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    for (const o of out) expect(o.sq).toBe(o.id * o.id);
    if (mode === 'ordered') expectOrderedPerSubtask(out, sourceP);
    expect(new Set(out.map((o) => o.subtask)).size).toBe(asyncP);
  });

  test('uid, name and parallelism apply; records in and out are counted', async () => {
    const env = StreamExecutionEnvironment.create({ bufferTimeoutMs: 2 });
    AsyncDataStream.orderedWait(env.fromCollection([1, 2, 3, 4]), async (x: number) => [x, -x], { timeoutMs: 1000 })
      .uid('pm')
      .name('Plus Minus')
      .setParallelism(2)
      .sinkTo(() => {});
    const result = await env.execute('counted');
    expect(result.operators.find((o) => o.uid === 'pm')).toMatchObject({ name: 'Plus Minus', parallelism: 2, recordsIn: 4, recordsOut: 8 });
  });

  test('on a keyed stream, ordered output keeps every key in input order', async () => {
    const env = StreamExecutionEnvironment.create({ bufferTimeoutMs: 2, frameSize: 32, parallelism: 3 });
    const service = new SimulatedService({ latencyMs: (r) => r * 5, seed: 9, respond: (r: { k: number; i: number }) => ({ ...r, done: true }) });
    const keyed = env
      .fromGenerator(2000, (i) => ({ k: i % 7, i }))
      .setParallelism(1)
      .keyBy((r) => r.k);
    const out = await AsyncDataStream.orderedWait(keyed, service.call, { timeoutMs: 10_000, capacity: 16 }).executeAndCollect();
    expect(out).toHaveLength(2000);
    for (let k = 0; k < 7; k++) {
      const is = out.filter((o) => o.k === k).map((o) => o.i);
      expect(is).toEqual(Array.from({ length: is.length }, (_, j) => k + 7 * j));
    }
  });

  test('async operators chain: two in a row, then a map', async () => {
    const env = StreamExecutionEnvironment.create({ bufferTimeoutMs: 2 });
    const a = new SimulatedService({ latencyMs: (r) => r * 3, seed: 1, respond: (x: number) => x + 1 });
    const b = new SimulatedService({ latencyMs: (r) => r * 3, seed: 2, respond: (x: number) => x * 10 });
    const first = AsyncDataStream.orderedWait(env.fromGenerator(1000, (i) => i), a.call, { timeoutMs: 10_000, capacity: 8 });
    const out = await AsyncDataStream.orderedWait(first, b.call, { timeoutMs: 10_000, capacity: 5 })
      .map((x) => x - 10)
      .executeAndCollect();
    expect(out).toEqual(Array.from({ length: 1000 }, (_, i) => i * 10));
  });
});

describe('capacity', () => {
  test('calls in flight per subtask never exceed the capacity, and reach it', async () => {
    Squares.maxInFlight = new Map();
    const env = StreamExecutionEnvironment.create({ bufferTimeoutMs: 2, frameSize: 100 });
    const fn = new Squares(squares(5, 3));
    const out = await AsyncDataStream.unorderedWait(env.fromGenerator(5000, (i) => i).setParallelism(2), fn, { timeoutMs: 10_000, capacity: 7 })
      .setParallelism(2)
      .executeAndCollect();
    expect(out).toHaveLength(5000);
    expect([...Squares.maxInFlight.keys()].sort()).toEqual([0, 1]);
    for (const max of Squares.maxInFlight.values()) expect(max).toBe(7);
  });
});

describe('timeouts and failures', () => {
  test('a call that does not complete in time fails the job with AsyncTimeoutError', async () => {
    const env = StreamExecutionEnvironment.create({ bufferTimeoutMs: 2 });
    env.setRestartStrategy(RestartStrategies.noRestart());
    const service = new SimulatedService({ latencyMs: 1, respond: (x: number) => x, hangs: (x) => x === 42 });
    AsyncDataStream.orderedWait(env.fromGenerator(100, (i) => i), service.call, { timeoutMs: 20 }).uid('slow').sinkTo(() => {});
    const error = await env.execute('timeout').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(JobExecutionError);
    const cause = (error as JobExecutionError).cause;
    expect(cause).toBeInstanceOf(AsyncTimeoutError);
    expect(cause).toMatchObject({ code: 'ASYNC_TIMEOUT', timeoutMs: 20, record: 42, position: 43 });
    expect((cause as Error).message).toMatch(/timed out after 20 ms in operator 'Async Wait' \(uid slow\), subtask 1\/1, record #43 42/);
  });

  test('a timeout handler supplies the result instead', async () => {
    const env = StreamExecutionEnvironment.create({ bufferTimeoutMs: 2 });
    const service = new SimulatedService({ latencyMs: 1, respond: (x: number) => `ok:${x}`, hangs: (x) => x % 10 === 3 });
    const fn: RichAsyncFunction<number, string> = { asyncInvoke: service.call, timeout: (x) => `fallback:${x}` };
    const out = await AsyncDataStream.orderedWait(env.fromGenerator(50, (i) => i), fn, { timeoutMs: 15, capacity: 10 }).executeAndCollect();
    expect(out).toEqual(Array.from({ length: 50 }, (_, i) => (i % 10 === 3 ? `fallback:${i}` : `ok:${i}`)));
  });

  test('a rejected call fails the job with a UserFunctionError naming the operator and the record', async () => {
    const env = StreamExecutionEnvironment.create({ bufferTimeoutMs: 2 });
    env.setRestartStrategy(RestartStrategies.noRestart());
    const service = new SimulatedService({ latencyMs: 1, respond: (x: number) => x, fails: (x) => x === 7 });
    AsyncDataStream.unorderedWait(env.fromGenerator(100, (i) => i), service.call, { timeoutMs: 1000 }).uid('lookup').sinkTo(() => {});
    const error = (await env.execute('rejects').catch((e: unknown) => e)) as JobExecutionError;
    expect(error).toBeInstanceOf(JobExecutionError);
    expect(error.cause).toBeInstanceOf(UserFunctionError);
    expect((error.cause as Error).message).toMatch(/operator 'Async Wait' \(uid lookup\).*record #8 7: service failed for 7/);
  });

  test('bad arguments are refused when the job is built', () => {
    const env = StreamExecutionEnvironment.create();
    const s = env.fromCollection([1]);
    const f = async (x: number) => x;
    expect(() => AsyncDataStream.orderedWait(s, f, { timeoutMs: 0 })).toThrow(/timeoutMs must be a positive number/);
    expect(() => AsyncDataStream.orderedWait(s, f, { timeoutMs: NaN })).toThrow(/timeoutMs/);
    expect(() => AsyncDataStream.orderedWait(s, f, { timeoutMs: 10, capacity: 0 })).toThrow(/capacity must be an integer/);
    expect(() => AsyncDataStream.orderedWait(s, f, { timeoutMs: 10, capacity: 1.5 })).toThrow(/capacity/);
    expect(() => AsyncDataStream.unorderedWait(s, {} as never, { timeoutMs: 10 })).toThrow(/asyncInvoke/);
    expect(() => AsyncDataStream.unorderedWait(s, { asyncInvoke: f, timeout: 5 } as never, { timeoutMs: 10 })).toThrow(/'timeout' must be a method/);
    expect(() => AsyncDataStream.orderedWait(s, f, undefined as never)).toThrow(/options/);
    expect(() => AsyncDataStream.orderedWait([1] as never, f, { timeoutMs: 10 })).toThrow(/DataStream/);
    expect(AsyncDataStream.orderedWait(s, f, { timeoutMs: Infinity })).toBeDefined();
  });
});

describe('exactly-once with calls in flight', () => {
  test.each(['ordered', 'unordered'] as const)('%s: a crash after a checkpoint, with calls in flight, loses and duplicates nothing', async (mode) => {
    const n = 4000;
    const faults = new FaultInjector([{ kind: 'fail-during-notify', operator: 'lookup', subtask: 0, checkpoint: 2 }]);
    const env = StreamExecutionEnvironment.create({ bufferTimeoutMs: 2, frameSize: 32, faults });
    env.enableCheckpointing(10, 'exactly-once');
    env.setCheckpointStorage(new MemoryCheckpointStorage());
    env.setRestartStrategy(RestartStrategies.fixedDelay(3, 0));
    // Calls take 5–20 ms, so the service is the bottleneck (about 4,000 calls/s at capacity 50):
    // the operator is always full, and every checkpoint finds calls in flight.
    const service = new SimulatedService({ latencyMs: (r) => 5 + 15 * r, seed: 4, respond: (x: number) => x * 3 });
    const input = env.fromGenerator(n, (i) => i, { ratePerSecond: 40_000 }).uid('source');
    const wait = mode === 'ordered' ? AsyncDataStream.orderedWait : AsyncDataStream.unorderedWait;
    wait(input, service.call, { timeoutMs: 10_000, capacity: 50 }).uid('lookup').sinkTo(new CollectSink<number>()).uid('collect').setParallelism(1);
    const result = await env.execute('exactly-once async');
    const out = result.sinkResults['collect'] as number[];

    const expected = Array.from({ length: n }, (_, i) => i * 3);
    if (mode === 'ordered') expect(out).toEqual(expected);
    else expect([...out].sort((a, b) => a - b)).toEqual(expected);
    expect(result.restarts).toHaveLength(1);
    expect(result.restarts[0].restoredCheckpoint).toBe(2);
    // The crash struck while calls were in flight; restored ones were called again.
    const crashAt = result.faults[0].at;
    expect(service.inFlightAt(crashAt).length).toBeGreaterThan(0);
    expect(service.calls).toBeGreaterThan(n);
  });

  test('stop with savepoint while calls are in flight, resume at another parallelism: every result committed once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-async-savepoint-'));
    try {
      const n = 6000;
      const output = path.join(dir, 'out');
      const job = (p: number, savepointPath?: string) => {
        const env = StreamExecutionEnvironment.create({ bufferTimeoutMs: 2, frameSize: 32, savepointPath });
        env.enableCheckpointing(10, 'exactly-once');
        const service = new SimulatedService({ latencyMs: (r) => 5 + 20 * r, seed: p, respond: (x: number) => x + 0.5 });
        const input = env.fromGenerator(n, (i) => i, { ratePerSecond: 30_000 }).uid('source');
        AsyncDataStream.unorderedWait(input, service.call, { timeoutMs: 10_000, capacity: 40 })
          .uid('lookup')
          .setParallelism(p)
          .sinkTo(new FileSink<number>(output))
          .uid('files')
          .setParallelism(2);
        return { client: env.executeAsync('savepoint async'), service };
      };
      const a = job(1);
      await new Promise((r) => setTimeout(r, 40));
      const savepoint = await a.client.stopWithSavepoint(dir);
      await a.client.result();
      const b = job(3, savepoint);
      await b.client.result();
      // The source resumes after the savepoint's offset: inputs both runs called were in flight at the stop.
      const calledByA = new Set(a.service.log.map((c) => c.input));
      expect(b.service.log.filter((c) => calledByA.has(c.input)).length).toBeGreaterThan(0);
      const lines = readCommittedLines(output).map(Number);
      expect(lines.sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i + 0.5));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
