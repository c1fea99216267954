/**
 * Fires a window every `interval` ms of processing time while it is open
 * (Flink's ContinuousProcessingTimeTrigger).
 *
 * The first element of a window registers a processing-time timer at the
 * next interval boundary after the current processing time, capped at the
 * window's maxTimestamp; each such timer fires and registers the next one
 * (capped again, so the last firing is at the window's end). The pending
 * fire time is a ReducingState (min) named "fire-time"; on merge the
 * earliest is kept and its timer re-registered. It never purges.
 *
 * Throws ConfigurationError unless `interval` is a whole number of ms above 0.
 */
import { requirePositiveMs } from '../parameters';
import type { Window } from '../windows/Window';
import { ContinuousFireTime } from './ContinuousFireTime';
import type { OnMergeContext, Trigger, TriggerContext, TriggerResult } from './Trigger';

export class ContinuousProcessingTimeTrigger implements Trigger<unknown, Window> {
  private readonly fireTime: ContinuousFireTime;

  private constructor(readonly interval: number) {
    this.fireTime = new ContinuousFireTime(interval, 'processing');
  }

  static of(interval: number): ContinuousProcessingTimeTrigger {
    return new ContinuousProcessingTimeTrigger(requirePositiveMs('ContinuousProcessingTimeTrigger.interval', interval));
  }

  onElement(_element: unknown, _timestamp: number | undefined, window: Window, ctx: TriggerContext): TriggerResult {
    if (!this.fireTime.isScheduled(ctx)) this.fireTime.start(ctx.getCurrentProcessingTime(), window, ctx);
    return 'CONTINUE';
  }

  onEventTime(_time: number, _window: Window, _ctx: TriggerContext): TriggerResult {
    return 'CONTINUE';
  }

  onProcessingTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    return this.fireTime.onTimer(time, window, ctx) ? 'FIRE' : 'CONTINUE';
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
    return `ContinuousProcessingTimeTrigger(${this.interval})`;
  }
}
