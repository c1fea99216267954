/**
 * Properties of window assignment over random timestamps, negative ones
 * included, each checked against a from-scratch reference:
 *
 * - Tumbling and sliding windows with offsets: the windows an assigner
 *   gives are exactly those found by enumerating every candidate start in
 *   (timestamp - size, timestamp] aligned to the offset (small times), or
 *   by floor division (times up to ±1e12).
 * - Session windows, fixed and dynamic gaps: elements added one by one in
 *   random order to a MergingWindowSet (snapshot and restored through
 *   msgpack midway) end in the sessions of a reference that sorts the
 *   element windows and sweeps them, merging overlapping or touching ones;
 *   and every element's contents end up in its session's state window
 *   (the merge function moves the contents as the window operator will).
 *
 * Replay a failure: FC_SEED=<seed> npx jest lib/windowing/assigners.prop.ts
 */
import fc from 'fast-check';
import { decodeState, encodeState } from '../state/codec';
import { EventTimeSessionWindows } from './assigners/EventTimeSessionWindows';
import { SlidingEventTimeWindows } from './assigners/SlidingEventTimeWindows';
import { TumblingEventTimeWindows } from './assigners/TumblingEventTimeWindows';
import type { WindowAssignerContext } from './assigners/WindowAssigner';
import { MergingWindowSet, type MergingWindowSetSnapshot } from './MergingWindowSet';
import type { TimeWindow } from './windows/TimeWindow';
import { windowKey } from './windows/Window';

const ctx: WindowAssignerContext = { currentProcessingTime: () => 0 };
const mod = (a: number, n: number) => ((a % n) + n) % n;
const spans = (ws: readonly TimeWindow[]) => ws.map((w) => [w.start, w.end] as const).sort((a, b) => a[0] - b[0]);

/** Every window of `size` starting at an offset-aligned multiple of `slide` that contains `ts`, by enumeration. */
function enumerate(ts: number, size: number, slide: number, offset: number): (readonly [number, number])[] {
  const out: (readonly [number, number])[] = [];
  for (let start = ts - size + 1; start <= ts; start++) if (mod(start - offset, slide) === 0) out.push([start, start + size]);
  return out;
}

/** The same by floor division, for timestamps too large to enumerate around. */
function byDivision(ts: number, size: number, slide: number, offset: number): (readonly [number, number])[] {
  const out: (readonly [number, number])[] = [];
  const last = Math.floor((ts - offset) / slide) * slide + offset;
  for (let start = last; start > ts - size; start -= slide) out.unshift([start, start + size]);
  return out;
}

/** size, slide and an offset with |offset| < slide. */
const slidingParams = (maxSize: number) =>
  fc
    .record({ size: fc.integer({ min: 1, max: maxSize }), slide: fc.integer({ min: 1, max: maxSize }) })
    .chain(({ size, slide }) => fc.record({ size: fc.constant(size), slide: fc.constant(slide), offset: fc.integer({ min: -(slide - 1), max: slide - 1 }) }));

const tumblingParams = (maxSize: number) =>
  fc.integer({ min: 1, max: maxSize }).chain((size) => fc.record({ size: fc.constant(size), offset: fc.integer({ min: -(size - 1), max: size - 1 }) }));

describe('tumbling and sliding assignment against enumeration', () => {
  test('tumbling, small timestamps: the one window containing the timestamp', () => {
    fc.assert(
      fc.property(tumblingParams(60), fc.integer({ min: -5000, max: 5000 }), ({ size, offset }, ts) => {
        const got = spans(TumblingEventTimeWindows.of(size, offset).assignWindows('e', ts, ctx));
        expect(got).toEqual(enumerate(ts, size, size, offset));
        expect(got).toHaveLength(1);
      }),
    );
  });

  test('tumbling, large timestamps and sizes', () => {
    fc.assert(
      fc.property(tumblingParams(86_400_000), fc.integer({ min: -1e12, max: 1e12 }), ({ size, offset }, ts) => {
        expect(spans(TumblingEventTimeWindows.of(size, offset).assignWindows('e', ts, ctx))).toEqual(byDivision(ts, size, size, offset));
      }),
    );
  });

  test('sliding, small timestamps: exactly the enumerated windows', () => {
    fc.assert(
      fc.property(slidingParams(40), fc.integer({ min: -5000, max: 5000 }), ({ size, slide, offset }, ts) => {
        expect(spans(SlidingEventTimeWindows.of(size, slide, offset).assignWindows('e', ts, ctx))).toEqual(enumerate(ts, size, slide, offset));
      }),
    );
  });

  test('sliding, large timestamps', () => {
    fc.assert(
      fc.property(slidingParams(100_000), fc.integer({ min: -1e12, max: 1e12 }), ({ size, slide, offset }, ts) => {
        fc.pre(size / slide <= 1000);
        expect(spans(SlidingEventTimeWindows.of(size, slide, offset).assignWindows('e', ts, ctx))).toEqual(byDivision(ts, size, slide, offset));
      }),
    );
  });
});

