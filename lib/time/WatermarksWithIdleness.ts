/**
 * Adds idleness detection to a generator (Flink's WatermarksWithIdleness):
 * after `idleTimeoutMs` of processing time without an event, the next
 * periodic poll marks the output idle, so a quiet partition stops holding
 * back event time downstream. The next event marks it active again before
 * the wrapped generator sees it.
 *
 * While idle, the wrapped generator is not polled (as in Flink): its
 * watermark could only repeat the last one. Idleness is noticed at a
 * periodic poll, so the output goes idle between `idleTimeoutMs` and
 * `idleTimeoutMs` + one auto-watermark interval after the last event; the
 * countdown starts when the generator is created, so an input that never
 * gets an event goes idle too.
 *
 * Where this differs from Flink: Flink avoids reading the clock per event
 * (it counts events and starts the countdown at the first poll that saw
 * none), which makes it go idle up to two intervals later than the timeout.
 * Here each event reads the injected clock once, so the timeout is exact
 * to one interval.
 */
import type { Clock } from './Clock';
import type { WatermarkGenerator, WatermarkOutput } from './WatermarkGenerator';

export class WatermarksWithIdleness<T> implements WatermarkGenerator<T> {
  private lastActivity: number;
  private idle = false;

  /**
   * @param idleTimeoutMs processing time (ms) without events before the output is marked idle; finite, > 0 (checked by WatermarkStrategy)
   * @param clock the subtask's processing-time clock
   */
  constructor(
    private readonly watermarks: WatermarkGenerator<T>,
    readonly idleTimeoutMs: number,
    private readonly clock: Clock,
  ) {
    this.lastActivity = clock.now();
  }

  onEvent(event: T, eventTimestamp: number, output: WatermarkOutput): void {
    this.lastActivity = this.clock.now();
    if (this.idle) {
      this.idle = false;
      output.markActive();
    }
    this.watermarks.onEvent(event, eventTimestamp, output);
  }

  onPeriodicEmit(output: WatermarkOutput): void {
    if (!this.idle && this.clock.now() - this.lastActivity >= this.idleTimeoutMs) {
      this.idle = true;
      output.markIdle();
    }
    if (!this.idle) this.watermarks.onPeriodicEmit(output);
  }
}
