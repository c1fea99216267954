/**
 * MergingWindowSet: new windows that merge or not, chains of merges that
 * keep the first state window, a new element bridging two sessions, dynamic
 * gaps (a new window inside or equal to an in-flight one), retiring, and
 * snapshot / restore through msgpack.
 */
import { CorruptStateError } from '../errors';
import { encodeState, decodeState } from '../state/codec';
import { EventTimeSessionWindows } from './assigners/EventTimeSessionWindows';
import { MergingWindowSet, type MergingWindowSetSnapshot } from './MergingWindowSet';
import { TimeWindow } from './windows/TimeWindow';

const w = (start: number, end: number) => new TimeWindow(start, end);
const sessions = EventTimeSessionWindows.withGap(10);

interface Merge {
  result: string;
  merged: string[];
  stateResult: string;
  mergedState: string[];
}

function recorder() {
  const merges: Merge[] = [];
  const fn = (result: TimeWindow, merged: readonly TimeWindow[], stateResult: TimeWindow, mergedState: readonly TimeWindow[]) =>
    merges.push({ result: String(result), merged: merged.map(String), stateResult: String(stateResult), mergedState: mergedState.map(String) });
  return { merges, fn };
}

const state = (set: MergingWindowSet<TimeWindow>) => Object.fromEntries(set.windows().map((x) => [String(x), String(set.getStateWindow(x))]));

