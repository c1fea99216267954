/**
 * Drives one TwoInputStreamOperator without a task or actors (Flink's
 * TwoInputStreamOperatorTestHarness): everything OperatorHarness does
 * (context, keyed backend, clock, mailbox, side outputs, snapshots and
 * restores), with records, watermarks and statuses fed to input 1 or 2.
 *
 *   const h = new TwoInputOperatorHarness(new KeyedCoProcessOperator(k1, k2, fn), undefined, undefined, { keyed: true });
 *   h.open();
 *   h.processElement2(update, 5);
 *   h.processElement1(order, 7);
 *   h.processWatermark1(10); h.processWatermark2(10);   // the operator's watermark: the minimum
 *
 * `endInput()` ends input 1, then input 2; `endInput1()` / `endInput2()` one of them.
 */
import type { OperatorRestoreState } from '../checkpoint/SubtaskState';
import type { OperatorLocation } from '../errors';
import type { Input, OneInputStreamOperator, OperatorContext, TwoInputStreamOperator } from '../operators/StreamOperator';
import type { WatermarkStatus } from '../time/Watermark';
import { ManualClock } from './ManualClock';
import { HARNESS_LOCATION, OperatorHarness, type HarnessOptions } from './OperatorHarness';

/** Hands OperatorHarness the lifecycle of a two-input operator; records must come through the harness's input methods. */
class Lifecycle<O> implements OneInputStreamOperator<never, O> {
  constructor(private readonly op: TwoInputStreamOperator<any, any, O>) {}
  get recordsIn(): number {
    return this.op.recordsIn;
  }
  initializeState(restored: OperatorRestoreState | undefined): void {
    this.op.initializeState?.(restored);
  }
  open(ctx: OperatorContext, next: Input<O>): void {
    this.op.open(ctx, next);
  }
  snapshotState(checkpointId: number): Record<string, unknown[]> | undefined {
    return this.op.snapshotState?.(checkpointId);
  }
  notifyCheckpointComplete(checkpointId: number): void | Promise<void> {
    return this.op.notifyCheckpointComplete?.(checkpointId);
  }
  processElement(): void {
    throw new Error('a two-input operator: feed it with processElement1 or processElement2');
  }
  endInput(): void {
    this.op.endInput(1);
    this.op.endInput(2);
  }
  close(): void {
    this.op.close();
  }
}

export class TwoInputOperatorHarness<I1, I2, O> extends OperatorHarness<never, O> {
  constructor(
    readonly twoInputOperator: TwoInputStreamOperator<I1, I2, O>,
    clock = new ManualClock(),
    location: OperatorLocation = HARNESS_LOCATION,
    options: HarnessOptions = {},
  ) {
    super(new Lifecycle(twoInputOperator), clock, location, options);
  }

  processElement1(value: I1, timestamp?: number): void {
    this.twoInputOperator.processElement1(value, timestamp);
  }

  processElement2(value: I2, timestamp?: number): void {
    this.twoInputOperator.processElement2(value, timestamp);
  }

  /** Input 1's event time (ms), as its watermark valve would deliver it. */
  processWatermark1(watermark: number): void {
    this.twoInputOperator.processWatermark1(watermark);
  }

  processWatermark2(watermark: number): void {
    this.twoInputOperator.processWatermark2(watermark);
  }

  processWatermarkStatus1(status: WatermarkStatus): void {
    this.twoInputOperator.processWatermarkStatus1(status);
  }

  processWatermarkStatus2(status: WatermarkStatus): void {
    this.twoInputOperator.processWatermarkStatus2(status);
  }

  endInput1(): void {
    this.twoInputOperator.endInput(1);
  }

  endInput2(): void {
    this.twoInputOperator.endInput(2);
  }
}
