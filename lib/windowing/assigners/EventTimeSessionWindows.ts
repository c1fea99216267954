/**
 * Event-time session windows (Flink's EventTimeSessionWindows): each
 * element opens `[timestamp, timestamp + gap)`, and windows that overlap or
 * touch merge, so a session is a run of elements in which no two
 * consecutive timestamps are more than `gap` ms apart; it closes once the
 * watermark passes its last element's timestamp + gap - 1. With
 * `withDynamicGap(extractor)` each element brings its own gap.
 *
 *   EventTimeSessionWindows.withGap(30 * 60_000)        // 30 min of inactivity ends a session
 *   EventTimeSessionWindows.withDynamicGap((e: Click) => e.premium ? 60_000 : 10_000)
 *
 * `withGap` throws ConfigurationError unless the gap is a finite number above
 * 0. `assignWindows` throws WindowAssignmentError for an element without a
 * finite timestamp or, dynamic, when the extractor returns a bad gap.
 * Default trigger: EventTimeTrigger.
 */
import { requireFunction, requirePositiveMs } from '../parameters';
import { EventTimeTrigger } from '../triggers/EventTimeTrigger';
import type { Trigger } from '../triggers/Trigger';
import { TimeWindow } from '../windows/TimeWindow';
import { describeGap, type SessionGap, sessionGapOf, type SessionWindowTimeGapExtractor } from './sessionGap';
import { type MergeCallback, type MergingWindowAssigner, requireEventTimestamp, type WindowAssignerContext } from './WindowAssigner';

export class EventTimeSessionWindows<T = unknown> implements MergingWindowAssigner<T, TimeWindow> {
  readonly isEventTime = true;

  private constructor(readonly gap: SessionGap<T>) {}

  static withGap(gap: number): EventTimeSessionWindows<unknown> {
    return new EventTimeSessionWindows({ kind: 'static', gap: requirePositiveMs('EventTimeSessionWindows.gap', gap) });
  }

  static withDynamicGap<T>(extractor: SessionWindowTimeGapExtractor<T>): EventTimeSessionWindows<T> {
    return new EventTimeSessionWindows<T>({ kind: 'dynamic', extractor: requireFunction('EventTimeSessionWindows.extractor', extractor) });
  }

  assignWindows(element: T, timestamp: number | undefined, _ctx: WindowAssignerContext): TimeWindow[] {
    const ts = requireEventTimestamp(this, element, timestamp);
    return [new TimeWindow(ts, ts + sessionGapOf(this.gap, element, String(this)))];
  }

  mergeWindows(windows: readonly TimeWindow[], callback: MergeCallback<TimeWindow>): void {
    TimeWindow.mergeWindows(windows, callback);
  }

  getDefaultTrigger(): Trigger<T, TimeWindow> {
    return EventTimeTrigger.create();
  }

  toString(): string {
    return `EventTimeSessionWindows(${describeGap(this.gap)})`;
  }
}
