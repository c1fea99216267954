/**
 * assignTimestampsAndWatermarks (Flink's TimestampsAndWatermarksOperator):
 * gives each record its event timestamp from the strategy's timestamp
 * assigner and emits the strategy's watermarks — after the record that
 * caused them (punctuated), and every `autoWatermarkIntervalMs` of
 * processing time (periodic), on a timer that runs in the task's mailbox.
 * Only strictly increasing watermarks leave; an idle strategy marks the
 * stream IDLE until its next record. Watermarks from upstream are ignored
 * (this operator makes event time anew), except +Infinity: the input ended.
 */
import { asUserFunctionError } from '../errors';
import type { TimerHandle } from '../time/Clock';
import { TimestampsAndWatermarks } from '../time/TimestampsAndWatermarks';
import type { WatermarkStrategy } from '../time/WatermarkStrategy';
import { AbstractStreamOperator, type Input, type OperatorContext } from './StreamOperator';

export class TimestampsAndWatermarksOperator<T> extends AbstractStreamOperator<T, T> {
  private core!: TimestampsAndWatermarks<T>;
  private timer: TimerHandle | undefined;

  /** @param autoWatermarkIntervalMs processing time between periodic watermarks (ms); 0: none */
  constructor(
    private readonly strategy: WatermarkStrategy<T>,
    private readonly autoWatermarkIntervalMs: number,
  ) {
    super();
  }

  override open(ctx: OperatorContext, next: Input<T>): void {
    super.open(ctx, next);
    this.core = new TimestampsAndWatermarks(this.strategy, ctx.clock, {
      autoWatermarkIntervalMs: this.autoWatermarkIntervalMs,
      collect: (value, timestamp) => this.next.processElement(value, timestamp),
      emit: (e) => (e.kind === 'watermark' ? this.emitWatermark(e.timestamp) : this.emitWatermarkStatus(e.status)),
    });
    this.schedule();
  }

  processElement(value: T, timestamp: number | undefined): void {
    this.recordsIn++;
    try {
      this.core.onElement(value, timestamp);
    } catch (e) {
      throw this.userError(e, value);
    }
  }

  override processWatermark(watermark: number): void {
    this.currentWatermark = watermark;
    this.core.onWatermark(watermark);
  }

  /** Upstream idleness says nothing about the event time this operator makes. */
  override processWatermarkStatus(): void {}

  override endInput(): void {
    this.core.onEndOfInput();
  }

  override close(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private schedule(): void {
    const at = this.core.nextPeriodicEmitAt;
    const service = this.ctx.processingTimeService;
    if (at === undefined || service === undefined) return;
    this.timer = service.registerTimer(at, () => {
      this.timer = undefined;
      try {
        this.core.onPeriodicEmit();
      } catch (e) {
        throw asUserFunctionError(e, this.ctx.location, this.recordsIn, 'process');
      }
      this.schedule();
    });
  }
}
