/**
 * CombinedWatermark: the minimum of the inputs that are not idle, only
 * rising; idleness; an ended input (+Infinity) never holds the other back.
 */
import { CombinedWatermark } from './CombinedWatermark';

describe('CombinedWatermark', () => {
  test('the minimum of both inputs, once both had a watermark, strictly rising', () => {
    const c = new CombinedWatermark(2);
    expect(c.updateWatermark(0, 10)).toBeUndefined();
    expect(c.combinedWatermark).toBe(-Infinity);
    expect(c.updateWatermark(1, 5)).toBe(5);
    expect(c.updateWatermark(1, 8)).toBe(8);
    expect(c.updateWatermark(1, 20)).toBe(10);
    expect(c.updateWatermark(0, 9)).toBeUndefined(); // behind its own input
    expect(c.updateWatermark(0, 15)).toBe(15);
    expect(c.watermarkOf(0)).toBe(15);
    expect(c.watermarkOf(1)).toBe(20);
  });

  test('an ended input stands at +Infinity: the other alone decides, both ended gives +Infinity', () => {
    const c = new CombinedWatermark(2);
    expect(c.updateWatermark(0, Infinity)).toBeUndefined();
    expect(c.updateWatermark(1, 3)).toBe(3);
    expect(c.updateWatermark(1, 7)).toBe(7);
    expect(c.updateWatermark(1, Infinity)).toBe(Infinity);
  });

  test('an idle input is left out of the minimum; all idle holds the watermark; active again counts from then on', () => {
    const c = new CombinedWatermark(2);
    c.updateWatermark(0, 10);
    c.updateWatermark(1, 2);
    expect(c.combinedWatermark).toBe(2);
    expect(c.updateStatus(1, true)).toBe(10);
    expect(c.isIdle).toBe(false);
    expect(c.updateStatus(0, true)).toBeUndefined();
    expect(c.isIdle).toBe(true);
    expect(c.updateWatermark(1, 50)).toBeUndefined(); // remembered, counted when active
    expect(c.updateStatus(1, false)).toBe(50);
    expect(c.updateStatus(0, false)).toBeUndefined(); // input 0 at 10 < 50: cannot pull the output back
    expect(c.combinedWatermark).toBe(50);
    expect(c.updateWatermark(0, 60)).toBeUndefined();
    expect(c.updateWatermark(1, 70)).toBe(60);
  });

  test('a repeated status changes nothing', () => {
    const c = new CombinedWatermark(2);
    expect(c.updateStatus(0, false)).toBeUndefined();
    c.updateStatus(0, true);
    expect(c.updateStatus(0, true)).toBeUndefined();
  });

  test('bad input is a RangeError naming it', () => {
    expect(() => new CombinedWatermark(0)).toThrow(RangeError);
    const c = new CombinedWatermark(2);
    expect(() => c.updateWatermark(2, 1)).toThrow(/input 2 does not exist/);
    expect(() => c.updateWatermark(0, NaN)).toThrow(/NaN/);
    expect(() => c.updateStatus(-1, true)).toThrow(RangeError);
  });
});
