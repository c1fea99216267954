/**
 * SplitTimestampsAndWatermarks on a ManualClock: per-split generators
 * (periodic and punctuated), the minimum over split outputs, idleness per
 * split, released splits, splits added later, the main output (alone it is
 * the single generator of old; unused it stands aside for split outputs),
 * end of input; and the property that a record on time for its own split
 * is never late for the subtask, whatever the interleaving of splits.
 */
import fc from 'fast-check';
import { ManualClock } from '../testing/ManualClock';
import { SplitTimestampsAndWatermarks } from './SplitTimestampsAndWatermarks';
import { TimestampsAndWatermarks, type WatermarkEmission } from './TimestampsAndWatermarks';
import { Watermark } from './Watermark';
import { WatermarkStrategy } from './WatermarkStrategy';

interface Ev {
  readonly ts: number;
  readonly split?: string;
}
type Down = { kind: 'record'; value: Ev; timestamp: number | undefined } | WatermarkEmission;

const wm = (timestamp: number): WatermarkEmission => ({ kind: 'watermark', timestamp });
const IDLE: WatermarkEmission = { kind: 'status', status: 'IDLE' };
const ACTIVE: WatermarkEmission = { kind: 'status', status: 'ACTIVE' };
const bounded = (ms: number) => WatermarkStrategy.forBoundedOutOfOrderness<Ev>(ms).withTimestampAssigner((e) => e.ts);

function harness(strategy: WatermarkStrategy<Ev>, autoWatermarkIntervalMs = 100) {
  const clock = new ManualClock();
  const down: Down[] = [];
  const t = new SplitTimestampsAndWatermarks(strategy, clock, {
    autoWatermarkIntervalMs,
    collect: (value, timestamp) => void down.push({ kind: 'record', value, timestamp }),
    emit: (e) => void down.push(e),
  });
  /** The next poll, as the task's timer runs it (at once when it is overdue). */
  const tick = () => {
    clock.advance(Math.max(0, t.nextPeriodicEmitAt! - clock.now()));
    t.onPeriodicEmit();
  };
  /** Only the watermarks and status changes taken since the last call. */
  const marks = () => down.splice(0).filter((d) => d.kind !== 'record');
  return { t, clock, tick, marks, down };
}

