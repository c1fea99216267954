/**
 * Keeps the elements of a window whose timestamp is within `windowSize` ms
 * of the newest one: evicts every element with
 * `timestamp <= maxTimestamp - windowSize` (Flink's TimeEvictor) — before
 * the window function by default, after it when `doEvictAfter` is true.
 *
 * Elements without a timestamp are never evicted, and do not count toward
 * the newest timestamp; when none has one, nothing is evicted. (Flink looks
 * at the first element only to decide whether the window has timestamps.)
 *
 * `of` throws ConfigurationError unless windowSize is a finite number above 0
 * (0 would evict every element, the newest too).
 */
import { requirePositiveMs } from '../parameters';
import type { Window } from '../windows/Window';
import type { Evictor, EvictorContext, TimestampedValue } from './Evictor';

export class TimeEvictor implements Evictor<unknown, Window> {
  private constructor(
    readonly windowSize: number,
    readonly doEvictAfter: boolean,
  ) {}

  static of(windowSize: number, doEvictAfter = false): TimeEvictor {
    return new TimeEvictor(requirePositiveMs('TimeEvictor.windowSize', windowSize), doEvictAfter === true);
  }

  evictBefore<T>(elements: readonly TimestampedValue<T>[], _window: Window, _ctx: EvictorContext): readonly TimestampedValue<T>[] {
    return this.doEvictAfter ? elements : this.evict(elements);
  }

  evictAfter<T>(elements: readonly TimestampedValue<T>[], _window: Window, _ctx: EvictorContext): readonly TimestampedValue<T>[] {
    return this.doEvictAfter ? this.evict(elements) : elements;
  }

  toString(): string {
    return `TimeEvictor(${this.windowSize}${this.doEvictAfter ? ', after' : ''})`;
  }

  private evict<T>(elements: readonly TimestampedValue<T>[]): readonly TimestampedValue<T>[] {
    let newest = Number.NEGATIVE_INFINITY;
    for (const e of elements) if (e.timestamp !== undefined && e.timestamp > newest) newest = e.timestamp;
    if (newest === Number.NEGATIVE_INFINITY) return elements;
    const cutoff = newest - this.windowSize;
    return elements.filter((e) => e.timestamp === undefined || e.timestamp > cutoff);
  }
}
