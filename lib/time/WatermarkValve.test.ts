/**
 * WatermarkValve, one example per rule: the minimum over channels, monotone
 * output, idleness and the flush on going idle, unaligned channels catching
 * up, finished channels, bad input. The reference-model property is in
 * WatermarkValve.prop.ts.
 */
import { Watermark } from './Watermark';
import { WatermarkValve, type ValveOutput } from './WatermarkValve';

const wm = (timestamp: number): ValveOutput => ({ kind: 'watermark', timestamp });
const IDLE: ValveOutput = { kind: 'status', status: 'IDLE' };
const ACTIVE: ValveOutput = { kind: 'status', status: 'ACTIVE' };

describe('WatermarkValve', () => {
  test('starts ACTIVE at -Infinity', () => {
    const v = new WatermarkValve(2);
    expect(v.currentWatermark).toBe(Watermark.UNINITIALIZED);
    expect(v.currentStatus).toBe('ACTIVE');
  });

  test('the output is the minimum over all channels, emitted once every channel has a watermark', () => {
    const v = new WatermarkValve(3);
    expect(v.inputWatermark(0, 10)).toEqual([]);
    expect(v.inputWatermark(1, 5)).toEqual([]);
    expect(v.inputWatermark(2, 7)).toEqual([wm(5)]);
    expect(v.inputWatermark(1, 20)).toEqual([wm(7)]);
    expect(v.inputWatermark(2, 30)).toEqual([wm(10)]);
    expect(v.currentWatermark).toBe(10);
  });

  test('the output strictly increases: a lower or repeated watermark on a channel changes nothing', () => {
    const v = new WatermarkValve(2);
    v.inputWatermark(0, 10);
    expect(v.inputWatermark(1, 10)).toEqual([wm(10)]);
    expect(v.inputWatermark(0, 8)).toEqual([]); // behind its own channel: ignored
    expect(v.inputWatermark(0, 10)).toEqual([]);
    expect(v.inputWatermark(0, 12)).toEqual([]); // min still 10: not emitted again
    expect(v.inputWatermark(1, 11)).toEqual([wm(11)]);
  });

  test('a single channel passes its watermarks through', () => {
    const v = new WatermarkValve(1);
    expect(v.inputWatermark(0, 1)).toEqual([wm(1)]);
    expect(v.inputWatermark(0, 1)).toEqual([]);
    expect(v.inputWatermark(0, 4)).toEqual([wm(4)]);
    expect(v.inputWatermarkStatus(0, 'IDLE')).toEqual([IDLE]);
    expect(v.inputWatermark(0, 9)).toEqual([]); // idle: ignored
    expect(v.inputWatermarkStatus(0, 'ACTIVE')).toEqual([ACTIVE]);
    expect(v.inputWatermark(0, 9)).toEqual([wm(9)]);
    expect(v.channelFinished(0)).toEqual([wm(Infinity)]);
  });

  test('negative timestamps are ordinary event times', () => {
    const v = new WatermarkValve(2);
    v.inputWatermark(0, -50);
    expect(v.inputWatermark(1, -100)).toEqual([wm(-100)]);
    expect(v.inputWatermark(1, -10)).toEqual([wm(-50)]);
    expect(v.inputWatermark(0, -1)).toEqual([wm(-10)]);
  });

  test('an idle channel leaves the minimum; the others advance the output without it', () => {
    const v = new WatermarkValve(3);
    v.inputWatermark(0, 10);
    v.inputWatermark(1, 20);
    v.inputWatermark(2, 30);
    expect(v.currentWatermark).toBe(10);
    expect(v.inputWatermarkStatus(0, 'IDLE')).toEqual([wm(20)]); // 0 held the minimum
    expect(v.currentStatus).toBe('ACTIVE');
    expect(v.inputWatermark(0, 100)).toEqual([]); // watermarks on an idle channel are ignored
    expect(v.inputWatermark(1, 40)).toEqual([wm(30)]);
    expect(v.inputWatermarkStatus(0, 'IDLE')).toEqual([]); // repeated status
  });

  test('all channels idle: the highest watermark is flushed, then IDLE; one back to ACTIVE: ACTIVE', () => {
    const v = new WatermarkValve(2);
    v.inputWatermark(0, 10);
    v.inputWatermark(1, 25);
    expect(v.inputWatermarkStatus(1, 'IDLE')).toEqual([]); // 0 still holds 10
    expect(v.inputWatermarkStatus(0, 'IDLE')).toEqual([wm(25), IDLE]);
    expect(v.currentStatus).toBe('IDLE');
    expect(v.currentWatermark).toBe(25);
    expect(v.inputWatermarkStatus(1, 'ACTIVE')).toEqual([ACTIVE]);
    expect(v.inputWatermark(1, 30)).toEqual([wm(30)]);
  });

  test('going idle without any watermark emits only IDLE', () => {
    const v = new WatermarkValve(2);
    v.inputWatermarkStatus(0, 'IDLE');
    expect(v.inputWatermarkStatus(1, 'IDLE')).toEqual([IDLE]);
    expect(v.currentWatermark).toBe(-Infinity);
  });

  test('a channel active again behind the output is unaligned until it catches up', () => {
    const v = new WatermarkValve(2);
    v.inputWatermark(0, 5);
    v.inputWatermark(1, 50);
    expect(v.inputWatermarkStatus(0, 'IDLE')).toEqual([wm(50)]);
    expect(v.inputWatermarkStatus(0, 'ACTIVE')).toEqual([]); // at 5, behind 50: unaligned
    expect(v.inputWatermark(0, 20)).toEqual([]); // still behind: does not pull the output back
    expect(v.inputWatermark(1, 60)).toEqual([wm(60)]); // the minimum is over channel 1 alone
    expect(v.inputWatermark(0, 60)).toEqual([]); // caught up: aligned again
    expect(v.inputWatermark(1, 90)).toEqual([]); // now channel 0 holds the output at 60
    expect(v.inputWatermark(0, 70)).toEqual([wm(70)]);
  });

  test('a channel active again at or above the output is aligned at once and may advance it', () => {
    const v = new WatermarkValve(2);
    v.inputWatermark(0, 10);
    v.inputWatermark(1, 40);
    v.inputWatermarkStatus(1, 'IDLE');
    v.inputWatermark(0, 30);
    expect(v.currentWatermark).toBe(30);
    // channel 0 goes idle at 30 = output: the valve is idle, flushing max(30, 40)
    expect(v.inputWatermarkStatus(0, 'IDLE')).toEqual([wm(40), IDLE]);
    expect(v.inputWatermarkStatus(0, 'ACTIVE')).toEqual([ACTIVE]); // 30 < 40: unaligned
    expect(v.inputWatermarkStatus(1, 'ACTIVE')).toEqual([]); // 40: aligned, min 40 = output
    expect(v.inputWatermark(1, 45)).toEqual([wm(45)]);
  });

  test('with only unaligned channels active, a re-activated aligned channel advances the output', () => {
    const v = new WatermarkValve(3);
    v.inputWatermark(0, 5);
    v.inputWatermark(1, 10);
    v.inputWatermark(2, 20);
    v.inputWatermarkStatus(0, 'IDLE');
    v.inputWatermarkStatus(2, 'IDLE');
    expect(v.currentWatermark).toBe(10);
    v.inputWatermarkStatus(0, 'ACTIVE'); // 5 < 10: unaligned
    v.inputWatermarkStatus(1, 'IDLE'); // no aligned channel left: the output stays
    expect(v.currentWatermark).toBe(10);
    expect(v.inputWatermarkStatus(2, 'ACTIVE')).toEqual([wm(20)]); // Flink waits for the next watermark
  });

  test('a finished channel stops holding event time back', () => {
    const v = new WatermarkValve(3);
    v.inputWatermark(0, 10);
    v.inputWatermark(1, 20);
    v.inputWatermark(2, 30);
    expect(v.channelFinished(0)).toEqual([wm(20)]);
    expect(v.channelFinished(0)).toEqual([]); // repeated
    expect(v.inputWatermark(0, 100)).toEqual([]); // nothing counts after the end
    expect(v.inputWatermarkStatus(0, 'IDLE')).toEqual([]);
    expect(v.channelFinished(1)).toEqual([wm(30)]);
    expect(v.channelFinished(2)).toEqual([wm(Infinity)]);
    expect(v.currentWatermark).toBe(Infinity);
  });

  test('a finished channel does not keep the valve active: with the rest idle the valve is IDLE', () => {
    const v = new WatermarkValve(2);
    v.inputWatermark(0, 10);
    v.inputWatermark(1, 15);
    v.inputWatermarkStatus(1, 'IDLE');
    expect(v.channelFinished(0)).toEqual([wm(15), IDLE]); // not +Infinity: channel 1 may resume
    expect(v.inputWatermarkStatus(1, 'ACTIVE')).toEqual([ACTIVE]);
    expect(v.inputWatermark(1, 16)).toEqual([wm(16)]);
  });

  test('every channel finished: +Infinity, after ACTIVE if the valve was idle', () => {
    const v = new WatermarkValve(2);
    v.inputWatermarkStatus(0, 'IDLE');
    v.inputWatermarkStatus(1, 'IDLE');
    expect(v.channelFinished(0)).toEqual([]);
    expect(v.channelFinished(1)).toEqual([ACTIVE, wm(Infinity)]);
    expect(v.currentStatus).toBe('ACTIVE');
  });

  test('every channel finished after sending +Infinity: nothing more to emit', () => {
    const v = new WatermarkValve(2);
    v.inputWatermark(0, Watermark.MAX.timestamp);
    expect(v.inputWatermark(1, Infinity)).toEqual([wm(Infinity)]);
    expect(v.channelFinished(0)).toEqual([]);
    expect(v.channelFinished(1)).toEqual([]);
  });

  test('bad channels, statuses and watermarks are RangeErrors naming the value', () => {
    const v = new WatermarkValve(2);
    expect(() => v.inputWatermark(2, 1)).toThrow(/channel 2 does not exist.*0\.\.1/);
    expect(() => v.inputWatermark(-1, 1)).toThrow(RangeError);
    expect(() => v.inputWatermarkStatus(0.5, 'IDLE')).toThrow(/channel 0.5/);
    expect(() => v.channelFinished(7)).toThrow(/channel 7/);
    expect(() => v.inputWatermark(0, NaN)).toThrow(/NaN/);
    expect(() => v.inputWatermarkStatus(0, 'PAUSED' as never)).toThrow(/PAUSED/);
    expect(() => new WatermarkValve(0)).toThrow(RangeError);
  });
});
