/**
 * IntervalJoinOperator on a keyed two-input harness: pairs within the
 * inclusive bounds whichever side comes first, the pair's timestamps,
 * cleanup of the buffers once the combined watermark passes, late records
 * to their side outputs, records without timestamps refused, buffers and
 * timers through a snapshot and restore; and a property: for any
 * interleaving of records and watermarks, every pair of records that are
 * not late and within the bounds is joined exactly once (a nested-loop
 * reference).
 */
import fc from 'fast-check';
import type { Collector } from '../api/functions';
import { OutputTag } from '../api/OutputTag';
import type { ProcessJoinContext, ProcessJoinFunction } from '../api/ProcessJoinFunction';
import { IntervalJoinTimestampError } from '../errors';
import type { MapState } from '../state/KeyedState';
import { normalizeKey } from '../state/KeyGroup';
import { MapStateDescriptor } from '../state/StateDescriptor';
import { TwoInputOperatorHarness } from '../testing/TwoInputOperatorHarness';
import { IntervalJoinOperator, LEFT_BUFFER, RIGHT_BUFFER, type IntervalJoinSpec } from './IntervalJoinOperator';

interface Rec {
  readonly k: string;
  readonly id: string;
}

const pairs: ProcessJoinFunction<Rec, Rec, string> = {
  processElement(l: Rec, r: Rec, ctx: ProcessJoinContext, out: Collector<string>) {
    out.collect(`${l.id}+${r.id}@${ctx.leftTimestamp}/${ctx.rightTimestamp}/${ctx.timestamp}`);
  },
};

function harness(spec: IntervalJoinSpec<Rec, Rec>, fn = pairs) {
  const h = new TwoInputOperatorHarness(new IntervalJoinOperator<string, Rec, Rec, string>((r) => r.k, (r) => r.k, spec, fn), undefined, undefined, { keyed: true });
  return h;
}

const L = (id: string, k = 'a'): Rec => ({ k, id: `L${id}` });
const R = (id: string, k = 'a'): Rec => ({ k, id: `R${id}` });

function bufferSizes(h: TwoInputOperatorHarness<Rec, Rec, string>, key: string): [number, number] {
  const backend = h.backend!;
  backend.setCurrentKey(normalizeKey(key));
  const size = (name: string) => [...(backend.getState(new MapStateDescriptor<number, Rec[]>(name)) as MapState<number, Rec[]>).values()].flat().length;
  return [size(LEFT_BUFFER), size(RIGHT_BUFFER)];
}

