/**
 * The built-in triggers against a fake TriggerContext (timers recorded per
 * window, Map-backed partitioned state): what each returns on elements and
 * timers, which timers it registers and deletes, what state it keeps and
 * clears, and how it merges (Flink's semantics).
 */
import { ConfigurationError, WindowAssignmentError } from '../../errors';
import { GlobalWindow } from '../windows/GlobalWindow';
import { TimeWindow } from '../windows/TimeWindow';
import { ContinuousEventTimeTrigger } from './ContinuousEventTimeTrigger';
import { ContinuousProcessingTimeTrigger } from './ContinuousProcessingTimeTrigger';
import { CountTrigger } from './CountTrigger';
import { EventTimeTrigger } from './EventTimeTrigger';
import { FakeTriggerContext } from '../../testing/FakeTriggerContext';
import { NeverTrigger } from './NeverTrigger';
import { ProcessingTimeTrigger } from './ProcessingTimeTrigger';
import { PurgingTrigger } from './PurgingTrigger';
import { isFire, isPurge, type TriggerResult } from './Trigger';

const w = (start: number, end: number) => new TimeWindow(start, end);

/** Merges `merged` into `result` as the window operator will: onMerge on the result, then clear each merged window. */
function merge(trigger: { onMerge: Function; clear: Function }, ctx: FakeTriggerContext, result: TimeWindow, merged: TimeWindow[]): void {
  ctx.window = result;
  ctx.mergedWindows = merged;
  trigger.onMerge(result, ctx);
  for (const m of merged) {
    ctx.window = m;
    trigger.clear(m, ctx);
  }
  ctx.window = result;
  ctx.mergedWindows = [];
}

test('TriggerResult helpers', () => {
  const all: TriggerResult[] = ['CONTINUE', 'FIRE', 'PURGE', 'FIRE_AND_PURGE'];
  expect(all.map(isFire)).toEqual([false, true, false, true]);
  expect(all.map(isPurge)).toEqual([false, false, true, true]);
});

describe('EventTimeTrigger', () => {
  const t = EventTimeTrigger.create();

  test('registers a timer at maxTimestamp and fires on it', () => {
    const ctx = new FakeTriggerContext(w(0, 10));
    expect(t.onElement('a', 3, w(0, 10), ctx)).toBe('CONTINUE');
    expect(ctx.eventTimersOf()).toEqual([9]);
    expect(t.onEventTime(8, w(0, 10), ctx)).toBe('CONTINUE');
    expect(t.onEventTime(9, w(0, 10), ctx)).toBe('FIRE');
    expect(t.onProcessingTime(9, w(0, 10), ctx)).toBe('CONTINUE');
    t.clear(w(0, 10), ctx);
    expect(ctx.eventTimersOf()).toEqual([]);
  });

  test('fires at once when the watermark already passed the window (late element)', () => {
    const ctx = new FakeTriggerContext(w(0, 10));
    ctx.watermark = 9;
    expect(t.onElement('a', 3, w(0, 10), ctx)).toBe('FIRE');
    expect(ctx.eventTimersOf()).toEqual([]);
  });

  test('onMerge registers the merged window timer only while ahead of the watermark', () => {
    const ctx = new FakeTriggerContext(w(0, 10));
    t.onElement('a', 0, w(0, 10), ctx);
    ctx.window = w(5, 15);
    t.onElement('b', 5, w(5, 15), ctx);
    merge(t, ctx, w(0, 15), [w(0, 10), w(5, 15)]);
    expect([...ctx.eventTimers]).toEqual(['tw:0:15@14']);
    const late = new FakeTriggerContext(w(0, 15));
    late.watermark = 14;
    t.onMerge(w(0, 15), late);
    expect(late.eventTimersOf()).toEqual([]);
  });

  test('a global window never fires by event time', () => {
    const ctx = new FakeTriggerContext(GlobalWindow.get());
    ctx.watermark = Number.MAX_SAFE_INTEGER;
    expect(t.onElement('a', 1, GlobalWindow.get(), ctx)).toBe('CONTINUE');
    expect(ctx.eventTimersOf()).toEqual([Infinity]);
  });
});

describe('ProcessingTimeTrigger', () => {
  const t = ProcessingTimeTrigger.create();

  test('registers a processing-time timer at maxTimestamp and fires on it', () => {
    const ctx = new FakeTriggerContext(w(0, 10));
    ctx.processingTime = 100; // no immediate firing, unlike EventTimeTrigger
    expect(t.onElement('a', undefined, w(0, 10), ctx)).toBe('CONTINUE');
    expect(ctx.processingTimersOf()).toEqual([9]);
    expect(t.onProcessingTime(9, w(0, 10), ctx)).toBe('FIRE');
    expect(t.onEventTime(9, w(0, 10), ctx)).toBe('CONTINUE');
    t.clear(w(0, 10), ctx);
    expect(ctx.processingTimersOf()).toEqual([]);
  });

  test('onMerge re-registers only while processing time is before the end', () => {
    const ctx = new FakeTriggerContext(w(0, 20));
    ctx.processingTime = 5;
    t.onMerge(w(0, 20), ctx);
    expect(ctx.processingTimersOf()).toEqual([19]);
    const late = new FakeTriggerContext(w(0, 20));
    late.processingTime = 19;
    t.onMerge(w(0, 20), late);
    expect(late.processingTimersOf()).toEqual([]);
  });
});

