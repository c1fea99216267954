/**
 * Window assigners place each element of a keyed stream into zero or more
 * windows (Flink's WindowAssigner and MergingWindowAssigner). They are pure:
 * an event-time assigner looks only at the element's timestamp, a
 * processing-time assigner only at `ctx.currentProcessingTime()`, so the
 * same input gives the same windows.
 *
 * A merging assigner (sessions) also says how in-flight windows merge; the
 * window operator keeps them in a MergingWindowSet, which calls
 * `mergeWindows` on every new window.
 */
import { WindowAssignmentError } from '../../errors';
import type { Trigger } from '../triggers/Trigger';
import type { Window } from '../windows/Window';

/** What an assigner may ask of the operator. */
export interface WindowAssignerContext {
  /** The subtask's processing time (ms since the epoch). */
  currentProcessingTime(): number;
}

export interface WindowAssigner<T, W extends Window> {
  /**
   * The windows `element` belongs to. `timestamp` is its event timestamp in
   * ms, or undefined when it has none. Event-time assigners throw
   * WindowAssignmentError when it is missing or not finite.
   */
  assignWindows(element: T, timestamp: number | undefined, ctx: WindowAssignerContext): W[];
  /** The trigger used when the user sets none. */
  getDefaultTrigger(): Trigger<T, W>;
  /** True when windows are in event time (fired by watermarks), false for processing time. */
  readonly isEventTime: boolean;
  toString(): string;
}

/** Called once per group of in-flight windows that merge into `mergeResult`. */
export type MergeCallback<W> = (toBeMerged: readonly W[], mergeResult: W) => void;

export interface MergingWindowAssigner<T, W extends Window> extends WindowAssigner<T, W> {
  /** Finds the groups of `windows` that merge and reports each through `callback`. */
  mergeWindows(windows: readonly W[], callback: MergeCallback<W>): void;
}

export function isMergingWindowAssigner<T, W extends Window>(a: WindowAssigner<T, W>): a is MergingWindowAssigner<T, W> {
  return typeof (a as Partial<MergingWindowAssigner<T, W>>).mergeWindows === 'function';
}

/**
 * The element's event timestamp, or WindowAssignmentError naming the
 * assigner: a stream without timestamps cannot go into event-time windows.
 */
export function requireEventTimestamp(assigner: WindowAssigner<unknown, Window>, element: unknown, timestamp: number | undefined): number {
  if (timestamp === undefined) {
    throw new WindowAssignmentError(
      'MISSING_TIMESTAMP',
      String(assigner),
      element,
      'the record has no event timestamp; call assignTimestampsAndWatermarks(...) upstream, or use a processing-time window assigner',
    );
  }
  if (!Number.isFinite(timestamp)) {
    throw new WindowAssignmentError(
      'INVALID_TIMESTAMP',
      String(assigner),
      element,
      `its event timestamp ${timestamp} is not a finite number of ms; check the timestamp assigner`,
    );
  }
  return timestamp;
}
