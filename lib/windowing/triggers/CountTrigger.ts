/**
 * Fires a window every `maxCount` elements (Flink's CountTrigger). The
 * count is a ReducingState (sum) named "count" in the window's partitioned
 * state, so it is checkpointed and merges by addition when session windows
 * merge; it restarts from 0 after each firing. It never purges: wrap it in
 * PurgingTrigger for tumbling count windows.
 *
 * Throws ConfigurationError unless `maxCount` is a whole number above 0.
 */
import { ReducingStateDescriptor } from '../../state/StateDescriptor';
import { requirePositiveCount } from '../parameters';
import type { Window } from '../windows/Window';
import type { OnMergeContext, Trigger, TriggerContext, TriggerResult } from './Trigger';

export class CountTrigger implements Trigger<unknown, Window> {
  private readonly stateDesc = new ReducingStateDescriptor<number>('count', (a, b) => a + b);

  private constructor(readonly maxCount: number) {}

  static of(maxCount: number): CountTrigger {
    return new CountTrigger(requirePositiveCount('CountTrigger.maxCount', maxCount));
  }

  onElement(_element: unknown, _timestamp: number | undefined, _window: Window, ctx: TriggerContext): TriggerResult {
    const count = ctx.getPartitionedState(this.stateDesc);
    count.add(1);
    if ((count.get() ?? 0) >= this.maxCount) {
      count.clear();
      return 'FIRE';
    }
    return 'CONTINUE';
  }

  onEventTime(_time: number, _window: Window, _ctx: TriggerContext): TriggerResult {
    return 'CONTINUE';
  }

  onProcessingTime(_time: number, _window: Window, _ctx: TriggerContext): TriggerResult {
    return 'CONTINUE';
  }

  canMerge(): boolean {
    return true;
  }

  onMerge(_window: Window, ctx: OnMergeContext): void {
    // Like Flink, a merged count at or above maxCount fires only with the next element.
    ctx.mergePartitionedState(this.stateDesc);
  }

  clear(_window: Window, ctx: TriggerContext): void {
    ctx.getPartitionedState(this.stateDesc).clear();
  }

  toString(): string {
    return `CountTrigger(${this.maxCount})`;
  }
}