describe('CountTrigger', () => {
  test('fires every n elements, counting in reducing state', () => {
    const t = CountTrigger.of(3);
    const ctx = new FakeTriggerContext(w(0, 10));
    const results = Array.from({ length: 7 }, (_, i) => t.onElement(i, i, w(0, 10), ctx));
    expect(results).toEqual(['CONTINUE', 'CONTINUE', 'FIRE', 'CONTINUE', 'CONTINUE', 'FIRE', 'CONTINUE']);
    expect(ctx.stored('count')).toBe(1);
    expect(t.onEventTime(9, w(0, 10), ctx)).toBe('CONTINUE');
    expect(t.onProcessingTime(9, w(0, 10), ctx)).toBe('CONTINUE');
    t.clear(w(0, 10), ctx);
    expect(ctx.stateIsEmpty()).toBe(true);
  });

  test('counts per window and merges by addition', () => {
    const t = CountTrigger.of(5);
    const ctx = new FakeTriggerContext(w(0, 10));
    t.onElement('a', 0, w(0, 10), ctx);
    t.onElement('b', 1, w(0, 10), ctx);
    ctx.window = w(8, 18);
    t.onElement('c', 8, w(8, 18), ctx);
    merge(t, ctx, w(0, 18), [w(0, 10), w(8, 18)]);
    expect(ctx.stored('count')).toBe(3);
    expect(ctx.stored('count', w(0, 10))).toBeUndefined();
    expect(t.onElement('d', 9, w(0, 18), ctx)).toBe('CONTINUE');
    expect(t.onElement('e', 9, w(0, 18), ctx)).toBe('FIRE');
  });

  test.each([0, -1, 1.5, NaN])('of(%p) is a ConfigurationError', (n) => {
    expect(() => CountTrigger.of(n)).toThrow(ConfigurationError);
  });
});

describe('ContinuousEventTimeTrigger', () => {
  const t = ContinuousEventTimeTrigger.of(10);
  const win = w(0, 35);

  test('fires at each interval boundary after the first element, and at the window end', () => {
    const ctx = new FakeTriggerContext(win);
    expect(t.onElement('a', 3, win, ctx)).toBe('CONTINUE');
    expect(ctx.eventTimersOf()).toEqual([10, 34]);
    expect(ctx.stored('fire-time')).toBe(10);
    expect(t.onElement('b', 17, win, ctx)).toBe('CONTINUE'); // a fire time is pending: no new one
    expect(ctx.eventTimersOf()).toEqual([10, 34]);
    expect(t.onEventTime(10, win, ctx)).toBe('FIRE');
    expect(ctx.eventTimersOf()).toEqual([10, 20, 34]); // the fired timer is the operator's to drop
    expect(t.onEventTime(20, win, ctx)).toBe('FIRE');
    expect(t.onEventTime(30, win, ctx)).toBe('FIRE');
    expect(ctx.stored('fire-time')).toBe(34); // capped at the window's end
    expect(t.onEventTime(34, win, ctx)).toBe('FIRE');
    expect(t.onEventTime(25, win, ctx)).toBe('CONTINUE'); // not the pending fire time
  });

  test('a late element fires at once; clear deletes the pending timer and state', () => {
    const ctx = new FakeTriggerContext(win);
    t.onElement('a', 3, win, ctx);
    t.clear(win, ctx);
    expect(ctx.eventTimersOf()).toEqual([34]); // the end-of-window timer is the window operator's cleanup
    expect(ctx.stateIsEmpty()).toBe(true);
    ctx.watermark = 40;
    expect(t.onElement('late', 5, win, ctx)).toBe('FIRE');
  });

  test('negative timestamps round toward zero, as in Flink: -13 fires first at 0, not -10', () => {
    const ctx = new FakeTriggerContext(w(-100, 100));
    t.onElement('a', -13, w(-100, 100), ctx);
    expect(ctx.stored('fire-time')).toBe(0);
  });

  test('onMerge keeps the earliest fire time and registers it', () => {
    const ctx = new FakeTriggerContext(w(0, 100));
    t.onElement('a', 25, w(0, 100), ctx); // fire-time 30
    ctx.window = w(5, 100);
    t.onElement('b', 5, w(5, 100), ctx); // fire-time 10
    const merged = w(0, 101);
    merge(t, ctx, merged, [w(0, 100), w(5, 100)]);
    expect(ctx.stored('fire-time')).toBe(10);
    expect(ctx.eventTimersOf(merged)).toEqual([10]);
    // The merged windows' state moved into the result before their clear(), so their timers stay,
    // as in Flink: the window operator ignores timers of windows no longer in flight.
    expect(ctx.eventTimersOf(w(0, 100))).toEqual([30, 99]);
  });

  test('an element without a timestamp is a WindowAssignmentError', () => {
    const ctx = new FakeTriggerContext(win);
    expect(() => t.onElement('a', undefined, win, ctx)).toThrow(WindowAssignmentError);
  });

  test.each([0, -10, NaN, Infinity])('of(%p) is a ConfigurationError', (i) => {
    expect(() => ContinuousEventTimeTrigger.of(i)).toThrow(ConfigurationError);
  });
});

