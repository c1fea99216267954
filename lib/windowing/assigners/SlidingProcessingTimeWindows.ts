/**
 * Sliding processing-time windows (Flink's SlidingProcessingTimeWindows):
 * like SlidingEventTimeWindows, placed by the subtask's processing time when
 * the element arrives.
 *
 * `of` throws ConfigurationError unless size and slide are finite numbers
 * above 0 and |offset| < slide. Default trigger: ProcessingTimeTrigger.
 */
import { requireOffset, requirePositiveMs } from '../parameters';
import { ProcessingTimeTrigger } from '../triggers/ProcessingTimeTrigger';
import type { Trigger } from '../triggers/Trigger';
import type { TimeWindow } from '../windows/TimeWindow';
import { slidingWindowsContaining } from './slidingWindows';
import type { WindowAssigner, WindowAssignerContext } from './WindowAssigner';

export class SlidingProcessingTimeWindows implements WindowAssigner<unknown, TimeWindow> {
  readonly isEventTime = false;

  private constructor(
    readonly size: number,
    readonly slide: number,
    readonly offset: number,
  ) {}

  static of(size: number, slide: number, offset = 0): SlidingProcessingTimeWindows {
    requirePositiveMs('SlidingProcessingTimeWindows.size', size);
    requirePositiveMs('SlidingProcessingTimeWindows.slide', slide);
    return new SlidingProcessingTimeWindows(size, slide, requireOffset('SlidingProcessingTimeWindows.offset', offset, 'slide', slide));
  }

  assignWindows(_element: unknown, _timestamp: number | undefined, ctx: WindowAssignerContext): TimeWindow[] {
    return slidingWindowsContaining(ctx.currentProcessingTime(), this.size, this.slide, this.offset);
  }

  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return ProcessingTimeTrigger.create();
  }

  toString(): string {
    return `SlidingProcessingTimeWindows(${this.size}, ${this.slide}, ${this.offset})`;
  }
}
