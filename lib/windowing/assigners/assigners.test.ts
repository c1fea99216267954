/**
 * Window assigners: tumbling and sliding boundaries with offsets (incl.
 * negative timestamps), how many sliding windows an element lands in,
 * session windows and their gaps, processing-time assigners reading the
 * clock, GlobalWindows, default triggers, and argument validation
 * (ConfigurationError naming the value) and missing timestamps
 * (WindowAssignmentError with a code).
 */
import { ConfigurationError, ThenableReturnedError, WindowAssignmentError } from '../../errors';
import { EventTimeTrigger } from '../triggers/EventTimeTrigger';
import { NeverTrigger } from '../triggers/NeverTrigger';
import { ProcessingTimeTrigger } from '../triggers/ProcessingTimeTrigger';
import { GlobalWindow } from '../windows/GlobalWindow';
import { TimeWindow } from '../windows/TimeWindow';
import { EventTimeSessionWindows } from './EventTimeSessionWindows';
import { GlobalWindows } from './GlobalWindows';
import { ProcessingTimeSessionWindows } from './ProcessingTimeSessionWindows';
import { SlidingEventTimeWindows } from './SlidingEventTimeWindows';
import { SlidingProcessingTimeWindows } from './SlidingProcessingTimeWindows';
import { TumblingEventTimeWindows } from './TumblingEventTimeWindows';
import { TumblingProcessingTimeWindows } from './TumblingProcessingTimeWindows';
import { isMergingWindowAssigner, type WindowAssignerContext } from './WindowAssigner';

const at = (now: number): WindowAssignerContext => ({ currentProcessingTime: () => now });
const noClock: WindowAssignerContext = {
  currentProcessingTime: () => {
    throw new Error('an event-time assigner must not read the clock');
  },
};
const spans = (ws: TimeWindow[]) => ws.map((w) => [w.start, w.end]);

describe('TumblingEventTimeWindows', () => {
  test.each([
    [0, 0, [0, 10]],
    [9, 0, [0, 10]],
    [10, 0, [10, 20]],
    [-1, 0, [-10, 0]],
    [-10, 0, [-10, 0]],
    [-11, 0, [-20, -10]],
    [1, 2, [-8, 2]],
    [2, 2, [2, 12]],
    [-7, -3, [-13, -3]],
  ])('timestamp %p, offset %p → %p', (ts, offset, span) => {
    expect(spans(TumblingEventTimeWindows.of(10, offset).assignWindows('e', ts, noClock))).toEqual([span]);
  });

  test('is event time, does not merge, fires on EventTimeTrigger', () => {
    const a = TumblingEventTimeWindows.of(1000);
    expect(a.isEventTime).toBe(true);
    expect(isMergingWindowAssigner(a)).toBe(false);
    expect(a.getDefaultTrigger()).toBe(EventTimeTrigger.create());
    expect(String(a)).toBe('TumblingEventTimeWindows(1000, 0)');
  });

  test.each<[number, number, string]>([
    [0, 0, 'TumblingEventTimeWindows.size'],
    [-5, 0, 'TumblingEventTimeWindows.size'],
    [NaN, 0, 'TumblingEventTimeWindows.size'],
    [Infinity, 0, 'TumblingEventTimeWindows.size'],
    [10, 10, 'TumblingEventTimeWindows.offset'],
    [10, -10, 'TumblingEventTimeWindows.offset'],
    [10, NaN, 'TumblingEventTimeWindows.offset'],
  ])('of(%p, %p) is a ConfigurationError on %s', (size, offset, option) => {
    let err: unknown;
    try {
      TumblingEventTimeWindows.of(size, offset);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).option).toBe(option);
    expect((err as ConfigurationError).message).toContain(String(option.endsWith('size') ? size : offset));
  });

  test('an element without a timestamp is a WindowAssignmentError MISSING_TIMESTAMP', () => {
    const a = TumblingEventTimeWindows.of(10);
    let err: unknown;
    try {
      a.assignWindows({ id: 7 }, undefined, noClock);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WindowAssignmentError);
    expect((err as WindowAssignmentError).code).toBe('MISSING_TIMESTAMP');
    expect((err as WindowAssignmentError).assigner).toBe('TumblingEventTimeWindows(10, 0)');
    expect((err as Error).message).toContain('assignTimestampsAndWatermarks');
    expect((err as Error).message).toContain('{"id":7}');
  });

  test('a non-finite timestamp is INVALID_TIMESTAMP', () => {
    expect(() => TumblingEventTimeWindows.of(10).assignWindows('e', NaN, noClock)).toThrow(expect.objectContaining({ code: 'INVALID_TIMESTAMP' }));
    expect(() => SlidingEventTimeWindows.of(10, 5).assignWindows('e', Infinity, noClock)).toThrow(expect.objectContaining({ code: 'INVALID_TIMESTAMP' }));
  });
});

