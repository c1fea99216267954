/**
 * WindowOperator on a keyed harness (no task, no actors): firing on
 * watermarks and processing time, result timestamps, incremental reduce and
 * aggregate, process with per-window and global state, session merging,
 * lateness and the late data side output, evictors, count windows, state
 * cleanup, checkpoint and restore at another parallelism (watermark
 * included), and the errors user code can cause.
 */
import { OutputTag } from '../api/OutputTag';
import type { ProcessWindowFunction } from '../api/windowFunctions';
import { AsyncUserFunctionError, UserFunctionError, WindowAssignmentError } from '../errors';
import { OperatorHarness, type HarnessSnapshot } from '../testing/OperatorHarness';
import { ValueStateDescriptor, type AggregateFunction } from '../state/StateDescriptor';
import { KeyGroupRange, normalizeKey, assignToKeyGroup } from '../state/KeyGroup';
import { EventTimeSessionWindows } from '../windowing/assigners/EventTimeSessionWindows';
import { GlobalWindows } from '../windowing/assigners/GlobalWindows';
import { SlidingEventTimeWindows } from '../windowing/assigners/SlidingEventTimeWindows';
import { TumblingEventTimeWindows } from '../windowing/assigners/TumblingEventTimeWindows';
import { TumblingProcessingTimeWindows } from '../windowing/assigners/TumblingProcessingTimeWindows';
import { CountEvictor } from '../windowing/evictors/CountEvictor';
import { ContinuousEventTimeTrigger } from '../windowing/triggers/ContinuousEventTimeTrigger';
import { CountTrigger } from '../windowing/triggers/CountTrigger';
import { PurgingTrigger } from '../windowing/triggers/PurgingTrigger';
import type { Trigger } from '../windowing/triggers/Trigger';
import type { TimeWindow } from '../windowing/windows/TimeWindow';
import type { Window } from '../windowing/windows/Window';
import { MERGING_WINDOW_SET, WINDOW_CONTENTS, WindowOperator, type WindowOperatorSpec } from './WindowOperator';

interface Ev {
  readonly k: string;
  readonly v: number;
}

const byKey = (e: Ev) => e.k;
const sum = (a: Ev, b: Ev): Ev => ({ k: a.k, v: a.v + b.v });

/** Emits "key [start,end) sorted values". */
const listing: ProcessWindowFunction<Ev, string, string, TimeWindow> = {
  process(key, ctx, elements, out) {
    out.collect(`${key} [${ctx.window.start},${ctx.window.end}) ${elements.map((e) => e.v).sort((a, b) => a - b).join(',')}`);
  },
};

function harness<OUT, W extends Window = TimeWindow>(
  spec: Partial<WindowOperatorSpec<Ev, OUT, string, W>> & Pick<WindowOperatorSpec<Ev, OUT, string, W>, 'assigner' | 'contents'>,
  subtask = 0,
  parallelism = 1,
): OperatorHarness<Ev, OUT> {
  const op = new WindowOperator<Ev, OUT, string, W>({
    keySelector: byKey,
    trigger: spec.trigger ?? spec.assigner.getDefaultTrigger(),
    allowedLateness: 0,
    ...spec,
  });
  return new OperatorHarness<Ev, OUT>(op, undefined, { operator: 'window', uid: 'window', subtaskIndex: subtask, parallelism }, { keyed: true });
}

/** Keys with a value in the named state, any namespace. */
function stateSize(h: OperatorHarness<Ev, unknown>, name: string): number {
  let n = 0;
  for (const [, ] of h.backend!.entries(name)) n++;
  return n;
}

