/**
 * Tumbling processing-time windows (Flink's TumblingProcessingTimeWindows):
 * like TumblingEventTimeWindows, but each element goes into the window
 * containing the subtask's processing time when it arrives; its own
 * timestamp, if any, is ignored.
 *
 * `of` throws ConfigurationError unless size is a finite number above 0 and
 * |offset| < size. Default trigger: ProcessingTimeTrigger.
 */
import { requireOffset, requirePositiveMs } from '../parameters';
import { ProcessingTimeTrigger } from '../triggers/ProcessingTimeTrigger';
import type { Trigger } from '../triggers/Trigger';
import { TimeWindow } from '../windows/TimeWindow';
import type { WindowAssigner, WindowAssignerContext } from './WindowAssigner';

export class TumblingProcessingTimeWindows implements WindowAssigner<unknown, TimeWindow> {
  readonly isEventTime = false;

  private constructor(
    readonly size: number,
    readonly offset: number,
  ) {}

  static of(size: number, offset = 0): TumblingProcessingTimeWindows {
    requirePositiveMs('TumblingProcessingTimeWindows.size', size);
    return new TumblingProcessingTimeWindows(size, requireOffset('TumblingProcessingTimeWindows.offset', offset, 'size', size));
  }

  assignWindows(_element: unknown, _timestamp: number | undefined, ctx: WindowAssignerContext): TimeWindow[] {
    const start = TimeWindow.getWindowStartWithOffset(ctx.currentProcessingTime(), this.offset, this.size);
    return [new TimeWindow(start, start + this.size)];
  }

  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return ProcessingTimeTrigger.create();
  }

  toString(): string {
    return `TumblingProcessingTimeWindows(${this.size}, ${this.offset})`;
  }
}
