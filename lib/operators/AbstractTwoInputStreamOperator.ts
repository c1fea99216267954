/**
 * Base class of two-input operators (the two-input half of Flink's
 * AbstractStreamOperator): combines the watermarks of the two logical
 * inputs into the operator's own and hands that to `processWatermark`, which
 * subclasses with timers override (fire timers, then forward), exactly as
 * one-input operators do.
 *
 * Guarantees:
 * - The operator's watermark is the minimum of its inputs' watermarks
 *   (over the inputs that are not idle) and strictly increases; an input
 *   that ended counts as +Infinity, so it never holds the other back.
 * - Status: the operator is IDLE only while both inputs are; ACTIVE goes out
 *   before a watermark that the change of status releases (downstream valves
 *   ignore watermarks of an idle channel; Flink sends the watermark first).
 */
import type { WatermarkStatus } from '../time/Watermark';
import { CombinedWatermark } from '../time/CombinedWatermark';
import { StreamOperatorBase, type InputId, type TwoInputStreamOperator } from './StreamOperator';

export abstract class AbstractTwoInputStreamOperator<I1, I2, O>
  extends StreamOperatorBase<O>
  implements TwoInputStreamOperator<I1, I2, O>
{
  private readonly inputWatermarks = new CombinedWatermark(2);

  abstract processElement1(value: I1, timestamp: number | undefined): void;
  abstract processElement2(value: I2, timestamp: number | undefined): void;

  /** The watermark of input `inputId` (ms; -Infinity before the first, +Infinity once it ended). */
  protected inputWatermark(inputId: InputId): number {
    return this.inputWatermarks.watermarkOf(inputId - 1);
  }

  processWatermark1(watermark: number): void {
    this.onInputWatermark(0, watermark);
  }

  processWatermark2(watermark: number): void {
    this.onInputWatermark(1, watermark);
  }

  processWatermarkStatus1(status: WatermarkStatus): void {
    this.onInputStatus(0, status);
  }

  processWatermarkStatus2(status: WatermarkStatus): void {
    this.onInputStatus(1, status);
  }

  /** Default: nothing buffered. */
  endInput(_inputId: InputId): void {}

  private onInputWatermark(index: number, watermark: number): void {
    const combined = this.inputWatermarks.updateWatermark(index, watermark);
    if (combined !== undefined) this.processWatermark(combined);
  }

  private onInputStatus(index: number, status: WatermarkStatus): void {
    const wasIdle = this.inputWatermarks.isIdle;
    const combined = this.inputWatermarks.updateStatus(index, status === 'IDLE');
    const idle = this.inputWatermarks.isIdle;
    if (wasIdle && !idle) this.processWatermarkStatus('ACTIVE');
    if (combined !== undefined) this.processWatermark(combined);
    if (!wasIdle && idle) this.processWatermarkStatus('IDLE');
  }
}
