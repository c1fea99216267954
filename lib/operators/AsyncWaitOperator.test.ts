/**
 * The async operator driven by the OperatorHarness (no task, no actors, a
 * ManualClock): output order per mode, timestamps and 0..n results per
 * call, the capacity bound with the rest of a frame waiting inside and the
 * task deferred, timeouts (typed failure, fallback, late results ignored),
 * typed failures for rejections and non-promises, snapshot contents and
 * re-issue on restore (exactly-once at the operator), endInput flushing,
 * async open/close, and close abandoning calls without emitting, throwing
 * or leaving an unhandled rejection.
 */
import type { RichAsyncFunction } from '../api/AsyncDataStream';
import { AsyncTimeoutError, CorruptStateError, UserFunctionError } from '../errors';
import { ManualClock } from '../testing/ManualClock';
import { OperatorHarness } from '../testing/OperatorHarness';
import { SimulatedService } from '../testing/SimulatedService';
import { ASYNC_ELEMENTS_STATE, AsyncWaitOperator, type AsyncWaitConfig } from './AsyncWaitOperator';
import type { AsyncOutputMode } from './StreamElementQueue';

/** A service whose calls settle only when the test says so. */
function manualService<I, O = I>() {
  const calls: { input: I; resolve: (v: O | readonly O[]) => void; reject: (e: unknown) => void }[] = [];
  return {
    calls,
    fn: (input: I) =>
      new Promise<O | readonly O[]>((resolve, reject) => {
        calls.push({ input, resolve, reject });
      }),
    /** Resolves the call for `input` with `value`. */
    answer(input: I, value: O | readonly O[]) {
      calls.find((c) => c.input === input)!.resolve(value);
    },
  };
}

const config = (mode: AsyncOutputMode, capacity = 100, timeoutMs = Infinity): AsyncWaitConfig => ({ mode, capacity, timeoutMs });

function harness<I, O>(fn: ConstructorParameters<typeof AsyncWaitOperator<I, O>>[0], c: AsyncWaitConfig) {
  return new OperatorHarness<I, O>(new AsyncWaitOperator<I, O>(fn, c));
}

let unhandled: unknown[] = [];
const trap = (e: unknown) => void unhandled.push(e);
beforeAll(() => process.on('unhandledRejection', trap));
afterAll(() => void process.off('unhandledRejection', trap));
beforeEach(() => (unhandled = []));
afterEach(async () => {
  await new Promise((r) => setImmediate(r));
  expect(unhandled).toEqual([]);
});

