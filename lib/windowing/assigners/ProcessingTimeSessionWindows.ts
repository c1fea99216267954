/**
 * Processing-time session windows (Flink's ProcessingTimeSessionWindows):
 * like EventTimeSessionWindows, but each element opens
 * `[now, now + gap)` at the subtask's processing time when it arrives, so a
 * session ends after `gap` ms without elements for its key.
 *
 * `withGap` throws ConfigurationError unless the gap is a finite number
 * above 0; `assignWindows` throws WindowAssignmentError when a dynamic
 * extractor returns a bad gap. Default trigger: ProcessingTimeTrigger.
 */
import { requireFunction, requirePositiveMs } from '../parameters';
import { ProcessingTimeTrigger } from '../triggers/ProcessingTimeTrigger';
import type { Trigger } from '../triggers/Trigger';
import { TimeWindow } from '../windows/TimeWindow';
import { describeGap, type SessionGap, sessionGapOf, type SessionWindowTimeGapExtractor } from './sessionGap';
import type { MergeCallback, MergingWindowAssigner, WindowAssignerContext } from './WindowAssigner';

export class ProcessingTimeSessionWindows<T = unknown> implements MergingWindowAssigner<T, TimeWindow> {
  readonly isEventTime = false;

  private constructor(readonly gap: SessionGap<T>) {}

  static withGap(gap: number): ProcessingTimeSessionWindows<unknown> {
    return new ProcessingTimeSessionWindows({ kind: 'static', gap: requirePositiveMs('ProcessingTimeSessionWindows.gap', gap) });
  }

  static withDynamicGap<T>(extractor: SessionWindowTimeGapExtractor<T>): ProcessingTimeSessionWindows<T> {
    return new ProcessingTimeSessionWindows<T>({ kind: 'dynamic', extractor: requireFunction('ProcessingTimeSessionWindows.extractor', extractor) });
  }

  assignWindows(element: T, _timestamp: number | undefined, ctx: WindowAssignerContext): TimeWindow[] {
    const now = ctx.currentProcessingTime();
    return [new TimeWindow(now, now + sessionGapOf(this.gap, element, String(this)))];
  }

  mergeWindows(windows: readonly TimeWindow[], callback: MergeCallback<TimeWindow>): void {
    TimeWindow.mergeWindows(windows, callback);
  }

  getDefaultTrigger(): Trigger<T, TimeWindow> {
    return ProcessingTimeTrigger.create();
  }

  toString(): string {
    return `ProcessingTimeSessionWindows(${describeGap(this.gap)})`;
  }
}
