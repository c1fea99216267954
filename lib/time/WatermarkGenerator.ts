/**
 * The contract between a WatermarkStrategy and the step that runs it (Flink's
 * WatermarkGenerator, WatermarkOutput and WatermarkGeneratorSupplier.Context).
 *
 * A generator sees every event with its assigned timestamp (`onEvent`) and is
 * polled every auto-watermark interval (`onPeriodicEmit`). A punctuated
 * generator emits from `onEvent`, a periodic one from `onPeriodicEmit`; both
 * may do either. Generators are synchronous user code: they emit by calling
 * the output, never by returning a value.
 *
 * The output forwards only what changes something downstream: watermarks
 * that are not above the last one are dropped, and a status is forwarded only
 * when it changes (see TimestampsAndWatermarks). So a generator may emit the
 * same watermark on every poll, and emitting -Infinity ("nothing known yet")
 * is harmless.
 *
 * @example
 *   WatermarkStrategy.forGenerator<Click>(() => ({
 *     onEvent(click, timestamp, output) {
 *       if (click.isEndOfBatch) output.emitWatermark(new Watermark(timestamp));
 *     },
 *     onPeriodicEmit() {},
 *   }));
 */
import type { Clock } from './Clock';
import type { Watermark } from './Watermark';

export interface WatermarkOutput {
  /** Event time has reached `watermark.timestamp` (ms): no record at or below it follows. */
  emitWatermark(watermark: Watermark): void;
  /** No records for now: downstream leaves this stream out of its minimum. */
  markIdle(): void;
  /** Records flow again: downstream counts this stream again. */
  markActive(): void;
}

export interface WatermarkGenerator<T> {
  /** Called for every event, after it was forwarded, with its assigned timestamp (ms). */
  onEvent(event: T, eventTimestamp: number, output: WatermarkOutput): void;
  /** Called every auto-watermark interval (processing time, `pipeline.auto-watermark-interval`). */
  onPeriodicEmit(output: WatermarkOutput): void;
}

/** What a generator may use when it is created: one per subtask. */
export interface WatermarkGeneratorContext {
  /** The subtask's processing-time clock (ms); injected, so tests run on a ManualClock. */
  readonly clock: Clock;
}

/** Creates the generator of one subtask. Must be synchronous. */
export type WatermarkGeneratorFactory<T> = (ctx: WatermarkGeneratorContext) => WatermarkGenerator<T>;
