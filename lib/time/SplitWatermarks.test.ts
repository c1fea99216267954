/**
 * SplitWatermarks: the minimum over splits, idleness, a split finished, a
 * split added later, no splits, the end of input; and, as a property, that
 * the combined watermark is monotone and never above a non-idle split's.
 */
import fc from 'fast-check';
import { SplitWatermarks } from './SplitWatermarks';

const wm = (timestamp: number) => ({ kind: 'watermark', timestamp });
const status = (s: 'IDLE' | 'ACTIVE') => ({ kind: 'status', status: s });

describe('SplitWatermarks', () => {
  test('the combined watermark is the minimum over the splits, emitted when it rises', () => {
    const w = new SplitWatermarks();
    w.addSplit('a');
    w.addSplit('b');
    w.updateWatermark('a', 100);
    expect(w.combine()).toEqual([]); // b stands at -Infinity
    w.updateWatermark('b', 40);
    expect(w.combine()).toEqual([wm(40)]);
    w.updateWatermark('b', 60);
    expect(w.combine()).toEqual([wm(60)]);
    expect(w.combine()).toEqual([]);
    w.updateWatermark('b', 50); // a lower watermark of a split is ignored
    expect(w.watermarkOf('b')).toBe(60);
    w.updateWatermark('b', 500);
    expect(w.combine()).toEqual([wm(100)]);
    expect(w.combinedWatermark).toBe(100);
  });

  test('an idle split does not hold the others back; all idle is IDLE once; ACTIVE before the next watermark', () => {
    const w = new SplitWatermarks();
    w.addSplit('a');
    w.addSplit('b');
    w.updateWatermark('a', 100);
    w.updateStatus('b', true);
    expect(w.combine()).toEqual([wm(100)]);
    w.updateStatus('a', true);
    expect(w.combine()).toEqual([status('IDLE')]);
    expect(w.combine()).toEqual([]);
    expect(w.isIdle).toBe(true);
    w.updateWatermark('b', 150); // remembered while idle
    w.updateStatus('b', false);
    expect(w.combine()).toEqual([status('ACTIVE'), wm(150)]);
  });

  test('a split active again below the combined watermark does not move it back', () => {
    const w = new SplitWatermarks();
    w.addSplit('a');
    w.addSplit('b', true);
    w.updateWatermark('a', 100);
    expect(w.combine()).toEqual([wm(100)]);
    w.updateStatus('b', false);
    w.updateWatermark('b', 20);
    expect(w.combine()).toEqual([]);
    w.updateWatermark('a', 300);
    w.updateWatermark('b', 200);
    expect(w.combine()).toEqual([wm(200)]);
  });

  test('a finished (removed) split stops holding the watermark back', () => {
    const w = new SplitWatermarks();
    w.addSplit('slow');
    w.addSplit('fast');
    w.updateWatermark('slow', 10);
    w.updateWatermark('fast', 1000);
    expect(w.combine()).toEqual([wm(10)]);
    w.removeSplit('slow');
    expect(w.combine()).toEqual([wm(1000)]);
    expect(w.splitIds).toEqual(['fast']);
    w.removeSplit('unknown'); // nothing
  });

  test('a split added later holds the watermark where it is until its own watermark passes it', () => {
    const w = new SplitWatermarks();
    w.addSplit('a');
    w.updateWatermark('a', 100);
    expect(w.combine()).toEqual([wm(100)]);
    w.addSplit('b');
    w.updateWatermark('a', 500);
    expect(w.combine()).toEqual([]);
    w.updateWatermark('b', 80);
    expect(w.combine()).toEqual([]); // never back
    w.updateWatermark('b', 300);
    expect(w.combine()).toEqual([wm(300)]);
    w.addSplit('b'); // adding again keeps its watermark
    expect(w.watermarkOf('b')).toBe(300);
  });

  test('with no splits nothing is emitted; the end of input emits ACTIVE (if idle) then +Infinity, once', () => {
    const w = new SplitWatermarks();
    expect(w.combine()).toEqual([]);
    w.addSplit('a', true);
    expect(w.combine()).toEqual([status('IDLE')]);
    w.removeSplit('a');
    expect(w.combine()).toEqual([]);
    expect(w.endOfInput()).toEqual([status('ACTIVE'), wm(Infinity)]);
    expect(w.endOfInput()).toEqual([]);
    w.addSplit('b');
    w.updateWatermark('b', 5);
    expect(w.combine()).toEqual([]);
  });

  test('unknown splits and NaN are RangeErrors', () => {
    const w = new SplitWatermarks();
    expect(() => w.updateWatermark('x', 1)).toThrow(RangeError);
    expect(() => w.updateStatus('x', true)).toThrow(RangeError);
    w.addSplit('x');
    expect(() => w.updateWatermark('x', NaN)).toThrow(RangeError);
  });

  test('property: emitted watermarks increase, never pass a non-idle split, and equal the minimum when no split went back', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), split: fc.integer({ min: 0, max: 4 }), idle: fc.boolean() }),
      fc.record({ kind: fc.constant('remove' as const), split: fc.integer({ min: 0, max: 4 }) }),
      fc.record({ kind: fc.constant('watermark' as const), split: fc.integer({ min: 0, max: 4 }), at: fc.integer({ min: -50, max: 1000 }) }),
      fc.record({ kind: fc.constant('idle' as const), split: fc.integer({ min: 0, max: 4 }), idle: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const w = new SplitWatermarks();
        const model = new Map<string, { wm: number; idle: boolean }>();
        let last = -Infinity;
        let idle = false;
        for (const o of ops) {
          const id = `s${o.split}`;
          if (o.kind === 'add') {
            w.addSplit(id, o.idle);
            if (!model.has(id)) model.set(id, { wm: -Infinity, idle: o.idle });
          } else if (o.kind === 'remove') {
            w.removeSplit(id);
            model.delete(id);
          } else if (!model.has(id)) {
            continue;
          } else if (o.kind === 'watermark') {
            w.updateWatermark(id, o.at);
            model.get(id)!.wm = Math.max(model.get(id)!.wm, o.at);
          } else {
            w.updateStatus(id, o.idle);
            model.get(id)!.idle = o.idle;
          }
          for (const e of w.combine()) {
            if (e.kind === 'status') {
              expect(e.status === 'IDLE').toBe(!idle);
              idle = e.status === 'IDLE';
            } else {
              expect(idle).toBe(false);
              expect(e.timestamp).toBeGreaterThan(last);
              last = e.timestamp;
            }
          }
          const active = [...model.values()].filter((s) => !s.idle);
          if (model.size > 0) expect(idle).toBe(active.length === 0);
          if (active.length > 0) {
            const min = Math.min(...active.map((s) => s.wm));
            // Never above a non-idle split; at the minimum unless the minimum went below what was emitted.
            expect(last).toBe(Math.max(min, last));
            if (min >= last) expect(last).toBe(min);
          }
        }
      }),
    );
  });
});