describe('ContinuousProcessingTimeTrigger', () => {
  const t = ContinuousProcessingTimeTrigger.of(10);
  const win = w(0, 35);

  test('fires every interval of processing time, the last at the window end', () => {
    const ctx = new FakeTriggerContext(win);
    ctx.processingTime = 4;
    expect(t.onElement('a', undefined, win, ctx)).toBe('CONTINUE');
    expect(ctx.processingTimersOf()).toEqual([10]);
    ctx.processingTime = 12;
    t.onElement('b', undefined, win, ctx);
    expect(ctx.processingTimersOf()).toEqual([10]);
    expect(t.onProcessingTime(10, win, ctx)).toBe('FIRE');
    expect(t.onProcessingTime(20, win, ctx)).toBe('FIRE');
    expect(t.onProcessingTime(30, win, ctx)).toBe('FIRE');
    expect(ctx.stored('fire-time')).toBe(34);
    expect(t.onProcessingTime(34, win, ctx)).toBe('FIRE');
    expect(t.onProcessingTime(33, win, ctx)).toBe('CONTINUE');
    expect(t.onEventTime(34, win, ctx)).toBe('CONTINUE');
  });

  test('clear deletes the pending timer; onMerge keeps the earliest and registers it', () => {
    const ctx = new FakeTriggerContext(w(0, 100));
    ctx.processingTime = 41;
    t.onElement('a', undefined, w(0, 100), ctx); // 50
    ctx.window = w(20, 100);
    ctx.processingTime = 61;
    t.onElement('b', undefined, w(20, 100), ctx); // 70
    merge(t, ctx, w(0, 101), [w(0, 100), w(20, 100)]);
    expect(ctx.stored('fire-time')).toBe(50);
    expect(ctx.processingTimersOf(w(0, 101))).toEqual([50]);
    expect(ctx.processingTimersOf(w(20, 100))).toEqual([70]); // stale, ignored by the operator (see above)
    t.clear(w(0, 101), ctx);
    expect(ctx.processingTimersOf(w(0, 101))).toEqual([]);
    expect(ctx.stateIsEmpty()).toBe(true);
  });
});

describe('PurgingTrigger', () => {
  test('turns FIRE into FIRE_AND_PURGE and delegates the rest', () => {
    const t = PurgingTrigger.of(CountTrigger.of(2));
    const ctx = new FakeTriggerContext(w(0, 10));
    expect(t.onElement('a', 1, w(0, 10), ctx)).toBe('CONTINUE');
    expect(t.onElement('b', 1, w(0, 10), ctx)).toBe('FIRE_AND_PURGE');
    const et = PurgingTrigger.of(EventTimeTrigger.create());
    expect(et.onEventTime(9, w(0, 10), ctx)).toBe('FIRE_AND_PURGE');
    expect(et.onEventTime(8, w(0, 10), ctx)).toBe('CONTINUE');
    expect(et.canMerge()).toBe(true);
    et.onElement('x', 1, w(0, 10), ctx);
    et.clear(w(0, 10), ctx);
    expect(ctx.eventTimersOf()).toEqual([]);
    expect(String(t)).toBe('PurgingTrigger(CountTrigger(2))');
    expect(() => PurgingTrigger.of(undefined as never)).toThrow(ConfigurationError);
  });
});

test('NeverTrigger never fires', () => {
  const t = NeverTrigger.create();
  const ctx = new FakeTriggerContext(GlobalWindow.get());
  const g = GlobalWindow.get();
  expect([t.onElement('a', 1, g, ctx), t.onEventTime(1, g, ctx), t.onProcessingTime(1, g, ctx)]).toEqual(['CONTINUE', 'CONTINUE', 'CONTINUE']);
  expect(ctx.eventTimers.size + ctx.processingTimers.size).toBe(0);
});