describe('AsyncWaitOperator', () => {
  test('ordered: results leave in input order with their timestamps; arrays are 0..n results', async () => {
    const s = manualService<string>();
    const h = harness<string, string>(s.fn, config('ordered'));
    h.open();
    h.processFrame(['a', 'b', 'c', 'd'], [10, 20, 30, 40]);
    s.answer('c', 'C');
    s.answer('b', ['B1', 'B2']);
    await h.settle();
    expect(h.output).toEqual([]);
    s.answer('a', []);
    await h.settle();
    expect(h.output).toEqual([
      { value: 'B1', timestamp: 20 },
      { value: 'B2', timestamp: 20 },
      { value: 'C', timestamp: 30 },
    ]);
    s.answer('d', 'D');
    await h.settle();
    expect(h.values()).toEqual(['B1', 'B2', 'C', 'D']);
  });

  test('unordered: results leave in completion order', async () => {
    const s = manualService<string>();
    const h = harness<string, string>(s.fn, config('unordered'));
    h.open();
    h.processFrame(['a', 'b', 'c']);
    s.answer('c', 'C');
    await h.settle();
    s.answer('a', 'A');
    await h.settle();
    s.answer('b', 'B');
    await h.settle();
    expect(h.values()).toEqual(['C', 'A', 'B']);
  });

  test.each<AsyncOutputMode>(['ordered', 'unordered'])('%s: a watermark leaves only after the results of every input before it, and before none after it has to', async (mode) => {
    const s = manualService<string>();
    const h = harness<string, string>(s.fn, config(mode));
    h.open();
    h.processWatermark(5); // nothing held: at once
    h.processFrame(['a', 'b'], [10, 20]);
    h.processWatermark(20);
    h.processFrame(['c'], [30]);
    h.processWatermark(30);
    s.answer('c', 'C');
    s.answer('b', 'B');
    await h.settle();
    expect(h.watermarks).toEqual([5]);
    s.answer('a', 'A');
    await h.settle();
    const order = h.timeline.map((e) => (e.kind === 'record' ? e.value : `W${e.watermark}`));
    expect(order).toEqual(mode === 'ordered' ? ['W5', 'A', 'B', 'W20', 'C', 'W30'] : ['W5', 'C', 'B', 'A', 'W20', 'W30']);
  });

  test('results are emitted only from mailbox actions', async () => {
    const s = manualService<string>();
    const h = harness<string, string>(s.fn, config('unordered'));
    h.open();
    h.processElement('a');
    s.answer('a', 'A');
    await new Promise((r) => setImmediate(r));
    expect(h.output).toEqual([]);
    expect(h.pendingMail).toBe(1);
    h.runMail();
    expect(h.values()).toEqual(['A']);
  });

  test.each<AsyncOutputMode>(['ordered', 'unordered'])('%s: at most capacity calls in flight; the rest of the frame waits and the task is deferred', async (mode) => {
    const s = manualService<number>();
    const h = harness<number, number>(s.fn, config(mode, 3));
    h.open();
    h.processFrame([1, 2, 3, 4, 5, 6, 7]);
    expect(s.calls.map((c) => c.input)).toEqual([1, 2, 3]);
    expect(h.blocked).toBe(true);
    s.answer(1, 10);
    await h.settle();
    expect(s.calls.map((c) => c.input)).toEqual([1, 2, 3, 4]);
    expect(h.values()).toEqual([10]);
    for (const i of [2, 3, 4]) s.answer(i, i * 10);
    await h.settle();
    expect(s.calls.map((c) => c.input)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(h.blocked).toBe(false); // nothing waits any more: the task may take the next frame
    for (const i of [7, 6, 5]) s.answer(i, i * 10);
    await h.settle();
    expect(h.values()).toEqual(mode === 'ordered' ? [10, 20, 30, 40, 50, 60, 70] : [10, 20, 30, 40, 70, 60, 50]);
  });

  test('ordered: completed results waiting behind an earlier call count against capacity', async () => {
    const s = manualService<number>();
    const h = harness<number, number>(s.fn, config('ordered', 2));
    h.open();
    h.processFrame([1, 2, 3]);
    s.answer(2, 20);
    await h.settle();
    expect(s.calls).toHaveLength(2); // 2 is complete but waits for 1: no room for 3
    s.answer(1, 10);
    await h.settle();
    expect(s.calls).toHaveLength(3);
  });

  test('a timeout without a handler fails with AsyncTimeoutError naming operator, record and timeout; the clock starts when the call starts', async () => {
    const s = manualService<string>();
    const h = harness<string, string>(s.fn, config('ordered', 1, 50));
    h.open();
    h.processFrame(['a', 'b']);
    await h.advance(30);
    s.answer('a', 'A');
    await h.settle(); // 'b' starts at t=30
    await h.advance(49);
    h.clock.advance(1);
    let error: unknown;
    try {
      await h.settle();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AsyncTimeoutError);
    expect(error).toMatchObject({ code: 'ASYNC_TIMEOUT', timeoutMs: 50, position: 2, record: 'b' });
    expect((error as Error).message).toMatch(/timed out after 50 ms in operator 'op' \(uid op-uid\), subtask 1\/1, record #2 "b"/);
  });

  test('a timeout handler supplies the result; the late result is ignored; a result in time cancels the timer', async () => {
    const s = manualService<string>();
    const fn: RichAsyncFunction<string, string> = {
      asyncInvoke: s.fn as (x: string) => Promise<string>,
      timeout: (x) => (x === 'slow-async' ? Promise.resolve(`fallback:${x}`) : `fallback:${x}`),
    };
    const h = harness<string, string>(fn, config('ordered', 10, 100));
    h.open();
    h.processFrame(['fast', 'slow', 'slow-async']);
    s.answer('fast', 'FAST');
    await h.settle();
    await h.advance(100);
    expect(h.values()).toEqual(['FAST', 'fallback:slow', 'fallback:slow-async']);
    s.answer('slow', 'late');
    s.answer('slow-async', 'late');
    await h.settle();
    expect(h.values()).toEqual(['FAST', 'fallback:slow', 'fallback:slow-async']);
    expect(h.clock.pendingTimers).toBe(0);
  });

  test('a rejected call fails with a UserFunctionError naming the operator and the record', async () => {
    const s = manualService<{ id: number }>();
    const h = harness<{ id: number }, unknown>(s.fn, config('unordered'));
    h.open();
    h.processFrame([{ id: 1 }, { id: 2 }]);
    s.calls[1].reject(new Error('connection refused'));
    await expect(h.settle()).rejects.toThrow(UserFunctionError);
    s.calls[0].reject(new Error('later'));
  });

  test('the failure message names operator, subtask, record position and cause', async () => {
    const h = harness<number, number>(() => Promise.reject(new Error('boom')), config('ordered'));
    h.open();
    h.processFrame([7, 8]);
    const e = await h.settle().then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(UserFunctionError);
    expect((e as Error).message).toBe("processing failed in operator 'op' (uid op-uid), subtask 1/1, record #1 7: boom");
  });

  test('a synchronous throw, or a return value that is not a promise, fails at once', () => {
    const throwing = harness<number, number>(() => {
      throw new Error('sync');
    }, config('ordered'));
    throwing.open();
    expect(() => throwing.processElement(1)).toThrow(UserFunctionError);
    const notAsync = harness<number, number>(((x: number) => x) as never, config('ordered'));
    notAsync.open();
    expect(() => notAsync.processElement(1)).toThrow(/asyncInvoke returned 1, not a promise/);
  });

  test('snapshot: inputs not emitted (in flight, waiting in order, pending) with timestamps; restore re-issues them first', async () => {
    const s = manualService<string>();
    const h = harness<string, string>(s.fn, config('ordered', 2));
    h.open();
    h.processFrame(['a', 'b', 'c', 'd'], [1, 2, 3, 4]);
    s.answer('a', 'A');
    await h.settle(); // a emitted; b, c in flight; d pending
    s.answer('c', 'C');
    await h.settle(); // c completed, waits for b
    const state = h.snapshot();
    expect(state).toEqual({
      [ASYNC_ELEMENTS_STATE]: [
        { value: 'b', timestamp: 2 },
        { value: 'c', timestamp: 3 },
        { value: 'd', timestamp: 4 },
      ],
    });
    h.close();

    const s2 = manualService<string>();
    const restored = harness<string, string>(s2.fn, config('ordered', 2));
    restored.open(state);
    expect(s2.calls.map((c) => c.input)).toEqual(['b', 'c']);
    expect(restored.blocked).toBe(true); // 'd' waits: no new input until it started
    restored.processElement('e', 5);
    for (const x of ['b', 'c', 'd', 'e']) {
      s2.answer(x, x.toUpperCase());
      await restored.settle();
    }
    expect(s2.calls.map((c) => c.input)).toEqual(['b', 'c', 'd', 'e']);
    expect([...h.values(), ...restored.values()]).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(restored.output.map((r) => r.timestamp)).toEqual([2, 3, 4, 5]);
  });

  test('unordered snapshot holds exactly the inputs whose results were not emitted', async () => {
    const s = manualService<number>();
    const h = harness<number, number>(s.fn, config('unordered', 4));
    h.open();
    h.processFrame([1, 2, 3, 4]);
    s.answer(3, 30);
    s.answer(1, 10);
    await h.settle();
    expect(h.values()).toEqual([30, 10]);
    expect(h.snapshot()).toEqual({ [ASYNC_ELEMENTS_STATE]: [{ value: 2 }, { value: 4 }] });
  });

  test('malformed restored state is refused with a CorruptStateError', () => {
    const h = harness<number, number>(async (x) => x, config('ordered'));
    expect(() => h.open({ [ASYNC_ELEMENTS_STATE]: [{ value: 1 }, 42] })).toThrow(CorruptStateError);
    const h2 = harness<number, number>(async (x) => x, config('ordered'));
    expect(() => h2.open({ [ASYNC_ELEMENTS_STATE]: [{ value: 1, timestamp: 'x' }] })).toThrow(/item 0/);
  });

  test('endInput defers until every held input was emitted', async () => {
    const s = manualService<number>();
    const h = harness<number, number>(s.fn, config('ordered', 1));
    h.open();
    h.processFrame([1, 2]);
    h.endInput();
    expect(h.blocked).toBe(true);
    s.answer(1, 1);
    await h.settle();
    expect(h.blocked).toBe(true);
    s.answer(2, 2);
    await h.settle();
    expect(h.blocked).toBe(false);
    expect(h.values()).toEqual([1, 2]);
    expect(h.snapshot()).toEqual({ [ASYNC_ELEMENTS_STATE]: [] });
  });

  test('endInput with nothing held defers nothing', () => {
    const h = harness<number, number>(async (x) => x, config('ordered'));
    h.open();
    h.endInput();
    expect(h.deferred).toEqual([]);
  });

  test('async open: no call starts before open resolved; open gets the subtask info', async () => {
    const s = manualService<number>();
    let release!: () => void;
    let seen: unknown;
    const fn: RichAsyncFunction<number, number> = {
      open(ctx) {
        seen = ctx;
        return new Promise<void>((r) => (release = r));
      },
      asyncInvoke: s.fn as (x: number) => Promise<number>,
    };
    const h = harness<number, number>(fn, config('ordered'));
    h.open();
    h.processFrame([1, 2]);
    expect(s.calls).toHaveLength(0);
    expect(h.blocked).toBe(true);
    release();
    await h.settle();
    expect(s.calls).toHaveLength(2);
    expect(h.blocked).toBe(false);
    expect(seen).toEqual({ taskName: 'op', operatorUid: 'op-uid', indexOfThisSubtask: 0, numberOfParallelSubtasks: 1, maxNumberOfParallelSubtasks: 128 });
    expect(seen).not.toHaveProperty('getState');
  });

  test('a rejected open fails through the mailbox', async () => {
    const h = harness<number, number>({ open: () => Promise.reject(new Error('no db')), asyncInvoke: async (x: number) => x }, config('ordered'));
    h.open();
    await expect(h.settle()).rejects.toThrow(/open failed in operator 'op'.*no db/);
  });

  test('function objects are copied per subtask', async () => {
    class Lookup implements RichAsyncFunction<number, string> {
      prefix = '';
      open(ctx: { indexOfThisSubtask: number }) {
        this.prefix = `s${ctx.indexOfThisSubtask}`;
      }
      async asyncInvoke(x: number) {
        return `${this.prefix}:${x}`;
      }
    }
    const fn = new Lookup();
    const h = harness<number, string>(fn, config('ordered'));
    h.open();
    h.processElement(1);
    await h.settle();
    expect(h.values()).toEqual(['s0:1']);
    expect(fn.prefix).toBe('');
  });

  test('close cancels timers and abandons calls: later results and rejections emit and throw nothing', async () => {
    const s = manualService<number>();
    let closed = 0;
    const h = harness<number, number>({ asyncInvoke: s.fn as (x: number) => Promise<number>, close: () => void closed++ }, config('unordered', 2, 1000));
    h.open();
    h.processFrame([1, 2, 3]);
    expect(h.clock.pendingTimers).toBe(2);
    h.close();
    expect(closed).toBe(1);
    expect(h.clock.pendingTimers).toBe(0);
    await h.settle();
    expect(h.blocked).toBe(false); // a task closing does not wait for the room any more
    s.calls[0].resolve(1);
    s.calls[1].reject(new Error('after close'));
    await h.settle();
    h.clock.advance(5000);
    await h.settle();
    expect(h.output).toEqual([]);
    expect(s.calls).toHaveLength(2);
  });

  test('mailbox actions submitted before close do nothing after it', async () => {
    const s = manualService<number>();
    const h = harness<number, number>(s.fn, config('unordered'));
    h.open();
    h.processElement(1);
    s.answer(1, 1);
    await new Promise((r) => setImmediate(r));
    expect(h.pendingMail).toBe(1);
    h.close();
    h.runMail();
    expect(h.output).toEqual([]);
  });

  test('an async close is deferred; its rejection is a close failure naming the operator', async () => {
    const h = harness<number, number>({ asyncInvoke: async (x: number) => x, close: () => Promise.reject(new Error('pool')) }, config('ordered'));
    h.open();
    h.close();
    expect(h.deferred).toHaveLength(1);
    await expect(h.deferred[0].promise).rejects.toThrow(/close failed in operator 'op'.*pool/);
  });

  test('on a simulated service with random latencies, ordered output equals the synchronous reference', async () => {
    const clock = new ManualClock();
    const svc = new SimulatedService({ latencyMs: (r) => Math.floor(r * 20), seed: 3, respond: (x: number) => x * x, clock });
    const h = new OperatorHarness<number, number>(new AsyncWaitOperator<number, number>(svc.call, config('ordered', 5)), clock);
    h.open();
    const input = Array.from({ length: 50 }, (_, i) => i);
    h.processFrame(input);
    while (h.blocked || svc.inFlight > 0) await h.advance(1);
    expect(h.values()).toEqual(input.map((x) => x * x));
    expect(svc.maxInFlight).toBe(5);
  });
});