describe('IntervalJoinOperator', () => {
  test('joins right records in [a + lower, a + upper], whichever side arrives first; the pair has the later timestamp', () => {
    const h = harness({ lowerBound: -2, upperBound: 1 });
    h.open();
    h.processElement2(R('7'), 7);
    h.processElement2(R('8'), 8);
    h.processElement1(L('10'), 10);
    h.processElement2(R('11'), 11);
    h.processElement2(R('12'), 12);
    expect(h.values()).toEqual(['L10+R8@10/8/10', 'L10+R11@10/11/11']);
    expect(h.output.map((o) => o.timestamp)).toEqual([10, 11]);
  });

  test('only equal keys meet', () => {
    const h = harness({ lowerBound: 0, upperBound: 0 });
    h.open();
    h.processElement1(L('1', 'a'), 5);
    h.processElement2(R('1', 'b'), 5);
    h.processElement2(R('2', 'a'), 5);
    expect(h.values()).toEqual(['L1+R2@5/5/5']);
  });

  test('buffers are cleaned once the watermark (the minimum of both inputs) passes their interval', () => {
    const h = harness({ lowerBound: -5, upperBound: 3 });
    h.open();
    h.processElement1(L('10'), 10); // may still match right records up to 13
    h.processElement2(R('20'), 20); // may still match left records up to 25
    expect(bufferSizes(h, 'a')).toEqual([1, 1]);
    h.processWatermark1(100);
    h.processWatermark2(12);
    expect(bufferSizes(h, 'a')).toEqual([1, 1]);
    h.processWatermark2(13);
    expect(bufferSizes(h, 'a')).toEqual([0, 1]);
    h.processWatermark2(25);
    expect(bufferSizes(h, 'a')).toEqual([0, 0]);
    expect(h.watermarks).toEqual([12, 13, 25]);
  });

  test('records at or behind the watermark are late: to their side output, or dropped', () => {
    const lateL = new OutputTag<Rec>('late-left');
    const lateR = new OutputTag<Rec>('late-right');
    const h = harness({ lowerBound: -100, upperBound: 100, leftLateTag: lateL, rightLateTag: lateR });
    h.open();
    h.processWatermark1(50);
    h.processWatermark2(50);
    h.processElement1(L('50'), 50);
    h.processElement2(R('40'), 40);
    h.processElement2(R('51'), 51);
    expect(h.values()).toEqual([]);
    expect(h.sideOutputs.get('late-left')!.map((r) => [(r.value as Rec).id, r.timestamp])).toEqual([['L50', 50]]);
    expect(h.sideOutputs.get('late-right')!.map((r) => [(r.value as Rec).id, r.timestamp])).toEqual([['R40', 40]]);
    const dropping = harness({ lowerBound: 0, upperBound: 0 });
    dropping.open();
    dropping.processWatermark1(9);
    dropping.processWatermark2(9);
    dropping.processElement1(L('1'), 1);
    expect(dropping.sideOutputs.size).toBe(0);
  });

  test('a record without a timestamp fails with IntervalJoinTimestampError naming the side', () => {
    const h = harness({ lowerBound: 0, upperBound: 1 });
    h.open();
    expect(() => h.processElement2(R('x'))).toThrow(IntervalJoinTimestampError);
    expect(() => h.processElement1(L('x'))).toThrow(/left record .* has no event timestamp/);
  });

  test('bounds must be integers with lower <= upper', () => {
    expect(() => harness({ lowerBound: 2, upperBound: 1 })).toThrow(RangeError);
    expect(() => harness({ lowerBound: 0.5, upperBound: 1 })).toThrow(RangeError);
  });

  test('the function may change what it gets without changing the buffers', () => {
    const h = harness({ lowerBound: 0, upperBound: 10 }, {
      processElement(l: Rec, r: Rec, _ctx, out: Collector<string>) {
        out.collect(`${l.id}+${r.id}`);
        (l as { id: string }).id = 'changed';
        (r as { id: string }).id = 'changed';
      },
    });
    h.open();
    h.processElement1(L('1'), 1);
    h.processElement2(R('2'), 2);
    h.processElement2(R('3'), 3);
    expect(h.values()).toEqual(['L1+R2', 'L1+R3']);
  });

  test('buffers and cleanup timers survive a snapshot and restore', async () => {
    const h = harness({ lowerBound: -10, upperBound: 10 });
    h.open();
    h.processElement1(L('100'), 100);
    h.processElement2(R('95'), 95);
    h.processWatermark1(90);
    h.processWatermark2(90);
    const snap = await h.snapshotState();
    const restored = harness({ lowerBound: -10, upperBound: 10 });
    restored.open([snap]);
    restored.processElement2(R('105'), 105);
    restored.processElement1(L('104'), 104);
    expect(restored.values()).toEqual(['L100+R105@100/105/105', 'L104+R95@104/95/104', 'L104+R105@104/105/105']);
    // the restored watermark (90) still judges lateness, and the restored timers clean up
    restored.processElement1(L('80'), 80);
    expect(restored.values()).toHaveLength(3);
    restored.processWatermark1(200);
    restored.processWatermark2(200);
    expect(bufferSizes(restored, 'a')).toEqual([0, 0]);
  });

  test('property: every pair of records that are not late and within the bounds is joined exactly once', () => {
    type RecordStep = { kind: 'left' | 'right'; key: string; ts: number };
    type Step = RecordStep | { kind: 'wm1' | 'wm2'; by: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom('left' as const, 'right' as const), key: fc.constantFrom('a', 'b'), ts: fc.integer({ min: 0, max: 60 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('wm1' as const, 'wm2' as const), by: fc.integer({ min: 1, max: 8 }) }) },
    );
    fc.assert(
      fc.property(fc.integer({ min: -10, max: 10 }), fc.integer({ min: 0, max: 12 }), fc.array(step, { maxLength: 60 }), (lo, width, steps) => {
        const hi = lo + width;
        const h = harness({ lowerBound: lo, upperBound: hi });
        h.open();
        const wms = [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY];
        const onTime: { side: 'left' | 'right'; key: string; ts: number; id: string }[] = [];
        steps.forEach((step, i) => {
          if (step.kind === 'wm1' || step.kind === 'wm2') {
            const w = step as { kind: 'wm1' | 'wm2'; by: number };
            const input = w.kind === 'wm1' ? 0 : 1;
            wms[input] = wms[input] === Number.NEGATIVE_INFINITY ? w.by : wms[input] + w.by;
            if (input === 0) h.processWatermark1(wms[0]);
            else h.processWatermark2(wms[1]);
            return;
          }
          const s = step as RecordStep;
          const id = `${s.kind === 'left' ? 'L' : 'R'}${i}`;
          if (s.ts > Math.min(wms[0], wms[1])) onTime.push({ side: s.kind, key: s.key, ts: s.ts, id });
          if (s.kind === 'left') h.processElement1({ k: s.key, id }, s.ts);
          else h.processElement2({ k: s.key, id }, s.ts);
        });
        const expected: string[] = [];
        for (const l of onTime.filter((x) => x.side === 'left')) {
          for (const r of onTime.filter((x) => x.side === 'right')) {
            if (l.key === r.key && r.ts >= l.ts + lo && r.ts <= l.ts + hi) expected.push(`${l.id}+${r.id}@${l.ts}/${r.ts}/${Math.max(l.ts, r.ts)}`);
          }
        }
        expect(h.values().sort()).toEqual(expected.sort());
      }),
    );
  });
});
