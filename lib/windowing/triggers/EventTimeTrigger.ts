/**
 * Fires a window once the watermark passes its end (Flink's
 * EventTimeTrigger); the default trigger of event-time assigners.
 *
 * On each element it registers an event-time timer at the window's
 * maxTimestamp — unless the watermark is already there (a late element
 * within allowed lateness), in which case it fires at once. On merge it
 * re-registers the timer for the merged window if that is still ahead of
 * the watermark.
 */
import type { Window } from '../windows/Window';
import type { OnMergeContext, Trigger, TriggerContext, TriggerResult } from './Trigger';

export class EventTimeTrigger implements Trigger<unknown, Window> {
  private static readonly INSTANCE = new EventTimeTrigger();

  private constructor() {}

  static create(): EventTimeTrigger {
    return EventTimeTrigger.INSTANCE;
  }

  onElement(_element: unknown, _timestamp: number | undefined, window: Window, ctx: TriggerContext): TriggerResult {
    if (window.maxTimestamp() <= ctx.getCurrentWatermark()) return 'FIRE';
    ctx.registerEventTimeTimer(window.maxTimestamp());
    return 'CONTINUE';
  }

  onEventTime(time: number, window: Window, _ctx: TriggerContext): TriggerResult {
    return time === window.maxTimestamp() ? 'FIRE' : 'CONTINUE';
  }

  onProcessingTime(_time: number, _window: Window, _ctx: TriggerContext): TriggerResult {
    return 'CONTINUE';
  }

  canMerge(): boolean {
    return true;
  }

  onMerge(window: Window, ctx: OnMergeContext): void {
    // Only while the watermark has not passed the merged window: a timer behind it would fire at once, twice.
    const maxTimestamp = window.maxTimestamp();
    if (maxTimestamp > ctx.getCurrentWatermark()) ctx.registerEventTimeTimer(maxTimestamp);
  }

  clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteEventTimeTimer(window.maxTimestamp());
  }

  toString(): string {
    return 'EventTimeTrigger()';
  }
}
