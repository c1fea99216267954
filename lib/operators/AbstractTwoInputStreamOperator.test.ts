/**
 * The watermark and status combining of two-input operators (Flink's
 * AbstractStreamOperator#processWatermark1/2): the operator's watermark is
 * the minimum of its inputs', a finished input counts as +Infinity, and the
 * operator is idle only while both inputs are.
 */
import type { WatermarkStatus } from '../time/Watermark';
import { AbstractTwoInputStreamOperator } from './AbstractTwoInputStreamOperator';
import type { OperatorContext } from './StreamOperator';

class Recorder extends AbstractTwoInputStreamOperator<string, number, string> {
  processElement1(value: string, _timestamp: number | undefined): void {
    this.next.processElement(`1:${value}`, undefined);
  }
  processElement2(value: number, _timestamp: number | undefined): void {
    this.next.processElement(`2:${value}`, undefined);
  }
  watermarkOf(input: 1 | 2): number {
    return this.inputWatermark(input);
  }
}

function open(): { op: Recorder; events: string[] } {
  const events: string[] = [];
  const op = new Recorder();
  const ctx = {
    emitWatermark: (w: number) => events.push(`WM ${w}`),
    emitWatermarkStatus: (s: WatermarkStatus) => events.push(s),
  } as unknown as OperatorContext;
  op.open(ctx, { processElement: (v) => events.push(String(v)) });
  return { op, events };
}

describe('AbstractTwoInputStreamOperator', () => {
  test('records go through the input they came on', () => {
    const { op, events } = open();
    op.processElement1('a', undefined);
    op.processElement2(7, undefined);
    expect(events).toEqual(['1:a', '2:7']);
  });

  test("the operator's watermark is the minimum of both inputs' and only rises", () => {
    const { op, events } = open();
    op.processWatermark1(100);
    expect(events).toEqual([]); // input 2 has none yet
    op.processWatermark2(40);
    op.processWatermark2(150);
    op.processWatermark1(120);
    op.processWatermark1(200);
    expect(events).toEqual(['WM 40', 'WM 100', 'WM 120', 'WM 150']);
    expect(op.watermarkOf(1)).toBe(200);
    expect(op.watermarkOf(2)).toBe(150);
  });

  test('an input that ended (+Infinity) never holds the other back', () => {
    const { op, events } = open();
    op.processWatermark1(Infinity);
    op.processWatermark2(5);
    op.processWatermark2(Infinity);
    expect(events).toEqual(['WM 5', 'WM Infinity']);
  });

  test('idle only when both inputs are idle; ACTIVE goes out before the watermark it releases', () => {
    const { op, events } = open();
    op.processWatermark1(10);
    op.processWatermark2(3);
    op.processWatermarkStatus2('IDLE');
    op.processWatermarkStatus1('IDLE');
    op.processWatermark2(30); // an idle input's watermark waits
    op.processWatermarkStatus2('ACTIVE');
    expect(events).toEqual(['WM 3', 'WM 10', 'IDLE', 'ACTIVE', 'WM 30']);
  });
});
