/**
 * Evicts the elements of a window that are too far from the last one:
 * every element whose `deltaFunction(element, last) >= threshold` (Flink's
 * DeltaEvictor) — before the window function by default, after it when
 * `doEvictAfter` is true. The last element itself stays unless its delta to
 * itself reaches the threshold.
 *
 *   DeltaEvictor.of(5, (a: Reading, b: Reading) => Math.abs(a.celsius - b.celsius))
 *
 * `of` throws ConfigurationError unless threshold is a finite number and
 * deltaFunction a function. A delta function that returns a Promise throws
 * ThenableReturnedError; one that throws passes its error through.
 */
import { ConfigurationError, isThenable, preview, ThenableReturnedError } from '../../errors';
import { requireFunction } from '../parameters';
import type { Window } from '../windows/Window';
import type { Evictor, EvictorContext, TimestampedValue } from './Evictor';

/** How far apart two elements are; a number. Must be synchronous. */
export type DeltaFunction<T> = (oldDataPoint: T, newDataPoint: T) => number;

export class DeltaEvictor<T> implements Evictor<T, Window> {
  private constructor(
    readonly threshold: number,
    readonly deltaFunction: DeltaFunction<T>,
    readonly doEvictAfter: boolean,
  ) {}

  static of<T>(threshold: number, deltaFunction: DeltaFunction<T>, doEvictAfter = false): DeltaEvictor<T> {
    if (typeof threshold !== 'number' || !Number.isFinite(threshold)) {
      throw new ConfigurationError('DeltaEvictor.threshold', `must be a finite number, got ${preview(threshold)}`);
    }
    return new DeltaEvictor(threshold, requireFunction('DeltaEvictor.deltaFunction', deltaFunction), doEvictAfter === true);
  }

  evictBefore(elements: readonly TimestampedValue<T>[], _window: Window, _ctx: EvictorContext): readonly TimestampedValue<T>[] {
    return this.doEvictAfter ? elements : this.evict(elements);
  }

  evictAfter(elements: readonly TimestampedValue<T>[], _window: Window, _ctx: EvictorContext): readonly TimestampedValue<T>[] {
    return this.doEvictAfter ? this.evict(elements) : elements;
  }

  toString(): string {
    return `DeltaEvictor(${this.threshold}${this.doEvictAfter ? ', after' : ''})`;
  }

  private evict(elements: readonly TimestampedValue<T>[]): readonly TimestampedValue<T>[] {
    const last = elements[elements.length - 1];
    if (last === undefined) return elements;
    return elements.filter((e) => {
      const delta: unknown = this.deltaFunction(e.value, last.value);
      if (isThenable(delta)) throw new ThenableReturnedError('delta function', delta);
      return !((delta as number) >= this.threshold);
    });
  }
}