describe('SplitTimestampsAndWatermarks', () => {
  test('each split has its own generator: a split far ahead does not make another split late', () => {
    const { t, tick, marks } = harness(bounded(10));
    const ahead = t.createOutputForSplit('ahead');
    const behind = t.createOutputForSplit('behind');
    for (let ts = 10_000; ts < 10_100; ts += 10) ahead.collect({ ts });
    tick();
    expect(marks()).toEqual([]); // 'behind' has no records yet: it holds the subtask at -Infinity
    behind.collect({ ts: 5 });
    tick();
    expect(marks()).toEqual([wm(-6)]);
    behind.collect({ ts: 500 });
    tick();
    expect(marks()).toEqual([wm(489)]);
    expect(t.currentWatermark).toBe(489);
  });

  test('a finished split no longer holds the watermark back; a split added later holds it where it is', () => {
    const { t, tick, marks } = harness(bounded(0));
    const a = t.createOutputForSplit('a');
    const b = t.createOutputForSplit('b');
    a.collect({ ts: 1000 });
    b.collect({ ts: 100 });
    tick();
    expect(marks()).toEqual([wm(99)]);
    t.releaseOutputForSplit('b');
    expect(marks()).toEqual([wm(999)]); // at once, not at the next poll
    const c = t.createOutputForSplit('c');
    expect(t.activeOutputs).toEqual(['a', 'c']);
    a.collect({ ts: 5000 });
    tick();
    expect(marks()).toEqual([]); // c has nothing yet
    c.collect({ ts: 2000 });
    tick();
    expect(marks()).toEqual([wm(1999)]);
    t.releaseOutputForSplit('unknown'); // nothing
    expect(t.createOutputForSplit('c')).toBe(c);
  });

  test('idleness per split: a quiet split is left out, the subtask is IDLE only when every split is', () => {
    const { t, clock, tick, marks } = harness(bounded(0).withIdleness(250));
    const busy = t.createOutputForSplit('busy');
    t.createOutputForSplit('quiet');
    for (let i = 1; i <= 3; i++) {
      busy.collect({ ts: i * 100 });
      tick();
    }
    // 'quiet' went idle after 250 ms of processing time: 'busy' alone decides.
    expect(marks()).toEqual([wm(299)]);
    clock.advance(300);
    tick();
    expect(marks()).toEqual([IDLE]);
    busy.collect({ ts: 400 });
    expect(marks()).toEqual([ACTIVE]); // before the record goes down
    tick();
    expect(marks()).toEqual([wm(399)]);
  });

  test('punctuated generators emit per split, at once after the record', () => {
    const punctuated = WatermarkStrategy.forGenerator<Ev>(() => ({
      onEvent: (e, ts, out) => out.emitWatermark(new Watermark(ts)),
      onPeriodicEmit() {},
    })).withTimestampAssigner((e) => e.ts);
    const { t, down } = harness(punctuated, 0);
    expect(t.nextPeriodicEmitAt).toBeUndefined();
    const a = t.createOutputForSplit('a');
    const b = t.createOutputForSplit('b');
    a.collect({ ts: 50 });
    b.collect({ ts: 20 });
    a.collect({ ts: 60 });
    b.collect({ ts: 70 });
    expect(down).toEqual([
      { kind: 'record', value: { ts: 50 }, timestamp: 50 },
      { kind: 'record', value: { ts: 20 }, timestamp: 20 },
      wm(20),
      { kind: 'record', value: { ts: 60 }, timestamp: 60 },
      { kind: 'record', value: { ts: 70 }, timestamp: 70 },
      wm(60),
    ]);
  });

  test('the main output alone behaves as one generator per subtask', () => {
    const strategy = bounded(5).withIdleness(300);
    const split = harness(strategy);
    const clock = new ManualClock();
    const single: Down[] = [];
    const one = new TimestampsAndWatermarks(strategy, clock, {
      autoWatermarkIntervalMs: 100,
      collect: (value, timestamp) => void single.push({ kind: 'record', value, timestamp }),
      emit: (e) => void single.push(e),
    });
    const script: (number | 'tick' | 'wait')[] = [10, 30, 'tick', 20, 'tick', 'wait', 'tick', 'tick', 'tick', 'tick', 50, 'tick', 40, 'tick'];
    for (const step of script) {
      if (step === 'tick') {
        split.tick();
        clock.advance(Math.max(0, one.nextPeriodicEmitAt! - clock.now()));
        one.onPeriodicEmit();
      } else if (step === 'wait') {
        split.clock.advance(200);
        clock.advance(200);
      } else {
        split.t.mainOutput.collect({ ts: step });
        one.onElement({ ts: step }, undefined);
      }
    }
    split.t.onEndOfInput();
    one.onEndOfInput();
    expect(split.down).toEqual(single);
    expect(single).toContainEqual(IDLE);
  });

  test('an unused main output stands aside while split outputs exist, and stands for the reader when none is left', () => {
    const { t, clock, tick, marks } = harness(bounded(0).withIdleness(250));
    expect(t.activeOutputs).toEqual(['main']);
    const a = t.createOutputForSplit('a');
    expect(t.activeOutputs).toEqual(['a']);
    a.collect({ ts: 100 });
    tick();
    expect(marks()).toEqual([wm(99)]);
    clock.advance(1000); // long after the main generator was made
    t.releaseOutputForSplit('a');
    tick();
    expect(marks()).toEqual([]); // a fresh main generator: its idleness counts from the release
    clock.advance(300);
    tick();
    expect(marks()).toEqual([IDLE]);
    // A record on the main output makes it count from then on, also next to split outputs.
    t.mainOutput.collect({ ts: 500 });
    expect(marks()).toEqual([ACTIVE]);
    t.createOutputForSplit('b');
    expect(t.activeOutputs).toEqual(['main', 'b']);
  });

  test('end of input: +Infinity once (after ACTIVE if idle), then nothing; records are still forwarded', () => {
    const { t, clock, tick, marks, down } = harness(bounded(0).withIdleness(100));
    t.createOutputForSplit('a');
    clock.advance(150);
    tick();
    expect(marks()).toEqual([IDLE]);
    t.onEndOfInput();
    t.onEndOfInput();
    expect(marks()).toEqual([ACTIVE, wm(Infinity)]);
    expect(t.nextPeriodicEmitAt).toBeUndefined();
    t.createOutputForSplit('b').collect({ ts: 5 });
    t.onPeriodicEmit();
    expect(down).toEqual([{ kind: 'record', value: { ts: 5 }, timestamp: 5 }]);
  });

  test('a record emitted on a released split\'s output is forwarded but moves no watermark', () => {
    const { t, tick, marks } = harness(bounded(0));
    const a = t.createOutputForSplit('a');
    const b = t.createOutputForSplit('b');
    b.collect({ ts: 10 });
    t.releaseOutputForSplit('a');
    a.collect({ ts: 1 });
    tick();
    expect(marks()).toEqual([wm(9)]);
  });

  test('property: a record on time for its own split (ts > its split\'s max − bound − 1) is never late for the subtask', () => {
    const BOUND = 20;
    const step = fc.oneof(
      { weight: 8, arbitrary: fc.record({ kind: fc.constant('record' as const), split: fc.integer({ min: 0, max: 3 }), delta: fc.integer({ min: -40, max: 60 }) }) },
      { weight: 2, arbitrary: fc.constant({ kind: 'tick' as const }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), split: fc.integer({ min: 0, max: 3 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('add' as const), split: fc.integer({ min: 0, max: 3 }) }) },
    );
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 100_000 }), { minLength: 4, maxLength: 4 }), fc.array(step, { maxLength: 200 }), (starts, steps) => {
        const { t, tick, down } = harness(bounded(BOUND));
        const max = new Map<number, number>();
        const outputs = new Map<number, ReturnType<typeof t.createOutputForSplit>>();
        // Every split the reader holds gets its output up front, as a reader should.
        for (let s = 0; s < 4; s++) outputs.set(s, t.createOutputForSplit(`s${s}`));
        const next = starts.slice();
        for (const st of steps) {
          if (st.kind === 'tick') tick();
          else if (st.kind === 'release') {
            t.releaseOutputForSplit(`s${st.split}`);
            outputs.delete(st.split);
          } else if (st.kind === 'add') {
            if (!outputs.has(st.split)) {
              // A split added later can only be on time above what the subtask already emitted (it cannot move event time back).
              outputs.set(st.split, t.createOutputForSplit(`s${st.split}`));
              next[st.split] = Math.max(next[st.split], t.currentWatermark + BOUND + 1);
              max.delete(st.split);
            }
          } else {
            const out = outputs.get(st.split);
            if (out === undefined) continue;
            const ts = next[st.split] + st.delta;
            next[st.split] = Math.max(next[st.split], ts);
            const ownBound = (max.get(st.split) ?? -Infinity) - BOUND - 1;
            if (ts > ownBound) expect(ts).toBeGreaterThan(t.currentWatermark);
            max.set(st.split, Math.max(max.get(st.split) ?? -Infinity, ts));
            out.collect({ ts });
          }
        }
        // Watermarks strictly increase.
        const ws = down.filter((d): d is { kind: 'watermark'; timestamp: number } => d.kind === 'watermark').map((d) => d.timestamp);
        expect(ws).toEqual([...ws].sort((a, b) => a - b));
        expect(new Set(ws).size).toBe(ws.length);
      }),
    );
  });
});
