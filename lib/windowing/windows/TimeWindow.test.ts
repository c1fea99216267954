/**
 * TimeWindow: end-exclusive bounds, window starts for positive and negative
 * timestamps and offsets, touching windows intersect, merging groups, and
 * the stable key / plain data a window is checkpointed as.
 */
import { encodeState, decodeState } from '../../state/codec';
import { CorruptStateError } from '../../errors';
import { GlobalWindow } from './GlobalWindow';
import { TimeWindow } from './TimeWindow';
import { windowFromData, windowKey, windowToData, type WindowData } from './Window';

describe('TimeWindow', () => {
  test('maxTimestamp is end - 1', () => {
    expect(new TimeWindow(0, 10).maxTimestamp()).toBe(9);
    expect(new TimeWindow(-10, 0).maxTimestamp()).toBe(-1);
  });

  test.each([
    // timestamp, offset, size, start
    [0, 0, 10, 0],
    [9, 0, 10, 0],
    [10, 0, 10, 10],
    [-1, 0, 10, -10],
    [-10, 0, 10, -10],
    [-11, 0, 10, -20],
    [3, 2, 10, 2],
    [1, 2, 10, -8],
    [-9, 2, 10, -18],
    [1, -3, 10, -3],
    [7, -3, 10, 7],
    [-3, -3, 10, -3],
    [1_700_000_123_456, -3_600_000, 86_400_000, 1_699_916_400_000],
  ])('getWindowStartWithOffset(%p, %p, %p) = %p', (ts, offset, size, start) => {
    const s = TimeWindow.getWindowStartWithOffset(ts, offset, size);
    expect(s).toBe(start);
    expect(s <= ts && ts < s + size).toBe(true);
  });

  test('no -0 start, so keys of equal windows are equal', () => {
    const s = TimeWindow.getWindowStartWithOffset(-0, 0, 10);
    expect(Object.is(s, -0)).toBe(false);
    expect(new TimeWindow(-0, 10).key()).toBe(new TimeWindow(0, 10).key());
  });

  test('intersects when overlapping or touching, cover spans both', () => {
    const a = new TimeWindow(0, 10);
    expect(a.intersects(new TimeWindow(10, 20))).toBe(true);
    expect(a.intersects(new TimeWindow(-5, 0))).toBe(true);
    expect(a.intersects(new TimeWindow(11, 20))).toBe(false);
    expect(a.intersects(new TimeWindow(3, 4))).toBe(true);
    expect(a.cover(new TimeWindow(15, 20))).toEqual(new TimeWindow(0, 20));
  });

  test('mergeWindows reports each group of two or more, equal windows once', () => {
    const calls: [string[], string][] = [];
    TimeWindow.mergeWindows(
      [new TimeWindow(20, 25), new TimeWindow(0, 5), new TimeWindow(4, 8), new TimeWindow(30, 35), new TimeWindow(30, 35), new TimeWindow(8, 9), new TimeWindow(100, 101)],
      (group, result) => calls.push([group.map(String), String(result)]),
    );
    expect(calls).toEqual([
      [['TimeWindow[0, 5)', 'TimeWindow[4, 8)', 'TimeWindow[8, 9)'], 'TimeWindow[0, 9)'],
    ]);
  });

  test('instances are immutable', () => {
    const w = new TimeWindow(0, 10);
    expect(() => {
      (w as { start: number }).start = 5;
    }).toThrow(TypeError);
  });
});

describe('window keys and data', () => {
  test('keys are stable and distinct', () => {
    expect(windowKey(new TimeWindow(0, 10))).toBe('tw:0:10');
    expect(windowKey(new TimeWindow(-20, -10))).toBe('tw:-20:-10');
    expect(windowKey(GlobalWindow.get())).toBe('global');
    expect(windowKey(new TimeWindow(1, 12))).not.toBe(windowKey(new TimeWindow(11, 2)));
  });

  test.each([new TimeWindow(-5, 7), new TimeWindow(0.5, 1.25), GlobalWindow.get()])('%s round-trips through msgpack as plain data', (w) => {
    const data = decodeState<WindowData>(encodeState(windowToData(w)), 'window');
    const back = windowFromData(data);
    expect(back.equals(w)).toBe(true);
    expect(windowKey(back)).toBe(windowKey(w));
  });

  test('GlobalWindow is a singleton that never ends', () => {
    expect(GlobalWindow.get()).toBe(GlobalWindow.get());
    expect(GlobalWindow.get().maxTimestamp()).toBe(Infinity);
    expect(windowFromData({ type: 'GlobalWindow' })).toBe(GlobalWindow.get());
  });

  test('data that is not a window is corrupt state', () => {
    expect(() => windowFromData({ type: 'TimeWindow', start: 'a' } as unknown as WindowData)).toThrow(CorruptStateError);
    expect(() => windowFromData(null as unknown as WindowData)).toThrow(CorruptStateError);
  });
});
