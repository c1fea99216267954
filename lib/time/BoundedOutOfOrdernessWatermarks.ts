/**
 * Periodic watermarks for events at most `maxOutOfOrdernessMs` out of order
 * (Flink's BoundedOutOfOrdernessWatermarks; with a bound of 0 it is Flink's
 * AscendingTimestampsWatermarks, used for monotonous timestamps).
 *
 * Having seen a highest timestamp M, it emits M − bound − 1 on every
 * periodic poll: a record at exactly M − bound is still on time (as in
 * Flink, where the watermark says "no record ≤ t follows"). Before the first
 * event M is -Infinity, so it emits -Infinity, which the output drops.
 * Emitted watermarks never decrease, since M never does.
 */
import { Watermark } from './Watermark';
import type { WatermarkGenerator, WatermarkOutput } from './WatermarkGenerator';

export class BoundedOutOfOrdernessWatermarks<T> implements WatermarkGenerator<T> {
  /** Highest event timestamp seen, in ms; -Infinity before the first event. */
  private maxTimestamp = Number.NEGATIVE_INFINITY;

  /** @param maxOutOfOrdernessMs how far (ms) an event may lag the highest timestamp seen; finite, ≥ 0 (checked by WatermarkStrategy) */
  constructor(readonly maxOutOfOrdernessMs: number) {}

  onEvent(_event: T, eventTimestamp: number, _output: WatermarkOutput): void {
    if (eventTimestamp > this.maxTimestamp) this.maxTimestamp = eventTimestamp;
  }

  onPeriodicEmit(output: WatermarkOutput): void {
    output.emitWatermark(new Watermark(this.maxTimestamp - this.maxOutOfOrdernessMs - 1));
  }
}
