/**
 * Evictors remove elements from a window's contents just before and/or
 * just after the window function runs on a firing (Flink's Evictor):
 * "keep the last 100", "keep the last 10 s". A window with an evictor keeps
 * every element (no incremental reduce), so each firing sees them all.
 *
 * Pure: an evictor gets the contents in arrival order and returns the ones
 * to keep, in the same order; the operator writes them back. Flink's
 * evictors remove through an iterator instead.
 */
import type { Window } from '../windows/Window';

/** An element with its event timestamp (ms), if it had one (Flink's TimestampedValue). */
export interface TimestampedValue<T> {
  readonly value: T;
  readonly timestamp: number | undefined;
}

export interface EvictorContext {
  getCurrentProcessingTime(): number;
  getCurrentWatermark(): number;
}

export interface Evictor<T, W extends Window> {
  /** Before the window function: the elements it should see. */
  evictBefore(elements: readonly TimestampedValue<T>[], window: W, ctx: EvictorContext): readonly TimestampedValue<T>[];
  /** After the window function: the elements to keep in the window. */
  evictAfter(elements: readonly TimestampedValue<T>[], window: W, ctx: EvictorContext): readonly TimestampedValue<T>[];
  toString(): string;
}