describe('WindowOperator: tumbling event time', () => {
  test('reduce fires when the watermark passes maxTimestamp, with maxTimestamp as timestamp, then drops the window', () => {
    const h = harness<Ev>({ assigner: TumblingEventTimeWindows.of(10), contents: { kind: 'reduce', fn: sum } });
    h.open();
    h.processElement({ k: 'a', v: 1 }, 1);
    h.processElement({ k: 'b', v: 5 }, 9);
    h.processElement({ k: 'a', v: 2 }, 9);
    h.processElement({ k: 'a', v: 4 }, 10);
    h.processWatermark(8);
    expect(h.output).toEqual([]);
    h.processWatermark(9);
    expect(h.output).toEqual([
      { value: { k: 'a', v: 3 }, timestamp: 9 },
      { value: { k: 'b', v: 5 }, timestamp: 9 },
    ]);
    expect(h.watermarks).toEqual([8, 9]);
    // the window's contents are gone; the next window's are there
    expect(h.backend!.keys(WINDOW_CONTENTS, { type: 'TimeWindow', start: 0, end: 10 }, 'tw:0:10').next().done).toBe(true);
    h.processWatermark(Number.POSITIVE_INFINITY);
    expect(h.values().slice(2)).toEqual([{ k: 'a', v: 4 }]);
    expect(h.output[2].timestamp).toBe(19);
  });

  test('windows before 0 and with an offset', () => {
    const h = harness<string>({ assigner: TumblingEventTimeWindows.of(10, 3), contents: { kind: 'list' }, windowFunction: listing });
    h.open();
    for (const ts of [-8, -7, 2, 3, 12, 13]) h.processElement({ k: 'a', v: ts }, ts);
    h.processWatermark(Number.POSITIVE_INFINITY);
    expect(h.values()).toEqual(['a [-17,-7) -8', 'a [-7,3) -7,2', 'a [3,13) 3,12', 'a [13,23) 13']);
    expect(h.output.map((r) => r.timestamp)).toEqual([-8, 2, 12, 22]);
  });

  test('a record without an event timestamp fails naming the assigner', () => {
    const h = harness<Ev>({ assigner: TumblingEventTimeWindows.of(10), contents: { kind: 'reduce', fn: sum } });
    h.open();
    let error: unknown;
    try {
      h.processElement({ k: 'a', v: 1 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserFunctionError);
    expect((error as Error).cause).toBeInstanceOf(WindowAssignmentError);
    expect((error as Error).message).toMatch(/TumblingEventTimeWindows.*no event timestamp/);
  });
});

describe('WindowOperator: sliding windows and aggregate', () => {
  const avg: AggregateFunction<Ev, { n: number; s: number }, number> = {
    createAccumulator: () => ({ n: 0, s: 0 }),
    add: (e, acc) => ({ n: acc.n + 1, s: acc.s + e.v }),
    getResult: (acc) => acc.s / acc.n,
    merge: (a, b) => ({ n: a.n + b.n, s: a.s + b.s }),
  };

  test('each record is in size / slide windows; aggregate emits getResult', () => {
    const h = harness<number>({ assigner: SlidingEventTimeWindows.of(10, 5), contents: { kind: 'aggregate', fn: avg } });
    h.open();
    h.processElement({ k: 'a', v: 2 }, 4);
    h.processElement({ k: 'a', v: 4 }, 7);
    h.processWatermark(Number.POSITIVE_INFINITY);
    // windows [-5,5) {2}, [0,10) {2,4}, [5,15) {4}
    expect(h.output).toEqual([
      { value: 2, timestamp: 4 },
      { value: 3, timestamp: 9 },
      { value: 4, timestamp: 14 },
    ]);
  });

  test('aggregate combined with a process function gets the one result and the window', () => {
    const fn: ProcessWindowFunction<number, string, string, TimeWindow> = {
      process: (key, ctx, [mean], out) => out.collect(`${key}@${ctx.window.end}=${mean}`),
    };
    const h = harness<string>({ assigner: SlidingEventTimeWindows.of(10, 5), contents: { kind: 'aggregate', fn: avg }, windowFunction: fn });
    h.open();
    h.processElement({ k: 'a', v: 2 }, 4);
    h.processElement({ k: 'a', v: 4 }, 7);
    h.processWatermark(Number.POSITIVE_INFINITY);
    expect(h.values()).toEqual(['a@5=2', 'a@10=3', 'a@15=4']);
  });
});

describe('WindowOperator: session windows', () => {
  const count: AggregateFunction<Ev, number, number> = { createAccumulator: () => 0, add: (_e, n) => n + 1, getResult: (n) => n, merge: (a, b) => a + b };
  const withWindow: ProcessWindowFunction<number, string, string, TimeWindow> = {
    process: (key, ctx, [n], out) => out.collect(`${key} [${ctx.window.start},${ctx.window.end}) n=${n}`),
  };

  test('a record between two sessions merges them with their contents; merged state and timers are gone', () => {
    const h = harness<string>({ assigner: EventTimeSessionWindows.withGap(10), contents: { kind: 'aggregate', fn: count }, windowFunction: withWindow });
    h.open();
    h.processElement({ k: 'a', v: 0 }, 0); // [0,10)
    h.processElement({ k: 'a', v: 0 }, 20); // [20,30)
    h.processElement({ k: 'a', v: 0 }, 3); // [0,13)
    h.processElement({ k: 'b', v: 0 }, 14); // b [14,24)
    h.processWatermark(11);
    expect(h.values()).toEqual([]);
    h.processElement({ k: 'a', v: 0 }, 12); // [12,22) bridges [0,13) and [20,30) → [0,30)
    h.processWatermark(23);
    expect(h.values()).toEqual(['b [14,24) n=1']);
    h.processWatermark(29);
    expect(h.values()).toEqual(['b [14,24) n=1', 'a [0,30) n=4']);
    expect(stateSize(h, MERGING_WINDOW_SET)).toBe(0);
    expect(h.snapshot()['__timers']).toEqual([expect.objectContaining({ keyGroups: [], watermark: 29 })]);
    for (const [start, end] of [[0, 30], [0, 13], [20, 30], [0, 10]]) {
      expect([...h.backend!.entries(WINDOW_CONTENTS, { type: 'TimeWindow', start, end }, `tw:${start}:${end}`)]).toEqual([]);
    }
  });

  test('per-window state is refused under a merging assigner', () => {
    const h = harness<string>({
      assigner: EventTimeSessionWindows.withGap(10),
      contents: { kind: 'list' },
      windowFunction: { process: (_k, ctx) => void ctx.windowState().getState(new ValueStateDescriptor<number>('n')) },
    });
    h.open();
    h.processElement({ k: 'a', v: 0 }, 0);
    expect(() => h.processWatermark(100)).toThrow(/per-window state is not available with the merging window assigner/);
  });
});

describe('WindowOperator: lateness', () => {
  const late = new OutputTag<Ev>('late');

  test('within allowed lateness a record re-fires its window with all contents; after it, it goes to the side output', () => {
    const h = harness<string>({
      assigner: TumblingEventTimeWindows.of(10),
      contents: { kind: 'list' },
      windowFunction: listing,
      allowedLateness: 5,
      lateDataTag: late,
    });
    h.open();
    h.processElement({ k: 'a', v: 1 }, 1);
    h.processWatermark(10);
    expect(h.values()).toEqual(['a [0,10) 1']);
    h.processElement({ k: 'a', v: 2 }, 2); // late, but within lateness: fires again at once
    expect(h.values()).toEqual(['a [0,10) 1', 'a [0,10) 1,2']);
    h.processWatermark(14); // cleanup at 9 + 5
    h.processElement({ k: 'a', v: 3 }, 3);
    expect(h.values()).toHaveLength(2);
    expect(h.sideOutputs.get('late')).toEqual([{ value: { k: 'a', v: 3 }, timestamp: 3 }]);
    expect(stateSize(h, WINDOW_CONTENTS)).toBe(0);
  });

  test('without a late data tag, late records are dropped and counted', () => {
    const op = new WindowOperator<Ev, Ev, string, TimeWindow>({
      keySelector: byKey,
      assigner: TumblingEventTimeWindows.of(10),
      trigger: TumblingEventTimeWindows.of(10).getDefaultTrigger(),
      allowedLateness: 0,
      contents: { kind: 'reduce', fn: sum },
    });
    const h = new OperatorHarness<Ev, Ev>(op, undefined, undefined, { keyed: true });
    h.open();
    h.processWatermark(20);
    h.processElement({ k: 'a', v: 1 }, 19); // in [10,20): maxTimestamp 19 <= 20, late
    h.processElement({ k: 'a', v: 1 }, 21);
    expect(op.lateRecordsDropped).toBe(1);
    h.processWatermark(Number.POSITIVE_INFINITY);
    expect(h.output).toEqual([{ value: { k: 'a', v: 1 }, timestamp: 29 }]);
  });

  test('a record late for one sliding window but not another goes only into the live one', () => {
    const h = harness<string>({ assigner: SlidingEventTimeWindows.of(10, 5), contents: { kind: 'list' }, windowFunction: listing, lateDataTag: late });
    h.open();
    h.processWatermark(9);
    h.processElement({ k: 'a', v: 7 }, 7); // [0,10) late; [5,15) live
    h.processWatermark(Number.POSITIVE_INFINITY);
    expect(h.values()).toEqual(['a [5,15) 7']);
    expect(h.sideOutputs.get('late')).toBeUndefined();
  });
});

describe('WindowOperator: process function state', () => {
  test('windowState lives across late firings until cleanup calls clear; globalState across windows', () => {
    const firings = new ValueStateDescriptor<number>('firings', 0);
    const total = new ValueStateDescriptor<number>('total', 0);
    const cleared: string[] = [];
    const fn: ProcessWindowFunction<Ev, string, string, TimeWindow> = {
      process(key, ctx, elements, out) {
        const f = ctx.windowState().getState(firings);
        f.update((f.value() ?? 0) + 1);
        const t = ctx.globalState().getState(total);
        t.update((t.value() ?? 0) + elements.length);
        out.collect(`${key}@${ctx.window.start} firing ${f.value()} total ${t.value()}`);
      },
      clear(ctx) {
        cleared.push(`${ctx.window.start}`);
        ctx.windowState().getState(firings).clear();
      },
    };
    const h = harness<string>({ assigner: TumblingEventTimeWindows.of(10), contents: { kind: 'list' }, windowFunction: fn, allowedLateness: 100 });
    h.open();
    h.processElement({ k: 'a', v: 0 }, 1);
    h.processWatermark(9);
    h.processElement({ k: 'a', v: 0 }, 2);
    h.processElement({ k: 'a', v: 0 }, 15);
    h.processWatermark(19);
    expect(h.values()).toEqual(['a@0 firing 1 total 1', 'a@0 firing 2 total 3', 'a@10 firing 1 total 4']);
    h.processWatermark(109);
    expect(cleared).toEqual(['0']);
    expect(stateSize(h, 'firings')).toBe(0); // window [10,20) still holds its count; [0,10) cleared
    expect([...h.backend!.entries('firings', { type: 'TimeWindow', start: 10, end: 20 }, 'tw:10:20')]).toHaveLength(1);
  });
});

describe('WindowOperator: processing time', () => {
  test('windows fire from the task clock, in its mailbox', async () => {
    const h = harness<string>({ assigner: TumblingProcessingTimeWindows.of(100), contents: { kind: 'list' }, windowFunction: listing });
    h.open();
    await h.advance(30);
    h.processElement({ k: 'a', v: 1 });
    await h.advance(50);
    h.processElement({ k: 'a', v: 2 });
    expect(h.values()).toEqual([]);
    await h.advance(19); // 99: the timer is due at maxTimestamp 99
    expect(h.values()).toEqual(['a [0,100) 1,2']);
    expect(h.output[0].timestamp).toBe(99);
    await h.advance(1);
    h.processElement({ k: 'a', v: 3 });
    await h.advance(200);
    expect(h.values()).toEqual(['a [0,100) 1,2', 'a [100,200) 3']);
  });
});

describe('WindowOperator: global windows, count triggers and evictors', () => {
  test('a purging count trigger fires every n records of a key', () => {
    const h = harness<Ev, any>({ assigner: GlobalWindows.create() as any, trigger: PurgingTrigger.of(CountTrigger.of(3)) as any, contents: { kind: 'reduce', fn: sum } });
    h.open();
    for (let i = 1; i <= 7; i++) h.processElement({ k: i % 2 === 0 ? 'b' : 'a', v: i });
    // a: 1,3,5 | 7 ; b: 2,4,6
    expect(h.values()).toEqual([
      { k: 'a', v: 9 },
      { k: 'b', v: 12 },
    ]);
    expect(h.output[0].timestamp).toBe(Number.POSITIVE_INFINITY);
  });

  test('a count evictor keeps the last n for each firing (sliding count window)', () => {
    const h = harness<string, any>({
      assigner: GlobalWindows.create() as any,
      trigger: CountTrigger.of(2) as any,
      evictor: CountEvictor.of(3) as any,
      contents: { kind: 'list' },
      windowFunction: { process: (k, _ctx, els, out) => out.collect(`${k}:${els.map((e) => e.v).join(',')}`) },
    });
    h.open();
    for (let i = 1; i <= 6; i++) h.processElement({ k: 'a', v: i });
    expect(h.values()).toEqual(['a:1,2', 'a:2,3,4', 'a:4,5,6']);
  });

  test('reduce over what the evictor kept, and the kept elements stay', () => {
    const h = harness<Ev, any>({ assigner: GlobalWindows.create() as any, trigger: CountTrigger.of(2) as any, evictor: CountEvictor.of(2) as any, contents: { kind: 'reduce', fn: sum } });
    h.open();
    for (let i = 1; i <= 4; i++) h.processElement({ k: 'a', v: i });
    expect(h.values()).toEqual([
      { k: 'a', v: 3 },
      { k: 'a', v: 7 },
    ]);
  });
});

describe('WindowOperator: output is copied', () => {
  test('a reduce that mutates its accumulator does not change records emitted by earlier firings', () => {
    const mutating = (a: Ev, b: Ev): Ev => {
      (a as { v: number }).v += b.v;
      return a;
    };
    const h = harness<Ev>({ assigner: TumblingEventTimeWindows.of(100), trigger: ContinuousEventTimeTrigger.of(10) as unknown as Trigger<Ev, TimeWindow>, contents: { kind: 'reduce', fn: mutating } });
    h.open();
    h.processElement({ k: 'a', v: 1 }, 1);
    h.processWatermark(10);
    h.processElement({ k: 'a', v: 2 }, 11);
    h.processWatermark(20);
    expect(h.values()).toEqual([
      { k: 'a', v: 1 },
      { k: 'a', v: 3 },
    ]);
  });
});

describe('WindowOperator: checkpoints', () => {
  const events: [Ev, number][] = [];
  for (let i = 0; i < 60; i++) events.push([{ k: `k${i % 7}`, v: i }, (i * 7) % 45]);

  async function run(splitAt: number, newParallelism: number): Promise<string[]> {
    const spec = { assigner: TumblingEventTimeWindows.of(10), contents: { kind: 'list' } as const, windowFunction: listing, allowedLateness: 3, lateDataTag: new OutputTag<Ev>('late') };
    const first = harness<string>(spec);
    first.open();
    const out: string[] = [];
    let wm = Number.NEGATIVE_INFINITY; // every subtask sees the same watermarks (one upstream channel)
    const feed = (hs: OperatorHarness<Ev, string>[], from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const [e, ts] = events[i];
        const g = assignToKeyGroup(normalizeKey(e.k), 128);
        hs.find((x) => KeyGroupRange.forOperator(128, x.location.parallelism, x.location.subtaskIndex).contains(g))!.processElement(e, ts);
        if (i % 5 === 4 && ts - 4 > wm) {
          wm = ts - 4;
          for (const x of hs) x.processWatermark(wm);
        }
      }
    };
    const results = (h: OperatorHarness<Ev, string>) => [...h.values(), ...(h.sideOutputs.get('late') ?? []).map((r) => `late ${(r.value as Ev).v}`)];
    feed([first], 0, splitAt);
    const snap: HarnessSnapshot = await first.snapshotState();
    out.push(...results(first));
    const next = Array.from({ length: newParallelism }, (_, i) => harness<string>(spec, i, newParallelism));
    for (const h of next) h.open([snap]);
    feed(next, splitAt, events.length);
    for (const h of next) {
      h.processWatermark(Number.POSITIVE_INFINITY);
      out.push(...results(h));
    }
    return out.sort();
  }

  test('restored at other parallelisms mid-stream: the same firings and late records as without a restore', async () => {
    const reference = await run(events.length, 1);
    expect(reference.some((l) => l.startsWith('late'))).toBe(true);
    for (const [split, p] of [
      [17, 1],
      [17, 3],
      [33, 2],
      [50, 4],
    ] as const) {
      expect([split, p, await run(split, p)]).toEqual([split, p, reference]);
    }
  });
});

describe('WindowOperator: user errors', () => {
  test('a trigger returning something else than a TriggerResult names itself', () => {
    const bad = { ...TumblingEventTimeWindows.of(10).getDefaultTrigger(), onElement: () => 'fire', toString: () => 'MyTrigger' } as unknown as Trigger<Ev, TimeWindow>;
    const h = harness<Ev>({ assigner: TumblingEventTimeWindows.of(10), trigger: bad, contents: { kind: 'reduce', fn: sum } });
    h.open();
    expect(() => h.processElement({ k: 'a', v: 1 }, 1)).toThrow(/MyTrigger.onElement\(\) returned "fire"/);
  });

  test('an async process function fails as AsyncUserFunctionError', () => {
    const h = harness<string>({ assigner: TumblingEventTimeWindows.of(10), contents: { kind: 'list' }, windowFunction: { process: async () => {} } as any });
    h.open();
    h.processElement({ k: 'a', v: 1 }, 1);
    expect(() => h.processWatermark(20)).toThrow(AsyncUserFunctionError);
  });
});
