/**
 * Tumbling event-time windows (Flink's TumblingEventTimeWindows): fixed
 * `size` ms windows that do not overlap, each element in exactly one,
 * `[start, start + size)` with `start ≡ offset (mod size)`. Windows are
 * aligned to the epoch; `offset` shifts them, e.g. `of(86_400_000, -3_600_000)`
 * for days starting at 23:00 UTC. Negative timestamps fall in the window
 * below them: with size 10, -1 is in [-10, 0).
 *
 * `of` throws ConfigurationError unless size is a finite number above 0 and
 * |offset| < size. `assignWindows` throws WindowAssignmentError for an
 * element without a finite timestamp. Default trigger: EventTimeTrigger.
 */
import { requireOffset, requirePositiveMs } from '../parameters';
import { EventTimeTrigger } from '../triggers/EventTimeTrigger';
import type { Trigger } from '../triggers/Trigger';
import { TimeWindow } from '../windows/TimeWindow';
import { requireEventTimestamp, type WindowAssigner, type WindowAssignerContext } from './WindowAssigner';

export class TumblingEventTimeWindows implements WindowAssigner<unknown, TimeWindow> {
  readonly isEventTime = true;

  private constructor(
    readonly size: number,
    readonly offset: number,
  ) {}

  static of(size: number, offset = 0): TumblingEventTimeWindows {
    requirePositiveMs('TumblingEventTimeWindows.size', size);
    return new TumblingEventTimeWindows(size, requireOffset('TumblingEventTimeWindows.offset', offset, 'size', size));
  }

  assignWindows(element: unknown, timestamp: number | undefined, _ctx: WindowAssignerContext): TimeWindow[] {
    const ts = requireEventTimestamp(this, element, timestamp);
    const start = TimeWindow.getWindowStartWithOffset(ts, this.offset, this.size);
    return [new TimeWindow(start, start + this.size)];
  }

  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return EventTimeTrigger.create();
  }

  toString(): string {
    return `TumblingEventTimeWindows(${this.size}, ${this.offset})`;
  }
}
