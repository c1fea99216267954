/**
 * Fires a window every `interval` ms of event time while it is open, and
 * once more at its end (Flink's ContinuousEventTimeTrigger): early results
 * for long windows.
 *
 * The first element of a window registers an event-time timer at the next
 * interval boundary after its timestamp (`ts - ts % interval + interval`,
 * truncating toward zero as Flink does), capped at the window's
 * maxTimestamp; each such timer fires and registers the next one. The
 * pending fire time is a ReducingState (min) named "fire-time", so merged
 * windows keep the earliest. Like EventTimeTrigger, every element also
 * registers the end-of-window timer, and an element arriving after the
 * watermark passed the window's end fires at once. It never purges.
 *
 * Throws ConfigurationError unless `interval` is a whole number of ms
 * above 0; `onElement` throws WindowAssignmentError (MISSING_TIMESTAMP) for
 * an element without a timestamp.
 */
import { WindowAssignmentError } from '../../errors';
import { requirePositiveMs } from '../parameters';
import type { Window } from '../windows/Window';
import { ContinuousFireTime } from './ContinuousFireTime';
import type { OnMergeContext, Trigger, TriggerContext, TriggerResult } from './Trigger';

export class ContinuousEventTimeTrigger implements Trigger<unknown, Window> {
  private readonly fireTime: ContinuousFireTime;

  private constructor(readonly interval: number) {
    this.fireTime = new ContinuousFireTime(interval, 'event');
  }

  static of(interval: number): ContinuousEventTimeTrigger {
    return new ContinuousEventTimeTrigger(requirePositiveMs('ContinuousEventTimeTrigger.interval', interval));
  }

  onElement(element: unknown, timestamp: number | undefined, window: Window, ctx: TriggerContext): TriggerResult {
    if (window.maxTimestamp() <= ctx.getCurrentWatermark()) return 'FIRE';
    ctx.registerEventTimeTimer(window.maxTimestamp());
    if (!this.fireTime.isScheduled(ctx)) {
      if (timestamp === undefined || !Number.isFinite(timestamp)) {
        throw new WindowAssignmentError('MISSING_TIMESTAMP', String(this), element, 'an event-time trigger needs records with event timestamps');
      }
      this.fireTime.start(timestamp, window, ctx);
    }
    return 'CONTINUE';
  }

  onEventTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (time === window.maxTimestamp()) return 'FIRE';
    return this.fireTime.onTimer(time, window, ctx) ? 'FIRE' : 'CONTINUE';
  }

  onProcessingTime(_time: number, _window: Window, _ctx: TriggerContext): TriggerResult {
    return 'CONTINUE';
  }

  canMerge(): boolean {
    return true;
  }

  onMerge(_window: Window, ctx: OnMergeContext): void {
    this.fireTime.onMerge(ctx);
  }

  clear(_window: Window, ctx: TriggerContext): void {
    this.fireTime.clear(ctx);
  }

  toString(): string {
    return `ContinuousEventTimeTrigger(${this.interval})`;
  }
}