interface Element {
  readonly id: number;
  readonly ts: number;
  readonly gap: number;
}

/** Sessions by the reference: element windows sorted by start, swept, overlapping or touching ones merged. */
function referenceSessions(elements: readonly Element[]): { span: readonly [number, number]; ids: number[] }[] {
  const sorted = [...elements].sort((a, b) => a.ts - b.ts);
  const out: { span: [number, number]; ids: number[] }[] = [];
  for (const e of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && e.ts <= last.span[1]) {
      last.span[1] = Math.max(last.span[1], e.ts + e.gap);
      last.ids.push(e.id);
    } else out.push({ span: [e.ts, e.ts + e.gap], ids: [e.id] });
  }
  for (const s of out) s.ids.sort((a, b) => a - b);
  return out;
}

/** Adds the elements in order as the window operator will, restoring from a snapshot after `restoreAt` of them. */
function runSessions(assigner: EventTimeSessionWindows<Element>, elements: readonly Element[], restoreAt: number) {
  let set = new MergingWindowSet(assigner);
  const contents = new Map<string, number[]>(); // state window key → element ids (the window state)
  elements.forEach((e, i) => {
    if (i === restoreAt) {
      const bytes = encodeState(set.snapshot());
      set = MergingWindowSet.restore(assigner, decodeState<MergingWindowSetSnapshot>(bytes, 'merging window set'));
    }
    for (const w of assigner.assignWindows(e, e.ts, ctx)) {
      const actual = set.addWindow(w, (_result, _merged, stateResult, mergedState) => {
        const target = contents.get(windowKey(stateResult)) ?? [];
        for (const s of mergedState) {
          target.push(...(contents.get(windowKey(s)) ?? []));
          contents.delete(windowKey(s));
        }
        contents.set(windowKey(stateResult), target);
      });
      const stateWindow = set.getStateWindow(actual);
      if (stateWindow === undefined) throw new Error(`no state window for ${String(actual)}`);
      const key = windowKey(stateWindow);
      contents.set(key, [...(contents.get(key) ?? []), e.id]);
    }
  });
  return set
    .windows()
    .map((w) => ({ span: [w.start, w.end] as const, ids: [...(contents.get(windowKey(set.getStateWindow(w)!)) ?? [])].sort((a, b) => a - b) }))
    .sort((a, b) => a.span[0] - b.span[0]);
}

const elementsArb = (gapArb: fc.Arbitrary<number>, span = 300) =>
  fc
    .array(fc.record({ ts: fc.integer({ min: -span, max: span }), gap: gapArb }), { maxLength: 40 })
    .map((xs) => xs.map((x, id) => ({ id, ...x })));

describe('session merging against a sort-and-sweep reference', () => {
  test('fixed gap: sessions split where consecutive timestamps are more than gap apart', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), elementsArb(fc.constant(0)), fc.nat(40), (gap, raw, restoreAt) => {
        const elements = raw.map((e) => ({ ...e, gap }));
        const got = runSessions(EventTimeSessionWindows.withGap(gap) as EventTimeSessionWindows<Element>, elements, restoreAt);
        expect(got).toEqual(referenceSessions(elements));
        // The split rule for fixed gaps, said directly: no gap inside a session exceeds `gap`.
        for (const s of got) {
          const ts = s.ids.map((id) => elements[id]!.ts).sort((a, b) => a - b);
          for (let i = 1; i < ts.length; i++) expect(ts[i]! - ts[i - 1]!).toBeLessThanOrEqual(gap);
          expect(s.span).toEqual([ts[0], ts[ts.length - 1]! + gap]);
        }
      }),
    );
  });

  test('dynamic gaps', () => {
    // Dense and small, so new windows often equal or nest in merged ones.
    const elements = fc.oneof({ arbitrary: elementsArb(fc.integer({ min: 1, max: 80 })), weight: 1 }, { arbitrary: elementsArb(fc.integer({ min: 1, max: 4 }), 6), weight: 3 });
    fc.assert(
      fc.property(elements, fc.nat(40), (elements, restoreAt) => {
        const assigner = EventTimeSessionWindows.withDynamicGap((e: Element) => e.gap);
        expect(runSessions(assigner, elements, restoreAt)).toEqual(referenceSessions(elements));
      }),
    );
  });
});
