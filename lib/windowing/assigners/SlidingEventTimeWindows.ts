/**
 * Sliding event-time windows (Flink's SlidingEventTimeWindows): windows of
 * `size` ms starting every `slide` ms, at `start ≡ offset (mod slide)`; an
 * element is in every window whose `[start, start + size)` contains its
 * timestamp — size / slide of them when slide divides size. A slide larger
 * than size leaves gaps: elements there are in no window (and dropped).
 *
 * `of` throws ConfigurationError unless size and slide are finite numbers
 * above 0 and |offset| < slide (Flink bounds the offset by the slide, not
 * the size). `assignWindows` throws WindowAssignmentError for an element
 * without a finite timestamp. Default trigger: EventTimeTrigger.
 */
import { requireOffset, requirePositiveMs } from '../parameters';
import { EventTimeTrigger } from '../triggers/EventTimeTrigger';
import type { Trigger } from '../triggers/Trigger';
import type { TimeWindow } from '../windows/TimeWindow';
import { slidingWindowsContaining } from './slidingWindows';
import { requireEventTimestamp, type WindowAssigner, type WindowAssignerContext } from './WindowAssigner';

export class SlidingEventTimeWindows implements WindowAssigner<unknown, TimeWindow> {
  readonly isEventTime = true;

  private constructor(
    readonly size: number,
    readonly slide: number,
    readonly offset: number,
  ) {}

  static of(size: number, slide: number, offset = 0): SlidingEventTimeWindows {
    requirePositiveMs('SlidingEventTimeWindows.size', size);
    requirePositiveMs('SlidingEventTimeWindows.slide', slide);
    return new SlidingEventTimeWindows(size, slide, requireOffset('SlidingEventTimeWindows.offset', offset, 'slide', slide));
  }

  assignWindows(element: unknown, timestamp: number | undefined, _ctx: WindowAssignerContext): TimeWindow[] {
    return slidingWindowsContaining(requireEventTimestamp(this, element, timestamp), this.size, this.slide, this.offset);
  }

  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return EventTimeTrigger.create();
  }

  toString(): string {
    return `SlidingEventTimeWindows(${this.size}, ${this.slide}, ${this.offset})`;
  }
}