describe('SlidingEventTimeWindows', () => {
  test('size 10, slide 5: two windows per element, newest first', () => {
    const a = SlidingEventTimeWindows.of(10, 5);
    expect(spans(a.assignWindows('e', 7, noClock))).toEqual([[5, 15], [0, 10]]);
    expect(spans(a.assignWindows('e', 5, noClock))).toEqual([[5, 15], [0, 10]]);
    expect(spans(a.assignWindows('e', 4, noClock))).toEqual([[0, 10], [-5, 5]]);
    expect(spans(a.assignWindows('e', -1, noClock))).toEqual([[-5, 5], [-10, 0]]);
  });

  test.each([
    [10, 5, 2],
    [10, 2, 5],
    [10, 10, 1],
    [60, 7, 8], // 60/7 = 8.57: 8 or 9 windows depending on the timestamp
  ])('size %p, slide %p: every element in ⌊size/slide⌋ or ⌈size/slide⌉ windows that contain it', (size, slide, min) => {
    const a = SlidingEventTimeWindows.of(size, slide, 1);
    for (let ts = -50; ts <= 50; ts++) {
      const ws = a.assignWindows('e', ts, noClock);
      expect(ws.length).toBeGreaterThanOrEqual(min);
      expect(ws.length).toBeLessThanOrEqual(Math.ceil(size / slide));
      for (const w of ws) {
        expect(w.start <= ts && ts < w.end).toBe(true);
        expect(w.end - w.start).toBe(size);
        expect((((w.start - 1) % slide) + slide) % slide).toBe(0);
      }
    }
  });

  test('slide larger than size leaves gaps with no window', () => {
    const a = SlidingEventTimeWindows.of(5, 10);
    expect(spans(a.assignWindows('e', 3, noClock))).toEqual([[0, 5]]);
    expect(a.assignWindows('e', 7, noClock)).toEqual([]);
  });

  test('validation: size and slide above 0, |offset| < slide', () => {
    expect(() => SlidingEventTimeWindows.of(0, 5)).toThrow(expect.objectContaining({ option: 'SlidingEventTimeWindows.size' }));
    expect(() => SlidingEventTimeWindows.of(10, 0)).toThrow(expect.objectContaining({ option: 'SlidingEventTimeWindows.slide' }));
    expect(() => SlidingEventTimeWindows.of(10, -1)).toThrow(ConfigurationError);
    expect(() => SlidingEventTimeWindows.of(10, 5, 5)).toThrow(expect.objectContaining({ option: 'SlidingEventTimeWindows.offset' }));
    expect(() => SlidingEventTimeWindows.of(10, 5, 4)).not.toThrow();
  });
});

