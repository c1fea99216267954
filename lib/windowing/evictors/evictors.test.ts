/**
 * Evictors: which elements CountEvictor, TimeEvictor and DeltaEvictor keep,
 * before or after the window function, order preserved, and their
 * argument checks.
 */
import { ConfigurationError, ThenableReturnedError } from '../../errors';
import { TimeWindow } from '../windows/TimeWindow';
import { CountEvictor } from './CountEvictor';
import { DeltaEvictor } from './DeltaEvictor';
import type { EvictorContext, TimestampedValue } from './Evictor';
import { TimeEvictor } from './TimeEvictor';

const win = new TimeWindow(0, 100);
const ctx: EvictorContext = { getCurrentProcessingTime: () => 0, getCurrentWatermark: () => -Infinity };
const els = (...pairs: [string, number | undefined][]): TimestampedValue<string>[] => pairs.map(([value, timestamp]) => ({ value, timestamp }));
const values = (xs: readonly TimestampedValue<unknown>[]) => xs.map((x) => x.value);

describe('CountEvictor', () => {
  const five = els(['a', 1], ['b', 2], ['c', 3], ['d', 4], ['e', 5]);

  test('keeps the last n, before by default', () => {
    const e = CountEvictor.of(2);
    expect(values(e.evictBefore(five, win, ctx))).toEqual(['d', 'e']);
    expect(e.evictAfter(five, win, ctx)).toBe(five);
    expect(e.evictBefore(five.slice(0, 2), win, ctx)).toHaveLength(2);
    expect(e.evictBefore([], win, ctx)).toEqual([]);
  });

  test('after the window function when doEvictAfter', () => {
    const e = CountEvictor.of(3, true);
    expect(e.evictBefore(five, win, ctx)).toBe(five);
    expect(values(e.evictAfter(five, win, ctx))).toEqual(['c', 'd', 'e']);
    expect(String(e)).toBe('CountEvictor(3, after)');
  });

  test.each([0, -1, 2.5, NaN])('of(%p) is a ConfigurationError', (n) => {
    expect(() => CountEvictor.of(n)).toThrow(ConfigurationError);
  });
});

describe('TimeEvictor', () => {
  test('keeps elements within windowSize of the newest timestamp (cutoff excluded)', () => {
    const e = TimeEvictor.of(10);
    const xs = els(['a', 5], ['b', 25], ['c', 15], ['d', 16], ['e', 20]);
    expect(values(e.evictBefore(xs, win, ctx))).toEqual(['b', 'd', 'e']);
    expect(e.evictAfter(xs, win, ctx)).toBe(xs);
  });

  test('negative timestamps, and size 1 keeps only the newest', () => {
    expect(values(TimeEvictor.of(5).evictBefore(els(['a', -20], ['b', -12], ['c', -10]), win, ctx))).toEqual(['b', 'c']);
    expect(values(TimeEvictor.of(1).evictBefore(els(['a', 2], ['b', 3], ['c', 3]), win, ctx))).toEqual(['b', 'c']);
  });

  test('elements without a timestamp stay; none with one evicts nothing', () => {
    const e = TimeEvictor.of(10, true);
    expect(values(e.evictAfter(els(['a', undefined], ['b', 0], ['c', 50]), win, ctx))).toEqual(['a', 'c']);
    const none = els(['a', undefined], ['b', undefined]);
    expect(e.evictAfter(none, win, ctx)).toBe(none);
  });

  test.each([0, -1, NaN, Infinity])('of(%p) is a ConfigurationError', (n) => {
    expect(() => TimeEvictor.of(n)).toThrow(ConfigurationError);
  });
});

describe('DeltaEvictor', () => {
  const readings: TimestampedValue<number>[] = [10, 3, 8, 12, 9].map((value, i) => ({ value, timestamp: i }));
  const distance = (a: number, b: number) => Math.abs(a - b);

  test('evicts elements whose delta to the last is at or above the threshold', () => {
    const e = DeltaEvictor.of(3, distance);
    expect(values(e.evictBefore(readings, win, ctx))).toEqual([10, 8, 9]);
    expect(e.evictAfter(readings, win, ctx)).toBe(readings);
    expect(values(DeltaEvictor.of(3, distance, true).evictAfter(readings, win, ctx))).toEqual([10, 8, 9]);
  });

  test('threshold 0 evicts everything, the last element too (as Flink)', () => {
    expect(DeltaEvictor.of(0, distance).evictBefore(readings, win, ctx)).toEqual([]);
    expect(DeltaEvictor.of(0, distance).evictBefore([], win, ctx)).toEqual([]);
  });

  test('checks its arguments and refuses an async delta function', () => {
    expect(() => DeltaEvictor.of(NaN, distance)).toThrow(ConfigurationError);
    expect(() => DeltaEvictor.of(1, 'abs' as never)).toThrow(ConfigurationError);
    const async = DeltaEvictor.of(1, (async () => 1) as never);
    expect(() => async.evictBefore(readings, win, ctx)).toThrow(ThenableReturnedError);
  });
});
