/**
 * Keeps at most the last `maxCount` elements of a window, dropping the
 * oldest (Flink's CountEvictor) — before the window function by default,
 * after it when `doEvictAfter` is true.
 *
 * `of` throws ConfigurationError unless maxCount is a whole number above 0.
 */
import { requirePositiveCount } from '../parameters';
import type { Window } from '../windows/Window';
import type { Evictor, EvictorContext, TimestampedValue } from './Evictor';

export class CountEvictor implements Evictor<unknown, Window> {
  private constructor(
    readonly maxCount: number,
    readonly doEvictAfter: boolean,
  ) {}

  static of(maxCount: number, doEvictAfter = false): CountEvictor {
    return new CountEvictor(requirePositiveCount('CountEvictor.maxCount', maxCount), doEvictAfter === true);
  }

  evictBefore<T>(elements: readonly TimestampedValue<T>[], _window: Window, _ctx: EvictorContext): readonly TimestampedValue<T>[] {
    return this.doEvictAfter ? elements : this.evict(elements);
  }

  evictAfter<T>(elements: readonly TimestampedValue<T>[], _window: Window, _ctx: EvictorContext): readonly TimestampedValue<T>[] {
    return this.doEvictAfter ? this.evict(elements) : elements;
  }

  toString(): string {
    return `CountEvictor(${this.maxCount}${this.doEvictAfter ? ', after' : ''})`;
  }

  private evict<T>(elements: readonly TimestampedValue<T>[]): readonly TimestampedValue<T>[] {
    return elements.length <= this.maxCount ? elements : elements.slice(elements.length - this.maxCount);
  }
}