describe('session windows', () => {
  test('EventTimeSessionWindows: [timestamp, timestamp + gap), merging', () => {
    const a = EventTimeSessionWindows.withGap(30);
    expect(spans(a.assignWindows('e', -7, noClock))).toEqual([[-7, 23]]);
    expect(isMergingWindowAssigner(a)).toBe(true);
    expect(a.isEventTime).toBe(true);
    expect(a.getDefaultTrigger()).toBe(EventTimeTrigger.create());
    expect(() => a.assignWindows('e', undefined, noClock)).toThrow(WindowAssignmentError);
  });

  test('dynamic gaps come from the element and are checked', () => {
    const a = EventTimeSessionWindows.withDynamicGap((e: { gap: unknown }) => e.gap as number);
    expect(spans(a.assignWindows({ gap: 5 }, 100, noClock))).toEqual([[100, 105]]);
    for (const gap of [0, -1, NaN, Infinity, '5']) {
      expect(() => a.assignWindows({ gap }, 100, noClock)).toThrow(expect.objectContaining({ code: 'INVALID_SESSION_GAP' }));
    }
    expect(() => a.assignWindows({ gap: Promise.resolve(5) }, 100, noClock)).toThrow(ThenableReturnedError);
    expect(String(a)).toBe('EventTimeSessionWindows(dynamic)');
  });

  test('gap validation', () => {
    for (const gap of [0, -1, NaN, Infinity]) {
      expect(() => EventTimeSessionWindows.withGap(gap)).toThrow(expect.objectContaining({ option: 'EventTimeSessionWindows.gap' }));
      expect(() => ProcessingTimeSessionWindows.withGap(gap)).toThrow(expect.objectContaining({ option: 'ProcessingTimeSessionWindows.gap' }));
    }
    expect(() => EventTimeSessionWindows.withDynamicGap(5 as never)).toThrow(ConfigurationError);
  });

  test('ProcessingTimeSessionWindows opens [now, now + gap), ignoring the timestamp', () => {
    const a = ProcessingTimeSessionWindows.withGap(10);
    expect(spans(a.assignWindows('e', 999, at(50)))).toEqual([[50, 60]]);
    expect(spans(a.assignWindows('e', undefined, at(50)))).toEqual([[50, 60]]);
    expect(a.isEventTime).toBe(false);
    expect(a.getDefaultTrigger()).toBe(ProcessingTimeTrigger.create());
    const d = ProcessingTimeSessionWindows.withDynamicGap((e: number) => e);
    expect(spans(d.assignWindows(3, undefined, at(50)))).toEqual([[50, 53]]);
  });
});

describe('processing-time assigners', () => {
  test('tumbling and sliding read the clock, not the timestamp', () => {
    const t = TumblingProcessingTimeWindows.of(10, 2);
    expect(spans(t.assignWindows('e', 1000, at(15)))).toEqual([[12, 22]]);
    expect(spans(t.assignWindows('e', undefined, at(-1)))).toEqual([[-8, 2]]);
    expect(t.isEventTime).toBe(false);
    expect(t.getDefaultTrigger()).toBe(ProcessingTimeTrigger.create());
    const s = SlidingProcessingTimeWindows.of(10, 5);
    expect(spans(s.assignWindows('e', undefined, at(7)))).toEqual([[5, 15], [0, 10]]);
    expect(s.getDefaultTrigger()).toBe(ProcessingTimeTrigger.create());
  });

  test('validation', () => {
    expect(() => TumblingProcessingTimeWindows.of(10, 11)).toThrow(expect.objectContaining({ option: 'TumblingProcessingTimeWindows.offset' }));
    expect(() => SlidingProcessingTimeWindows.of(10, NaN)).toThrow(expect.objectContaining({ option: 'SlidingProcessingTimeWindows.slide' }));
  });
});

test('GlobalWindows puts everything into the one window and never fires by default', () => {
  const a = GlobalWindows.create();
  expect(a.assignWindows('e', undefined, { currentProcessingTime: () => 0 })).toEqual([GlobalWindow.get()]);
  expect(a.assignWindows('e', undefined, { currentProcessingTime: () => 0 })[0]).toBe(GlobalWindow.get());
  expect(a.getDefaultTrigger()).toBe(NeverTrigger.create());
  expect(a.isEventTime).toBe(false);
  expect(isMergingWindowAssigner(a)).toBe(false);
});
