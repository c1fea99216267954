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
import type { ReducingState } from '../../state/KeyedState';
import { ReducingStateDescriptor } from '../../state/StateDescriptor';
import { requirePositiveMs } from '../parameters';
import type { Window } from '../windows/Window';
import type { OnMergeContext, Trigger, TriggerContext, TriggerResult } from './Trigger';

export class ContinuousProcessingTimeTrigger implements Trigger<unknown, Window> {
  private readonly stateDesc = new ReducingStateDescriptor<number>('fire-time', Math.min);

  private constructor(readonly interval: number) {}

  static of(interval: number): ContinuousProcessingTimeTrigger {
    return new ContinuousProcessingTimeTrigger(requirePositiveMs('ContinuousProcessingTimeTrigger.interval', interval));
  }

  onElement(_element: unknown, _timestamp: number | undefined, window: Window, ctx: TriggerContext): TriggerResult {
    const fireTime = ctx.getPartitionedState(this.stateDesc);
    if (fireTime.get() === undefined) {
      const now = ctx.getCurrentProcessingTime();
      this.registerNextFireTime(now - (now % this.interval), window, ctx, fireTime);
    }
    return 'CONTINUE';
  }

  onEventTime(_time: number, _window: Window, _ctx: TriggerContext): TriggerResult {
    return 'CONTINUE';
  }

  onProcessingTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    const fireTime = ctx.getPartitionedState(this.stateDesc);
    if (fireTime.get() === time) {
      fireTime.clear();
      this.registerNextFireTime(time, window, ctx, fireTime);
      return 'FIRE';
    }
    return 'CONTINUE';
  }

  canMerge(): boolean {
    return true;
  }

  onMerge(_window: Window, ctx: OnMergeContext): void {
    ctx.mergePartitionedState(this.stateDesc);
    const next = ctx.getPartitionedState(this.stateDesc).get();
    if (next !== undefined) ctx.registerProcessingTimeTimer(next);
  }

  clear(_window: Window, ctx: TriggerContext): void {
    const fireTime = ctx.getPartitionedState(this.stateDesc);
    const t = fireTime.get();
    if (t !== undefined) {
      ctx.deleteProcessingTimeTimer(t);
      fireTime.clear();
    }
  }

  toString(): string {
    return `ContinuousProcessingTimeTrigger(${this.interval})`;
  }

  private registerNextFireTime(time: number, window: Window, ctx: TriggerContext, fireTime: ReducingState<number>): void {
    const next = Math.min(time + this.interval, window.maxTimestamp());
    fireTime.add(next);
    ctx.registerProcessingTimeTimer(next);
  }
}
