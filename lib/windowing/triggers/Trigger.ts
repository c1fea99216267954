/**
 * Triggers decide when a window's contents are emitted (fired) and when
 * they are dropped (purged) — Flink's Trigger, TriggerResult and
 * Trigger.TriggerContext / OnMergeContext.
 *
 * The window operator calls a trigger for one (key, window) at a time:
 * on every element added to the window, when an event-time or
 * processing-time timer the trigger registered fires, when windows merge
 * (session windows), and on `clear` when the window is discarded. A trigger
 * keeps no fields of its own per window: whatever it must remember lives in
 * partitioned state (`ctx.getPartitionedState`), scoped to the current key
 * and window and checkpointed with them, and its timers are registered on
 * the context, scoped the same way. So one trigger instance serves every
 * key and window, and its decisions survive a restore.
 *
 * Times are ms. The watermark before the first one arrives is -Infinity
 * (Flink's Long.MIN_VALUE).
 */
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from '../../state/KeyedState';
import type {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateDescriptor,
  ValueStateDescriptor,
} from '../../state/StateDescriptor';
import type { Window } from '../windows/Window';

/**
 * What the operator does with the window after a trigger call:
 * - CONTINUE: nothing;
 * - FIRE: emit the window's contents (evaluate the window function), keep them;
 * - PURGE: drop the contents, emit nothing;
 * - FIRE_AND_PURGE: emit, then drop.
 * Purging drops the window's elements, not the window's trigger state or timers.
 */
export type TriggerResult = 'CONTINUE' | 'FIRE' | 'PURGE' | 'FIRE_AND_PURGE';

export function isFire(r: TriggerResult): boolean {
  return r === 'FIRE' || r === 'FIRE_AND_PURGE';
}

export function isPurge(r: TriggerResult): boolean {
  return r === 'PURGE' || r === 'FIRE_AND_PURGE';
}

/** The state a descriptor yields. */
export type StateOf<D> =
  D extends ValueStateDescriptor<infer T>
    ? ValueState<T>
    : D extends ListStateDescriptor<infer T>
      ? ListState<T>
      : D extends MapStateDescriptor<infer K, infer V>
        ? MapState<K, V>
        : D extends ReducingStateDescriptor<infer T>
          ? ReducingState<T>
          : D extends AggregatingStateDescriptor<infer IN, any, infer OUT>
            ? AggregatingState<IN, OUT>
            : never;

/** The state kinds that can be merged when windows merge (value and map state cannot). */
export type MergeableStateDescriptor = ListStateDescriptor<any> | ReducingStateDescriptor<any> | AggregatingStateDescriptor<any, any, any>;

/** What a trigger may do; everything is scoped to the current key and window. */
export interface TriggerContext {
  /** The subtask's processing time (ms). */
  getCurrentProcessingTime(): number;
  /** The operator's current event-time watermark (ms); -Infinity before the first. */
  getCurrentWatermark(): number;
  /** Calls `onProcessingTime(time, window)` once processing time reaches `time`. */
  registerProcessingTimeTimer(time: number): void;
  /** Calls `onEventTime(time, window)` once the watermark reaches `time`. */
  registerEventTimeTimer(time: number): void;
  deleteProcessingTimeTimer(time: number): void;
  deleteEventTimeTimer(time: number): void;
  /** State of the current key and window, declared by `descriptor` (the same descriptor, the same state). */
  getPartitionedState<D extends StateDescriptor>(descriptor: D): StateOf<D>;
}

/** The context of `onMerge`: the current window is the merge result. */
export interface OnMergeContext extends TriggerContext {
  /**
   * Merges the state `descriptor` declares of all windows being merged into
   * the merge result's: lists are concatenated, reducing and aggregating
   * states are combined with their functions.
   */
  mergePartitionedState(descriptor: MergeableStateDescriptor): void;
}

export interface Trigger<T, W extends Window> {
  /** An element was added to `window`. `timestamp` is its event timestamp (ms), if it has one. */
  onElement(element: T, timestamp: number | undefined, window: W, ctx: TriggerContext): TriggerResult;
  /** An event-time timer this trigger registered for `window` fired at `time`. */
  onEventTime(time: number, window: W, ctx: TriggerContext): TriggerResult;
  /** A processing-time timer this trigger registered for `window` fired at `time`. */
  onProcessingTime(time: number, window: W, ctx: TriggerContext): TriggerResult;
  /** True when this trigger supports merging windows (`onMerge`); a merging assigner requires it. */
  canMerge(): boolean;
  /**
   * Windows merged into `window`: merge this trigger's state and register
   * the timers the merged window needs (timers of the old windows are
   * deleted by their `clear`).
   */
  onMerge(window: W, ctx: OnMergeContext): void;
  /** `window` is discarded: delete this trigger's timers and state for it. */
  clear(window: W, ctx: TriggerContext): void;
  toString(): string;
}