describe('MergingWindowSet', () => {
  test('a window that merges with nothing is its own state window', () => {
    const set = new MergingWindowSet(sessions);
    const { merges, fn } = recorder();
    expect(set.addWindow(w(0, 10), fn)).toEqual(w(0, 10));
    expect(set.addWindow(w(30, 40), fn)).toEqual(w(30, 40));
    expect(merges).toEqual([]);
    expect(state(set)).toEqual({ 'TimeWindow[0, 10)': 'TimeWindow[0, 10)', 'TimeWindow[30, 40)': 'TimeWindow[30, 40)' });
  });

  test('a growing session keeps its first state window; the new window is never among the merged', () => {
    const set = new MergingWindowSet(sessions);
    const { merges, fn } = recorder();
    set.addWindow(w(0, 10), fn);
    expect(set.addWindow(w(5, 15), fn)).toEqual(w(0, 15));
    expect(set.addWindow(w(15, 25), fn)).toEqual(w(0, 25)); // touching merges
    expect(merges).toEqual([
      { result: 'TimeWindow[0, 15)', merged: ['TimeWindow[0, 10)'], stateResult: 'TimeWindow[0, 10)', mergedState: [] },
      { result: 'TimeWindow[0, 25)', merged: ['TimeWindow[0, 15)'], stateResult: 'TimeWindow[0, 10)', mergedState: [] },
    ]);
    expect(state(set)).toEqual({ 'TimeWindow[0, 25)': 'TimeWindow[0, 10)' });
  });

  test('a new element bridging two sessions merges them into one, keeping one state window', () => {
    const set = new MergingWindowSet(sessions);
    const { merges, fn } = recorder();
    set.addWindow(w(0, 10), fn);
    set.addWindow(w(3, 13), fn); // [0, 13) state [0, 10)
    set.addWindow(w(20, 30), fn);
    set.addWindow(w(25, 35), fn); // [20, 35) state [20, 30)
    merges.length = 0;
    expect(set.addWindow(w(12, 22), fn)).toEqual(w(0, 35));
    expect(merges).toEqual([
      {
        result: 'TimeWindow[0, 35)',
        merged: ['TimeWindow[0, 13)', 'TimeWindow[20, 35)'],
        stateResult: 'TimeWindow[0, 10)',
        mergedState: ['TimeWindow[20, 30)'],
      },
    ]);
    expect(state(set)).toEqual({ 'TimeWindow[0, 35)': 'TimeWindow[0, 10)' });
  });

  test('a new window inside an in-flight one changes nothing and calls no merge', () => {
    const dynamic = EventTimeSessionWindows.withDynamicGap((gap: number) => gap);
    const set = new MergingWindowSet(dynamic);
    const { merges, fn } = recorder();
    set.addWindow(w(0, 100), fn);
    expect(set.addWindow(w(10, 20), fn)).toEqual(w(0, 100));
    expect(merges).toEqual([]);
    expect(state(set)).toEqual({ 'TimeWindow[0, 100)': 'TimeWindow[0, 100)' });
  });

  test('dynamic gaps: a short window and a long one that swallows two sessions', () => {
    const dynamic = EventTimeSessionWindows.withDynamicGap((gap: number) => gap);
    const set = new MergingWindowSet(dynamic);
    const { merges, fn } = recorder();
    set.addWindow(w(0, 2), fn);
    set.addWindow(w(10, 12), fn);
    set.addWindow(w(50, 51), fn);
    expect(set.addWindow(w(1, 41), fn)).toEqual(w(0, 41));
    expect(merges).toEqual([
      { result: 'TimeWindow[0, 41)', merged: ['TimeWindow[0, 2)', 'TimeWindow[10, 12)'], stateResult: 'TimeWindow[0, 2)', mergedState: ['TimeWindow[10, 12)'] },
    ]);
    expect(state(set)).toEqual({ 'TimeWindow[0, 41)': 'TimeWindow[0, 2)', 'TimeWindow[50, 51)': 'TimeWindow[50, 51)' });
  });

  test('a new window equal to a merged in-flight window keeps its state window (Flink would remap it to itself)', () => {
    const dynamic = EventTimeSessionWindows.withDynamicGap((gap: number) => gap);
    const set = new MergingWindowSet(dynamic);
    const { merges, fn } = recorder();
    set.addWindow(w(0, 5), fn);
    set.addWindow(w(3, 10), fn); // [0, 10) state [0, 5)
    merges.length = 0;
    expect(set.addWindow(w(0, 10), fn)).toEqual(w(0, 10));
    expect(merges).toEqual([]);
    expect(state(set)).toEqual({ 'TimeWindow[0, 10)': 'TimeWindow[0, 5)' });
  });

  test('retireWindow removes a window; retiring one not in flight is a bug', () => {
    const set = new MergingWindowSet(sessions);
    const { fn } = recorder();
    const a = set.addWindow(w(0, 10), fn);
    set.retireWindow(a);
    expect(set.size).toBe(0);
    expect(set.getStateWindow(a)).toBeUndefined();
    expect(() => set.retireWindow(a)).toThrow(/not in the in-flight window set/);
  });

  test('snapshot is plain data; restore gives the same mapping and merges on from it', () => {
    const set = new MergingWindowSet(sessions);
    const { fn } = recorder();
    set.addWindow(w(0, 10), fn);
    set.addWindow(w(5, 15), fn);
    set.addWindow(w(40, 50), fn);
    const snap = set.snapshot();
    set.addWindow(w(100, 110), fn); // later changes do not reach the snapshot
    const bytes = encodeState(snap);
    const restored = MergingWindowSet.restore(sessions, decodeState<MergingWindowSetSnapshot>(bytes, 'merging window set'));
    expect(state(restored)).toEqual({ 'TimeWindow[0, 15)': 'TimeWindow[0, 10)', 'TimeWindow[40, 50)': 'TimeWindow[40, 50)' });
    const { merges, fn: fn2 } = recorder();
    expect(restored.addWindow(w(14, 24), fn2)).toEqual(w(0, 24));
    expect(merges[0]!.stateResult).toBe('TimeWindow[0, 10)');
  });

  test('restore of undefined is empty; of garbage is corrupt state', () => {
    expect(MergingWindowSet.restore(sessions, undefined).size).toBe(0);
    expect(() => MergingWindowSet.restore(sessions, { mapping: 3 } as never)).toThrow(CorruptStateError);
    expect(() => MergingWindowSet.restore(sessions, { mapping: [[{ type: 'TimeWindow', start: 0, end: 1 }]] } as never)).toThrow(CorruptStateError);
  });
});
